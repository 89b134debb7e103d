//! The edge shape, all real: fleet certificates from `bangui-agent certs init`, N sandboxed
//! fail2ban servers each with an agent whose mTLS edge listener is on `localhost:8651..`, and
//! the dev host running the workspace's `spin.toml` with the built components.
//!
//! `spin.toml` allows the components to reach `https://localhost:8651` and `:8652` (the dev
//! shape), so a fleet uses those fixed ports: fleets must not run concurrently.

use std::path::{Path, PathBuf};

use bangui_agent::certs::{self, InitOptions};

use crate::agent::Agent;
use crate::devhost::{DevHost, DevHostConfig};
use crate::fail2ban::Fail2ban;

/// First edge port; agent `i` (from 1) listens on `EDGE_BASE_PORT + i`.
pub const EDGE_BASE_PORT: u16 = 8650;

/// One fleet member.
#[derive(Debug)]
pub struct Member {
    pub name: String,
    pub fail2ban: Fail2ban,
    pub agent: Agent,
}

#[derive(Debug)]
pub struct Fleet {
    pub members: Vec<Member>,
    pub devhost: DevHost,
    pub certs_dir: PathBuf,
    _dir: tempfile::TempDir,
}

impl Fleet {
    /// Starts `agents` members (the first is the control agent, set up and logged in) and the
    /// dev host; the dev host's helpers carry the control agent's session token.
    pub fn start(agents: usize) -> Fleet {
        Self::start_with(agents, &[])
    }

    /// As [`start`](Self::start), with extra `--variable` values for the dev host.
    pub fn start_with(agents: usize, variables: &[(&str, &str)]) -> Fleet {
        let dir = tempfile::Builder::new()
            .prefix("bangui-fleet-")
            .tempdir()
            .expect("fleet dir");
        let certs_dir = dir.path().join("certs");
        let names: Vec<String> = (1..=agents).map(|i| format!("agent{i}")).collect();
        let manifest = DevHost::manifest_path();
        init_certs(&certs_dir, &names, false).expect("certs init");

        let members: Vec<Member> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let fail2ban = Fail2ban::start();
                let port = EDGE_BASE_PORT + 1 + i as u16;
                let agent = Agent::start_with(&fail2ban, |c| {
                    c.setup = i == 0;
                    c.extra_toml = edge_toml(&certs_dir, name, port) + TEST_LIMITS;
                });
                Member {
                    name: name.clone(),
                    fail2ban,
                    agent,
                }
            })
            .collect();

        let key = std::fs::read_to_string(certs_dir.join("session.key")).expect("session key");
        let mut vars = vec![
            ("agents".to_owned(), agents_variable(&names)),
            ("control_agent".to_owned(), members[0].name.clone()),
            ("session_signing_key".to_owned(), key.trim().to_owned()),
        ];
        vars.extend(
            variables
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let devhost = DevHost::start(&DevHostConfig {
            manifest,
            runtime_config: Some(certs_dir.join("runtime-config.toml")),
            variables: vars,
            listen: None,
            echo_output: std::env::var_os("BANGUI_ECHO").is_some(),
        });
        devhost.set_token(members[0].agent.token());
        Fleet {
            members,
            devhost,
            certs_dir,
            _dir: dir,
        }
    }

    /// The control agent.
    pub fn control(&self) -> &Member {
        &self.members[0]
    }
}

/// The `[edge]` and `[auth]` config of one fleet member: its edge listener on `port` with the
/// fleet's certificates, and the shared session key.
pub fn edge_toml(certs: &Path, name: &str, port: u16) -> String {
    let p = |f: String| serde_json::Value::from(certs.join(f).display().to_string()).to_string();
    format!(
        "[edge]\naddress = \"127.0.0.1:{port}\"\nca = {}\ncert = {}\nkey = {}\n\n[auth]\nsigning_key_file = {}\n",
        p("ca.pem".into()),
        p(format!("agent-{name}.pem")),
        p(format!("agent-{name}.key")),
        p("session.key".into()),
    )
}

/// The edge's calls in tests all come from one client: lift the write limits so a table-driven
/// run over every route is not throttled.
const TEST_LIMITS: &str =
    "\n[limits]\nban = 10000\nunban = 10000\njail = 10000\nconfig = 10000\nimport = 10000\n";

/// The `agents` variable for members on consecutive edge ports.
pub fn agents_variable(names: &[String]) -> String {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{n}=https://localhost:{}", EDGE_BASE_PORT + 1 + i as u16))
        .collect::<Vec<_>>()
        .join(",")
}

/// Generates the fleet certificates for `names` into `out`, for the components of `spin.toml`.
pub fn init_certs(out: &Path, names: &[String], force: bool) -> Result<(), certs::CertsError> {
    let spin = std::fs::read_to_string(DevHost::manifest_path()).unwrap_or_default();
    certs::init(&InitOptions {
        out: out.to_owned(),
        agents: names.to_vec(),
        hosts: vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
        component_ids: certs::component_ids(&spin)?,
        edge_role: "spiffe://bangui/edge".into(),
        valid_days: 825,
        force,
    })
    .map(|_| ())
}
