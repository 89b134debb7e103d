//! The real `bangui-agent` binary, started against a [`Fail2ban`] sandbox.
//!
//! [`Agent::start`] writes a config file (listen `127.0.0.1:0`, the sandbox's socket and config
//! dir, `log_dirs = [DIR/log]`, a private state dir), runs `bangui-agent serve --config FILE`,
//! waits for its readiness line, then runs setup with [`TEST_PASSWORD`] and logs in, so the HTTP
//! helpers (on [`ApiClient`], reached through `Deref`) are authenticated.

use std::net::SocketAddr;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::Arc;
use std::thread;
use std::{env, fs};

use serde_json::Value;
use tempfile::NamedTempFile;

use crate::api::ApiClient;
use crate::error::HarnessError;
use crate::fail2ban::Fail2ban;
use crate::process;
use crate::service::Service;

/// The agent prints exactly this, followed by its URL, once it listens.
const READY_PREFIX: &str = "bangui-agent listening on ";
/// The edge listener's line, printed before the user listener's.
const EDGE_PREFIX: &str = "bangui-agent edge listening on https://";

/// The agent's config file, as written before it starts. Build one with
/// [`AgentConfig::for_fail2ban`] and change fields, or pass a closure to [`Agent::start_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    /// `[listen] address`; port 0 lets the agent pick a free port.
    pub listen: String,
    /// `[fail2ban] socket`.
    pub socket: PathBuf,
    /// `[fail2ban] config_dir`.
    pub config_dir: PathBuf,
    /// `[fail2ban] client`; `None` leaves the agent's default.
    pub client: Option<String>,
    /// `[fail2ban] command_timeout_secs`; `None` leaves the agent's default.
    pub command_timeout_secs: Option<u64>,
    /// `[fail2ban] reload_timeout_secs`; `None` leaves the agent's default.
    pub reload_timeout_secs: Option<u64>,
    /// `[server] log_dirs`.
    pub log_dirs: Vec<PathBuf>,
    /// TOML lines added to the `[fail2ban]` table (e.g. `start_command = [...]`).
    pub fail2ban_toml: String,
    /// TOML appended after the tables above; start it with a table header of its own.
    pub extra_toml: String,
    /// Where to write the config; `None` writes a temp file removed with the [`Agent`].
    pub config_file: Option<PathBuf>,
    /// Copy the agent's stdout and stderr lines to this process's stderr as they arrive.
    pub echo_output: bool,
    /// `[state] dir`; `None` uses a temp dir owned by the [`Agent`] (kept across
    /// [`Agent::restart`]).
    pub state_dir: Option<PathBuf>,
    /// `[listen] tls_cert` and `tls_key`: serve HTTPS (the helpers then speak HTTPS too only if
    /// the caller builds its own client; see the listener tests).
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Run setup with [`TEST_PASSWORD`] and log in once the agent is ready, so the request
    /// helpers are authenticated (Bearer). Off for tests of setup and login themselves.
    pub setup: bool,
}

/// The master password the harness sets up agents with.
pub const TEST_PASSWORD: &str = "Test-passw0rd!";

/// A running `bangui-agent`. Dropping it sends SIGTERM, waits up to 5 s, then sends SIGKILL.
#[derive(Debug)]
pub struct Agent {
    service: Service,
    api: ApiClient,
    config: AgentConfig,
    config_path: PathBuf,
    _config_file: Option<NamedTempFile>,
    state_dir: PathBuf,
    _state_tmp: Option<Arc<tempfile::TempDir>>,
}

// === impl AgentConfig ===

impl AgentConfig {
    /// Listen on `127.0.0.1:0`, talk to `fail2ban`'s socket and config dir with its
    /// `fail2ban-client`, and allow log targets in its `log/` directory.
    pub fn for_fail2ban(fail2ban: &Fail2ban) -> Self {
        AgentConfig {
            listen: "127.0.0.1:0".to_owned(),
            socket: fail2ban.socket(),
            config_dir: fail2ban.config_dir(),
            client: Some(fail2ban.client_path().display().to_string()),
            command_timeout_secs: None,
            reload_timeout_secs: None,
            log_dirs: vec![fail2ban.log_dir()],
            fail2ban_toml: String::new(),
            extra_toml: String::new(),
            config_file: None,
            echo_output: false,
            state_dir: None,
            tls: None,
            setup: true,
        }
    }

    /// The config file's text.
    pub fn to_toml(&self) -> String {
        let mut text = format!("[listen]\naddress = {}\n", toml_string(&self.listen));
        if let Some((cert, key)) = &self.tls {
            text += &format!(
                "tls_cert = {}\ntls_key = {}\n",
                toml_path(cert),
                toml_path(key)
            );
        }
        text += "\n[fail2ban]\n";
        text += &format!("socket = {}\n", toml_path(&self.socket));
        text += &format!("config_dir = {}\n", toml_path(&self.config_dir));
        if let Some(client) = &self.client {
            text += &format!("client = {}\n", toml_string(client));
        }
        if let Some(secs) = self.command_timeout_secs {
            text += &format!("command_timeout_secs = {secs}\n");
        }
        if let Some(secs) = self.reload_timeout_secs {
            text += &format!("reload_timeout_secs = {secs}\n");
        }
        if !self.fail2ban_toml.trim().is_empty() {
            text += self.fail2ban_toml.trim_end();
            text.push('\n');
        }
        let dirs: Vec<String> = self.log_dirs.iter().map(|dir| toml_path(dir)).collect();
        text += &format!("\n[server]\nlog_dirs = [{}]\n", dirs.join(", "));
        if let Some(dir) = &self.state_dir {
            text += &format!("\n[state]\ndir = {}\n", toml_path(dir));
        }
        if !self.extra_toml.trim().is_empty() {
            text += "\n";
            text += &self.extra_toml;
            if !self.extra_toml.ends_with('\n') {
                text.push('\n');
            }
        }
        text
    }
}

/// A TOML basic string. JSON string escapes are a subset of TOML's, so serde_json renders it.
fn toml_string(value: &str) -> String {
    Value::from(value).to_string()
}

fn toml_path(path: &Path) -> String {
    toml_string(&path.display().to_string())
}

/// A fresh sandboxed fail2ban and an agent for it, with the default test config.
pub fn sandbox_with_agent() -> (Fail2ban, Agent) {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    (f2b, agent)
}

// === impl Agent ===

impl Agent {
    /// Starts the agent against `fail2ban` with the default test config; panics on failure.
    pub fn start(fail2ban: &Fail2ban) -> Agent {
        Self::start_with(fail2ban, |_| {})
    }

    /// Starts the agent with the default test config changed by `configure`, e.g.
    /// `Agent::start_with(&f2b, |c| c.command_timeout_secs = Some(1))`; panics on failure.
    pub fn start_with(fail2ban: &Fail2ban, configure: impl FnOnce(&mut AgentConfig)) -> Agent {
        let mut config = AgentConfig::for_fail2ban(fail2ban);
        configure(&mut config);
        Self::start_config(config)
    }

    /// Starts the agent with exactly `config`; panics on failure.
    pub fn start_config(config: AgentConfig) -> Agent {
        Self::try_start_config(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts the agent with exactly `config` and waits for its readiness line; with
    /// `config.setup`, also runs setup and logs in.
    pub fn try_start_config(mut config: AgentConfig) -> Result<Agent, HarnessError> {
        let state_tmp = match &config.state_dir {
            Some(_) => None,
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("bangui-state-")
                    .tempdir()
                    .map_err(|e| HarnessError::new(format!("cannot create a state dir: {e}")))?;
                config.state_dir = Some(dir.path().to_owned());
                Some(Arc::new(dir))
            }
        };
        let mut agent = Self::spawn(config, state_tmp)?;
        if agent.config.setup {
            agent.setup_and_login()?;
        }
        Ok(agent)
    }

    /// Stops the agent and starts it again with the same config file and state directory (the
    /// session token the helpers use is kept).
    pub fn restart(&mut self) {
        self.stop();
        let mut config = self.config.clone();
        config.config_file = Some(self.config_path.clone());
        config.setup = false;
        let token = self.token();
        let fresh = Self::spawn(config, self._state_tmp.clone()).unwrap_or_else(|e| panic!("{e}"));
        let mut old = std::mem::replace(self, fresh);
        self._config_file = old._config_file.take();
        drop(old);
        self.config.setup = true;
        self.set_token(token);
    }

    fn spawn(
        config: AgentConfig,
        state_tmp: Option<Arc<tempfile::TempDir>>,
    ) -> Result<Agent, HarnessError> {
        let bin = Self::binary_path();
        if !bin.is_file() {
            return Err(HarnessError::new(format!(
                "bangui-agent binary not found at {}; run `cargo build --workspace` (the README test command does)",
                bin.display()
            )));
        }
        let (config_path, config_file) = write_config(&config)?;
        let mut command = Command::new(&bin);
        command.arg("serve").arg("--config").arg(&config_path);
        let service = Service::spawn("bangui-agent", command, READY_PREFIX, config.echo_output)
            .map_err(|e| {
                HarnessError::new(format!(
                    "{e}\n--- binary: {}\n--- config ({}):\n{}",
                    bin.display(),
                    config_path.display(),
                    config.to_toml()
                ))
            })?;
        let api = ApiClient::new(service.base_url(), service.stderr_handle());
        let state_dir = config.state_dir.clone().unwrap_or_default();
        Ok(Agent {
            service,
            api,
            config,
            config_path,
            _config_file: config_file,
            state_dir,
            _state_tmp: state_tmp,
        })
    }

    /// The agent binary: `$BANGUI_AGENT_BIN` if set, else `bangui-agent` next to the running
    /// executable (`target/<profile>/`, also from `target/<profile>/deps/`), else
    /// `$CARGO_TARGET_DIR/debug/bangui-agent` or `<workspace>/target/debug/bangui-agent`.
    pub fn binary_path() -> PathBuf {
        workspace_binary("BANGUI_AGENT_BIN", "bangui-agent")
    }

    /// The address the agent listens on.
    pub fn addr(&self) -> SocketAddr {
        self.service.addr()
    }

    /// The edge listener's address, when the config enables it.
    pub fn edge_addr(&self) -> Option<SocketAddr> {
        self.stdout_text()
            .lines()
            .find_map(|l| l.strip_prefix(EDGE_PREFIX))
            .and_then(|a| a.trim().parse().ok())
    }

    /// The config file the agent was started with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The agent's state directory (database, session key).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Everything the agent wrote to stderr so far (its logs).
    pub fn stderr_text(&self) -> String {
        self.service.stderr_text()
    }

    /// Everything the agent wrote to stdout so far (the readiness lines first).
    pub fn stdout_text(&self) -> String {
        self.service.stdout_text()
    }

    /// The agent's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.service.pid()
    }

    /// The agent's exit status if it has exited (without waiting).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.service.try_wait()
    }

    /// SIGTERM and wait up to 5 s (then SIGKILL); returns the exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.service.stop()
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        self.service.kill()
    }

    /// `POST /api/v1/setup` with [`TEST_PASSWORD`], then logs in and keeps the token. Runs on a
    /// thread of its own, so it works from sync code and from inside a tokio runtime alike.
    pub fn setup_and_login(&mut self) -> Result<(), HarnessError> {
        let base = self.base_url().to_owned();
        let http = self.http().clone();
        let post = move |path: &'static str, body: Value| {
            let (http, url) = (http.clone(), format!("{base}{path}"));
            async move {
                let r = http
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                Ok::<_, String>((status, body))
            }
        };
        let token = thread::spawn(move || -> Result<String, String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let (status, body) = post(
                    "/api/v1/setup",
                    serde_json::json!({ "master_password": TEST_PASSWORD }),
                )
                .await?;
                if status != 201 {
                    return Err(format!("setup answered {status}: {body}"));
                }
                let (status, body) = post(
                    "/api/v1/auth/login",
                    serde_json::json!({ "password": TEST_PASSWORD }),
                )
                .await?;
                match (status, body["token"].as_str()) {
                    (200, Some(token)) => Ok(token.to_owned()),
                    _ => Err(format!("login answered {status}: {body}")),
                }
            })
        })
        .join()
        .map_err(|_| HarnessError::new("setup thread panicked"))?
        .map_err(|e| {
            HarnessError::new(format!(
                "cannot set up and log in: {e}\n--- agent stderr:\n{}",
                process::tail(&self.stderr_text(), 40)
            ))
        })?;
        self.set_token(Some(token));
        Ok(())
    }
}

impl Deref for Agent {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

/// A binary of this workspace: `$<env_var>` if set, else `name` next to the running executable
/// (`target/<profile>/`, also from `target/<profile>/deps/`), else
/// `$CARGO_TARGET_DIR/debug/<name>` or `<workspace>/target/debug/<name>`.
pub fn workspace_binary(env_var: &str, name: &str) -> PathBuf {
    if let Some(bin) = env::var_os(env_var) {
        return PathBuf::from(bin);
    }
    let name = format!("{name}{}", env::consts::EXE_SUFFIX);
    let beside_exe = env::current_exe().ok().and_then(|exe| {
        let dir = exe.parent()?;
        let dir = if dir.ends_with("deps") {
            dir.parent()?
        } else {
            dir
        };
        Some(dir.join(&name))
    });
    if let Some(bin) = beside_exe.filter(|bin| bin.is_file()) {
        return bin;
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let target = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join("debug").join(name)
}

/// Writes the config to its chosen path or to a new temp file.
fn write_config(config: &AgentConfig) -> Result<(PathBuf, Option<NamedTempFile>), HarnessError> {
    let text = config.to_toml();
    match &config.config_file {
        Some(path) => fs::write(path, text)
            .map(|()| (path.clone(), None))
            .map_err(|e| HarnessError::new(format!("cannot write {}: {e}", path.display()))),
        None => {
            let file = tempfile::Builder::new()
                .prefix("bangui-agent-")
                .suffix(".toml")
                .tempfile()
                .and_then(|file| fs::write(file.path(), text).map(|()| file))
                .map_err(|e| HarnessError::new(format!("cannot write a temp agent config: {e}")))?;
            Ok((file.path().to_owned(), Some(file)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AgentConfig {
        AgentConfig {
            listen: "127.0.0.1:0".to_owned(),
            socket: "/tmp/bg-x/run/f2b.sock".into(),
            config_dir: "/tmp/bg-x/etc".into(),
            client: None,
            command_timeout_secs: Some(1),
            reload_timeout_secs: None,
            log_dirs: vec!["/tmp/bg-x/log".into()],
            fail2ban_toml: String::new(),
            extra_toml: String::new(),
            config_file: None,
            echo_output: false,
            state_dir: None,
            tls: None,
            setup: true,
        }
    }

    #[test]
    fn renders_the_config_file() {
        assert_eq!(
            config().to_toml(),
            "[listen]\naddress = \"127.0.0.1:0\"\n\n[fail2ban]\nsocket = \"/tmp/bg-x/run/f2b.sock\"\n\
             config_dir = \"/tmp/bg-x/etc\"\ncommand_timeout_secs = 1\n\n[server]\nlog_dirs = [\"/tmp/bg-x/log\"]\n"
        );
    }

    #[test]
    fn appends_extra_toml_and_escapes_strings() {
        let mut config = config();
        config.client = Some("C:\\odd \"client\"".to_owned());
        config.extra_toml = "[later]\nkey = 1".to_owned();
        let text = config.to_toml();
        assert!(
            text.contains("client = \"C:\\\\odd \\\"client\\\"\"\n"),
            "{text}"
        );
        assert!(text.ends_with("\n\n[later]\nkey = 1\n"), "{text}");
    }
}
