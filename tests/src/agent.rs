//! The real `bangui-agent` binary, started against a [`Fail2ban`] sandbox.
//!
//! [`Agent::start`] writes a config file (listen `127.0.0.1:0`, the sandbox's socket and config
//! dir, `log_dirs = [DIR/log]`), runs `bangui-agent serve --config FILE` and reads its stdout up
//! to the readiness line `bangui-agent listening on http://127.0.0.1:PORT`, then confirms the
//! port with a TCP connect. Its output is drained by two threads and kept for assertions and
//! failure messages ([`Agent::stderr_text`]).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use std::{env, fs};

use reqwest::Method;
use serde_json::Value;
use tempfile::NamedTempFile;

use crate::error::HarnessError;
use crate::fail2ban::Fail2ban;
use crate::http::Response;
use crate::process;

/// The agent prints exactly this, followed by its URL, once it listens.
const READY_PREFIX: &str = "bangui-agent listening on ";
/// How long the agent gets to print its readiness line.
const READY_DEADLINE: Duration = Duration::from_secs(15);
/// Timeout of one HTTP request made by the helpers.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

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
    child: Option<Child>,
    addr: SocketAddr,
    base_url: String,
    config_path: PathBuf,
    _config_file: Option<NamedTempFile>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
    config: AgentConfig,
    state_dir: PathBuf,
    _state_tmp: Option<Arc<tempfile::TempDir>>,
    token: Mutex<Option<String>>,
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
        let mut child = Command::new(&bin)
            .arg("serve")
            .arg("--config")
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HarnessError::new(format!("cannot run {}: {e}", bin.display())))?;

        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let child_stdout = child.stdout.take().expect("stdout is piped");
        let child_stderr = child.stderr.take().expect("stderr is piped");
        let echo = config.echo_output;
        let stdout_thread = drain(child_stdout, Arc::clone(&stdout), echo, Some(ready_tx));
        let stderr_thread = drain(child_stderr, Arc::clone(&stderr), echo, None);

        let started = Instant::now();
        let failure = loop {
            match ready_rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => match parse_ready_line(&line) {
                    Some(addr) => match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                        Ok(_) => {
                            let http = reqwest::Client::builder()
                                .no_proxy()
                                .timeout(REQUEST_TIMEOUT)
                                .build()
                                .map_err(|e| {
                                    HarnessError::new(format!("cannot build an HTTP client: {e}"))
                                })?;
                            let state_dir = config.state_dir.clone().unwrap_or_default();
                            return Ok(Agent {
                                child: Some(child),
                                addr,
                                base_url: format!(
                                    "{}://{addr}",
                                    if config.tls.is_some() {
                                        "https"
                                    } else {
                                        "http"
                                    }
                                ),
                                config_path,
                                _config_file: config_file,
                                stdout,
                                stderr,
                                http,
                                config,
                                state_dir,
                                _state_tmp: state_tmp,
                                token: Mutex::new(None),
                            });
                        }
                        Err(e) => {
                            break format!(
                                "bangui-agent announced {addr} but a connect failed: {e}"
                            )
                        }
                    },
                    None => {
                        break format!("cannot read an address from the readiness line {line:?}")
                    }
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        break format!("bangui-agent exited ({status}) before it was ready");
                    }
                    if started.elapsed() >= READY_DEADLINE {
                        break format!(
                            "bangui-agent printed no readiness line within {READY_DEADLINE:?}"
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = process::wait_timeout(&mut child, Duration::from_secs(2));
                    let status = status.map_or("still running".to_owned(), |s| s.to_string());
                    break format!(
                        "bangui-agent closed its stdout without a readiness line ({status})"
                    );
                }
            }
        };
        process::terminate(&mut child, Duration::from_secs(1));
        for handle in [stdout_thread, stderr_thread] {
            join_briefly(handle);
        }
        Err(HarnessError::new(format!(
            "{failure}\n--- binary: {}\n--- config ({}):\n{}--- stdout:\n{}\n--- stderr:\n{}",
            bin.display(),
            config_path.display(),
            config.to_toml(),
            process::tail(&lock(&stdout), 20),
            process::tail(&lock(&stderr), 60),
        )))
    }

    /// The agent binary: `$BANGUI_AGENT_BIN` if set, else `bangui-agent` next to the running
    /// executable (`target/<profile>/`, also from `target/<profile>/deps/`), else
    /// `$CARGO_TARGET_DIR/debug/bangui-agent` or `<workspace>/target/debug/bangui-agent`.
    pub fn binary_path() -> PathBuf {
        if let Some(bin) = env::var_os("BANGUI_AGENT_BIN") {
            return PathBuf::from(bin);
        }
        let name = format!("bangui-agent{}", env::consts::EXE_SUFFIX);
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

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the agent listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `path` (e.g. `/api/v1/health`) on this agent; absolute URLs are returned unchanged.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else if path.starts_with('/') {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}/{path}", self.base_url)
        }
    }

    /// The config file the agent was started with.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    /// The agent's state directory (database, session key).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The session token the helpers send as `Authorization: Bearer`, if any.
    pub fn token(&self) -> Option<String> {
        lock_token(&self.token).clone()
    }

    /// Replaces (or with `None` drops) the token the helpers send.
    pub fn set_token(&self, token: Option<String>) {
        *lock_token(&self.token) = token;
    }

    /// `POST /api/v1/setup` with [`TEST_PASSWORD`], then logs in and keeps the token. Runs on a
    /// thread of its own, so it works from sync code and from inside a tokio runtime alike.
    pub fn setup_and_login(&mut self) -> Result<(), HarnessError> {
        let base = self.base_url.clone();
        let http = self.http.clone();
        let token = thread::spawn(move || -> Result<String, String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let setup = http
                    .post(format!("{base}/api/v1/setup"))
                    .json(&serde_json::json!({ "master_password": TEST_PASSWORD }))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if setup.status().as_u16() != 201 {
                    return Err(format!("setup answered {}", setup.status()));
                }
                let login = http
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&serde_json::json!({ "password": TEST_PASSWORD }))
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if login.status().as_u16() != 200 {
                    return Err(format!("login answered {}", login.status()));
                }
                let body: Value = login.json().await.map_err(|e| e.to_string())?;
                body["token"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("login answered no token: {body}"))
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

    /// A request with the helpers' `Authorization: Bearer` token, if one is set.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match self.token() {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Everything the agent wrote to stderr so far (its logs).
    pub fn stderr_text(&self) -> String {
        lock(&self.stderr).clone()
    }

    /// Everything the agent wrote to stdout so far (the readiness line first).
    pub fn stdout_text(&self) -> String {
        lock(&self.stdout).clone()
    }

    /// The agent's pid while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The agent's exit status if it has exited (without waiting).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }

    /// SIGTERM and wait up to 5 s (then SIGKILL); returns the exit status.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.child
            .take()
            .and_then(|mut child| process::terminate(&mut child, process::TERM_GRACE))
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::kill(&mut child);
        }
    }

    /// The HTTP client the helpers use (no proxy, 30 s timeout), for requests they don't cover;
    /// it sends no token by itself (see [`request`](Self::request)).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `GET path`
    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(Method::GET, path)).await
    }

    /// `POST path` without a body.
    pub async fn post(&self, path: &str) -> Response {
        self.send(self.request(Method::POST, path)).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    /// `DELETE path` without a body.
    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// `DELETE path` with a JSON body.
    pub async fn delete_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::DELETE, path).json(body))
            .await
    }

    /// `POST path` with a body sent as is (e.g. malformed JSON) and the given `Content-Type`.
    pub async fn post_raw(&self, path: &str, body: &str, content_type: &str) -> Response {
        self.raw(Method::POST, path, body, content_type).await
    }

    /// Any method with a body sent as is and the given `Content-Type`.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: &str,
        content_type: &str,
    ) -> Response {
        let request = self
            .request(method, path)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_owned());
        self.send(request).await
    }

    /// Sends a request built on [`http`](Self::http) and reads the whole response; panics with
    /// the agent's stderr when the request fails at the transport level.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let described = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| format!("{} {}", r.method(), r.url()))
            .unwrap_or_else(|| "request".to_owned());
        let result = match request.send().await {
            Ok(response) => Response::read(response).await,
            Err(e) => Err(e),
        };
        result.unwrap_or_else(|e| {
            panic!(
                "HTTP {described} failed: {e}\n--- agent stderr:\n{}",
                process::tail(&self.stderr_text(), 40)
            )
        })
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.stop();
    }
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

/// The address in `bangui-agent listening on http://127.0.0.1:PORT`.
fn parse_ready_line(line: &str) -> Option<SocketAddr> {
    let url = line.trim().strip_prefix(READY_PREFIX)?;
    url.strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?
        .trim_end_matches('/')
        .parse()
        .ok()
}

/// A thread copying `stream` line by line into `sink` (and to our stderr when `echo`); the first
/// readiness line also goes to `ready`.
fn drain(
    stream: impl Read + Send + 'static,
    sink: Arc<Mutex<String>>,
    echo: bool,
    mut ready: Option<mpsc::Sender<String>>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if echo {
                eprintln!("{line}");
            }
            if line.starts_with(READY_PREFIX) {
                if let Some(ready) = ready.take() {
                    let _ = ready.send(line.clone());
                }
            }
            let mut sink = lock(&sink);
            sink.push_str(&line);
            sink.push('\n');
        }
    })
}

/// Waits up to a second for an output thread, so a failure message has the last lines.
fn join_briefly(handle: JoinHandle<()>) {
    let deadline = Instant::now() + Duration::from_secs(1);
    while !handle.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    if handle.is_finished() {
        let _ = handle.join();
    }
}

fn lock(text: &Mutex<String>) -> std::sync::MutexGuard<'_, String> {
    text.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn lock_token(token: &Mutex<Option<String>>) -> std::sync::MutexGuard<'_, Option<String>> {
    token.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
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

    #[test]
    fn parses_the_readiness_line() {
        assert_eq!(
            parse_ready_line("bangui-agent listening on http://127.0.0.1:8650"),
            Some("127.0.0.1:8650".parse().unwrap())
        );
        assert_eq!(
            parse_ready_line("bangui-agent listening on http://[::1]:80/\n"),
            Some("[::1]:80".parse().unwrap())
        );
        assert_eq!(parse_ready_line("something else"), None);
    }
}
