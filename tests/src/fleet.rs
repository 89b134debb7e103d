//! The edge shape, all real: fleet certificates from `bangui-agent certs init`, N sandboxed
//! fail2ban servers each with an agent whose mTLS edge listener is on a free port of
//! `localhost:8651..8700`, and the dev host running the workspace's `spin.toml` with the built
//! components.
//!
//! `spin.toml` allows the components to reach `https://localhost:8651..8700` (the dev shape:
//! `bangui-dev` uses 8651 and 8652), so test fleets take free ports from the upper part of that
//! range and run beside a running dev stack or each other.

use std::path::{Path, PathBuf};

use bangui_agent::certs::{self, InitOptions};

use crate::agent::Agent;
use crate::devhost::{DevHost, DevHostConfig};
use crate::fail2ban::Fail2ban;

/// First edge port; agent `i` (from 1) of the dev runner listens on `EDGE_BASE_PORT + i`.
pub const EDGE_BASE_PORT: u16 = 8650;

/// Ports test fleets take their edge listeners from: inside the range `spin.toml` allows
/// (`8651..8700`), above the dev runner's.
const TEST_EDGE_PORTS: std::ops::Range<u16> = 8660..8700;

/// Placeholder in a [`Fleet::start_with`] variable value for the fleet's own `agents` list.
pub const FLEET_AGENTS: &str = "{fleet}";

/// How to start a fleet beyond the defaults of [`Fleet::start`].
#[derive(Debug, Clone, Default)]
pub struct FleetOptions {
    /// Extra `--variable` values for the dev host; in a value, [`FLEET_AGENTS`] stands for the
    /// fleet's `agents` list.
    pub variables: Vec<(String, String)>,
    /// Leave setup undone (the helpers then carry no session token), e.g. for a browser test
    /// that runs the setup wizard itself.
    pub skip_setup: bool,
    /// Session cookies without `Secure`, so a browser keeps them over plain HTTP.
    pub insecure_cookies: bool,
    /// TOML appended to every agent's config (start it with a table header).
    pub agent_toml: String,
    /// `[ui] dir` of the control agent: its user listener serves the dashboard (agent-only
    /// mode).
    pub ui_dir: Option<PathBuf>,
}

/// One fleet member.
#[derive(Debug)]
pub struct Member {
    pub name: String,
    pub fail2ban: Fail2ban,
    pub agent: Agent,
    /// Its edge listener, `https://localhost:PORT` (mTLS with the fleet's `edge.pem`).
    pub edge_url: String,
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

    /// As [`start`](Self::start), with extra `--variable` values for the dev host; in a value,
    /// [`FLEET_AGENTS`] stands for the fleet's `agents` list.
    pub fn start_with(agents: usize, variables: &[(&str, &str)]) -> Fleet {
        Self::start_opts(
            agents,
            &FleetOptions {
                variables: variables
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..FleetOptions::default()
            },
        )
    }

    /// As [`start`](Self::start), with [`FleetOptions`].
    pub fn start_opts(agents: usize, options: &FleetOptions) -> Fleet {
        let dir = tempfile::Builder::new()
            .prefix("bangui-fleet-")
            .tempdir()
            .expect("fleet dir");
        let certs_dir = dir.path().join("certs");
        let names: Vec<String> = (1..=agents).map(|i| format!("agent{i}")).collect();
        let manifest = DevHost::manifest_path();
        init_certs(&certs_dir, &names, false).expect("certs init");
        let ports = free_edge_ports(agents);

        let members: Vec<Member> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let fail2ban = Fail2ban::start();
                let port = ports[i];
                let agent = Agent::start_with(&fail2ban, |c| {
                    c.setup = i == 0 && !options.skip_setup;
                    c.echo_output = std::env::var_os("BANGUI_ECHO").is_some();
                    c.extra_toml = edge_toml(&certs_dir, name, port);
                    if options.insecure_cookies {
                        c.extra_toml += "cookie_secure = false\n";
                    }
                    c.extra_toml += TEST_LIMITS;
                    c.extra_toml += &options.agent_toml;
                    if let Some(dir) = options.ui_dir.as_ref().filter(|_| i == 0) {
                        c.extra_toml += &ui_toml(dir);
                    }
                });
                Member {
                    name: name.clone(),
                    fail2ban,
                    agent,
                    edge_url: format!("https://localhost:{port}"),
                }
            })
            .collect();

        let agents_var = agents_on(&names, &ports);
        let mut vars = vec![
            ("agents".to_owned(), agents_var.clone()),
            ("control_agent".to_owned(), members[0].name.clone()),
            signing_key_variable(&certs_dir),
        ];
        vars.extend(
            options
                .variables
                .iter()
                .map(|(k, v)| (k.clone(), v.replace(FLEET_AGENTS, &agents_var))),
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

/// The `[ui]` table that makes an agent serve the dashboard's build from `dir`.
pub fn ui_toml(dir: &Path) -> String {
    format!(
        "\n[ui]\ndir = {}\n",
        serde_json::Value::from(dir.display().to_string())
    )
}

/// The web dashboard's build output in this workspace (`functions/ui/web/dist`).
pub fn ui_dist_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."))
        .join("functions/ui/web/dist")
}

/// The edge's calls in tests all come from one client: lift the write limits so a table-driven
/// run over every route is not throttled.
const TEST_LIMITS: &str =
    "\n[limits]\nban = 10000\nunban = 10000\njail = 10000\nconfig = 10000\nimport = 10000\n";

/// The `session_signing_key` variable as the dev host reads it from the fleet's key file
/// (`name=@FILE`): the key stays off the command line, which every local user can read.
pub fn signing_key_variable(certs: &Path) -> (String, String) {
    (
        "session_signing_key".to_owned(),
        format!("@{}", certs.join("session.key").display()),
    )
}

/// The `agents` variable for members on consecutive edge ports from `EDGE_BASE_PORT + 1`.
pub fn agents_variable(names: &[String]) -> String {
    let ports: Vec<u16> = (1..=names.len() as u16)
        .map(|i| EDGE_BASE_PORT + i)
        .collect();
    agents_on(names, &ports)
}

/// The `agents` variable for members listening on `ports`.
pub fn agents_on(names: &[String], ports: &[u16]) -> String {
    names
        .iter()
        .zip(ports)
        .map(|(n, port)| format!("{n}=https://localhost:{port}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `n` ports of [`TEST_EDGE_PORTS`] that nothing listens on and no other fleet of this process
/// took, from a random start so that fleets of other processes rarely probe the same ones.
fn free_edge_ports(n: usize) -> Vec<u16> {
    static TAKEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut taken = TAKEN.lock().unwrap_or_else(|p| p.into_inner());
    let len = TEST_EDGE_PORTS.len() as u16;
    let start = fastrand::u16(0..len);
    let ports: Vec<u16> = (0..len)
        .map(|i| TEST_EDGE_PORTS.start + (start + i) % len)
        .filter(|p| !taken.contains(p))
        .filter(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .take(n)
        .collect();
    taken.extend(&ports);
    assert_eq!(ports.len(), n, "no {n} free ports in {TEST_EDGE_PORTS:?}");
    ports
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
