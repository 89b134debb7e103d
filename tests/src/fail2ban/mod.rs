//! A private, real `fail2ban-server` per test.
//!
//! Each [`Fail2ban`] copies the stock `/etc/fail2ban` into its own short temp dir
//! (`/tmp/bg-XXXXXX/{etc,run,log,db}`), adds `.local` overrides (polling backend, dummy ban action,
//! jails `sshd`, `f2btest` and the disabled `dormant`) and runs
//! `fail2ban-server -f -x -c DIR/etc -s DIR/run/f2b.sock …` as a child process. It is ready when
//! the server prints `Server ready` (its start-up config stream is applied) and the enabled jails
//! have logged `Jail '…' started`. Several sandboxes run side by side without sharing anything.

mod config;
mod layout;
mod logline;

use std::fs;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

pub use config::DIR_PLACEHOLDER;
pub use logline::LogFormat;

use crate::error::HarnessError;
use crate::process;
use config::{ENABLED_JAILS, STOCK_CONFIG_DIR};
use layout::{Layout, MAX_SOCKET_PATH};

/// How long the server gets to apply its configuration.
const READY_DEADLINE: Duration = Duration::from_secs(15);
/// How often readiness and ban state are polled.
const POLL_INTERVAL: Duration = Duration::from_millis(25);
/// Marks a directory as a sandbox made by this harness, so a persistent `dir` is only reused
/// (and its `etc/` rewritten) when it is ours.
const MARKER_FILE: &str = ".bangui-sandbox";

/// Settings for a sandbox before it starts; see [`Fail2ban::builder`].
#[derive(Debug, Clone, Default)]
pub struct Fail2banBuilder {
    dir: Option<PathBuf>,
    jail_local_extra: String,
}

/// A running, private `fail2ban-server`. Dropping it stops the server (SIGTERM, up to 5 s, then
/// SIGKILL) and removes its temp dir.
#[derive(Debug)]
pub struct Fail2ban {
    layout: Layout,
    /// `None` for a persistent directory (see [`Fail2banBuilder::dir`]).
    _temp: Option<TempDir>,
    child: Option<Child>,
    server_bin: PathBuf,
    client_bin: PathBuf,
}

// === impl Fail2banBuilder ===

impl Fail2banBuilder {
    /// Use (and keep) `dir` instead of a fresh temp dir: for the dev runner. The directory must
    /// be new, empty or an earlier sandbox; its `etc/` is written anew on every start while
    /// `log/` and `db/` are kept. The socket path must stay within 107 bytes.
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = Some(dir.into());
        self
    }

    /// Appends text to `jail.local` (after the built-in jails). Every `@DIR@` in it becomes the
    /// sandbox directory, e.g. `logpath = @DIR@/log/web.log`; log files named in `logpath` lines
    /// inside the sandbox are created empty.
    pub fn jail_local_extra(mut self, text: &str) -> Self {
        if !self.jail_local_extra.is_empty() && !self.jail_local_extra.ends_with('\n') {
            self.jail_local_extra.push('\n');
        }
        self.jail_local_extra.push_str(text);
        self
    }

    /// Starts the server and waits until it is ready; panics with the server's log on failure.
    pub fn start(self) -> Fail2ban {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts the server and waits until it is ready.
    pub fn try_start(self) -> Result<Fail2ban, HarnessError> {
        let (server_bin, client_bin) = find_fail2ban()?;
        let (layout, temp) = match &self.dir {
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("bg-")
                    .tempdir_in("/tmp")
                    .map_err(|e| {
                        HarnessError::new(format!("cannot create a temp dir in /tmp: {e}"))
                    })?;
                (Layout::new(temp.path()), Some(temp))
            }
            Some(dir) => (prepare_persistent_dir(dir)?, None),
        };
        let socket_len = layout.socket().as_os_str().len();
        if socket_len > MAX_SOCKET_PATH {
            return Err(HarnessError::new(format!(
                "socket path {} is {socket_len} bytes, longer than the {MAX_SOCKET_PATH} a Unix socket allows; choose a shorter directory",
                layout.socket().display()
            )));
        }
        config::write_config(&layout, Path::new(STOCK_CONFIG_DIR), &self.jail_local_extra)
            .map_err(|e| {
                HarnessError::new(format!(
                    "cannot write the fail2ban config into {}: {e}",
                    layout.etc().display()
                ))
            })?;
        let mut fail2ban = Fail2ban {
            layout,
            _temp: temp,
            child: None,
            server_bin,
            client_bin,
        };
        fail2ban.spawn(&ENABLED_JAILS)?;
        Ok(fail2ban)
    }
}

/// The paths of `fail2ban-server` and `fail2ban-client`, or the one-line reason they are missing.
fn find_fail2ban() -> Result<(PathBuf, PathBuf), HarnessError> {
    let server = process::find_in_path("fail2ban-server");
    let client = process::find_in_path("fail2ban-client");
    match (server, client) {
        (Some(server), Some(client)) if Path::new(STOCK_CONFIG_DIR).is_dir() => Ok((server, client)),
        _ => Err(HarnessError::new(format!(
            "fail2ban is not installed (need fail2ban-server and fail2ban-client on PATH and {STOCK_CONFIG_DIR}); \
             run the README test command `bash deploy/test.sh` (or `bash deploy/run.sh`), which installs it"
        ))),
    }
}

/// Checks that `dir` may be used as a persistent sandbox and that no server runs there.
fn prepare_persistent_dir(dir: &Path) -> Result<Layout, HarnessError> {
    let layout = Layout::new(dir);
    let marker = dir.join(MARKER_FILE);
    let in_use =
        |e: std::io::Error| HarnessError::new(format!("cannot use {}: {e}", dir.display()));
    if dir.exists() {
        let empty = fs::read_dir(dir).map_err(in_use)?.next().is_none();
        if !empty && !marker.exists() {
            return Err(HarnessError::new(format!(
                "refusing to use {}: it is neither empty nor a sandbox made by this harness (no {MARKER_FILE})",
                dir.display()
            )));
        }
    }
    if UnixStream::connect(layout.socket()).is_ok() {
        return Err(HarnessError::new(format!(
            "a fail2ban-server is already running on {}; stop it first or choose another directory",
            layout.socket().display()
        )));
    }
    fs::create_dir_all(dir).map_err(in_use)?;
    fs::write(
        &marker,
        "made by bangui-tests; etc/ is rewritten on every start\n",
    )
    .map_err(in_use)?;
    Ok(layout)
}

// === impl Fail2ban ===

impl Fail2ban {
    /// A sandbox with only the built-in jails, in a fresh temp dir; panics if it cannot start.
    pub fn start() -> Fail2ban {
        Self::builder().start()
    }

    /// Settings for a sandbox (extra jails, a persistent directory).
    pub fn builder() -> Fail2banBuilder {
        Fail2banBuilder::default()
    }

    /// The sandbox directory.
    pub fn dir(&self) -> &Path {
        self.layout.dir()
    }

    /// `DIR/etc`: the configuration directory (`-c`), what the agent reads and writes.
    pub fn config_dir(&self) -> PathBuf {
        self.layout.etc()
    }

    /// The server's Unix socket.
    pub fn socket(&self) -> PathBuf {
        self.layout.socket()
    }

    /// `DIR/log`: where jail logs and the server log live (the agent's `log_dirs`).
    pub fn log_dir(&self) -> PathBuf {
        self.layout.log()
    }

    /// The log file `jail` watches: `auth.log` (sshd), `app.log` (f2btest), `<jail>.log` else.
    pub fn log_path(&self, jail: &str) -> PathBuf {
        self.layout.jail_log(jail)
    }

    /// fail2ban's own log (`logtarget`).
    pub fn server_log_path(&self) -> PathBuf {
        self.layout.server_log()
    }

    /// fail2ban's SQLite database (`dbfile`).
    pub fn db_path(&self) -> PathBuf {
        self.layout.db_file()
    }

    /// The `fail2ban-client` binary the sandbox uses (found on `PATH`).
    pub fn client_path(&self) -> &Path {
        &self.client_bin
    }

    /// The pid of the running server, `None` after [`kill`](Self::kill) or [`stop`](Self::stop).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Appends `n` failure lines for `ip` (IPv4 or IPv6) with the current local time to the log of
    /// `jail`, in that jail's format ([`LogFormat::for_jail`]). The polling backend notices them
    /// within about a second.
    pub fn fail(&self, jail: &str, ip: &str, n: u32) {
        let path = self.log_path(jail);
        let lines = LogFormat::for_jail(jail).lines(ip, n, &chrono::Local::now());
        append(&path, &lines)
            .unwrap_or_else(|e| panic!("cannot append to {}: {e}", path.display()));
    }

    /// Runs `fail2ban-client -c DIR/etc -s SOCK ARGS…` and returns its exit code (-1 when killed
    /// by a signal) and stdout. fail2ban-client answers 0 on success and 255 on errors.
    pub fn client(&self, args: &[&str]) -> (i32, String) {
        let output = self.client_output(args);
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }

    /// `fail2ban-client ARGS…` stdout; panics unless it exits with 0.
    pub fn client_ok(&self, args: &[&str]) -> String {
        let (code, out) = self.client(args);
        assert_eq!(code, 0, "fail2ban-client {args:?} failed: {out}");
        out
    }

    /// fail2ban's log level (`get loglevel` prints `Current logging level is 'INFO'`).
    pub fn log_level(&self) -> String {
        let out = self.client_ok(&["get", "loglevel"]);
        out.split('\'')
            .nth(1)
            .unwrap_or_else(|| panic!("unexpected `get loglevel` output {out:?}"))
            .to_owned()
    }

    /// The value a `fail2ban-client get …` prints on its last line (`` `- VALUE `` or bare).
    pub fn get_value(&self, args: &[&str]) -> String {
        let out = self.client_ok(args);
        let last = out.lines().last().unwrap_or_default().trim();
        last.strip_prefix("`- ").unwrap_or(last).trim().to_owned()
    }

    /// Like [`client`](Self::client), with stderr and the full exit status.
    pub fn client_output(&self, args: &[&str]) -> Output {
        Command::new(&self.client_bin)
            .arg("-c")
            .arg(self.config_dir())
            .arg("-s")
            .arg(self.socket())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.client_bin.display()))
    }

    /// Whether `ip` is currently banned in `jail` (`fail2ban-client get JAIL banned IP`).
    pub fn is_banned(&self, jail: &str, ip: &str) -> bool {
        let (code, out) = self.client(&["get", jail, "banned", ip]);
        code == 0 && out.trim() == "1"
    }

    /// The addresses currently banned in `jail` (`fail2ban-client get JAIL banip`).
    pub fn banned(&self, jail: &str) -> Vec<String> {
        let (code, out) = self.client(&["get", jail, "banip"]);
        assert_eq!(code, 0, "fail2ban-client get {jail} banip failed: {out}");
        out.split_whitespace().map(str::to_owned).collect()
    }

    /// The jails the server runs, sorted, as `fail2ban-client status` lists them. An error
    /// carrying the client's output when that answer has no jail list (the server is down or
    /// still loading), so a test can poll for it or show why it failed.
    pub fn running_jails(&self) -> Result<Vec<String>, HarnessError> {
        let output = self.client_output(&["status"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let unreadable = || {
            HarnessError::new(format!(
                "`fail2ban-client status` ({}) gave no jail list:\n{stdout}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        };
        if !output.status.success() {
            return Err(unreadable());
        }
        let (_, list) = stdout
            .lines()
            .find_map(|line| line.split_once("Jail list:"))
            .ok_or_else(unreadable)?;
        let mut jails: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|jail| !jail.is_empty())
            .map(str::to_owned)
            .collect();
        jails.sort();
        Ok(jails)
    }

    /// The jails every sandbox enables (`f2btest`, `sshd`), sorted like
    /// [`running_jails`](Self::running_jails) so the two compare directly.
    pub fn builtin_jails() -> Vec<String> {
        let mut jails = ENABLED_JAILS.map(String::from).to_vec();
        jails.sort();
        jails
    }

    /// Waits until `ip` is banned in `jail`; panics after `timeout` with the jail status and the
    /// server log. Blocks the calling thread.
    pub fn wait_banned(&self, jail: &str, ip: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.is_banned(jail, ip) {
            if Instant::now() >= deadline {
                let (_, status) = self.client(&["status", jail]);
                panic!(
                    "{ip} was not banned in jail {jail} within {timeout:?}\n--- status:\n{status}\n--- {}:\n{}\n--- server log:\n{}",
                    self.log_path(jail).display(),
                    process::tail_file(&self.log_path(jail), 10),
                    process::tail_file(&self.server_log_path(), 30),
                );
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, as in a crash: the socket and pid files stay behind.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::kill(&mut child);
        }
    }

    /// SIGTERM and wait (up to 5 s, then SIGKILL): a clean shutdown that removes the socket.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.child
            .take()
            .and_then(|mut child| process::terminate(&mut child, process::TERM_GRACE))
    }

    /// Starts the server again on the same directory and socket (stopping it first if it still
    /// runs) and waits until it is ready; panics with the server's log on failure.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(e) = self.spawn(&[]) {
            panic!("{e}");
        }
    }

    /// The server's exit status if it has exited (without waiting).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }

    /// Spawns the server and waits for `Server ready` plus `Jail '…' started` for every jail of
    /// `jails`, reading only what was written after the spawn.
    fn spawn(&mut self, jails: &[&str]) -> Result<(), HarnessError> {
        let output_path = self.layout.server_output();
        let log_path = self.layout.server_log();
        let offsets = (
            process::file_len(&output_path),
            process::file_len(&log_path),
        );
        let output = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&output_path)
            .map_err(|e| {
                HarnessError::new(format!("cannot open {}: {e}", output_path.display()))
            })?;
        let output_err = output.try_clone().map_err(|e| {
            HarnessError::new(format!("cannot open {}: {e}", output_path.display()))
        })?;
        let child = Command::new(&self.server_bin)
            .args(["-f", "-x", "-c"])
            .arg(self.layout.etc())
            .arg("-s")
            .arg(self.layout.socket())
            .arg("-p")
            .arg(self.layout.pidfile())
            .arg("--logtarget")
            .arg(&log_path)
            .args(["--loglevel", "INFO"])
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(output_err)
            .spawn()
            .map_err(|e| {
                HarnessError::new(format!("cannot run {}: {e}", self.server_bin.display()))
            })?;
        let child = self.child.insert(child);

        let started = Instant::now();
        let failure = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break format!("fail2ban-server exited ({status}) before it was ready");
            }
            if process::read_from(&output_path, offsets.0).contains("Server ready") {
                let log = process::read_from(&log_path, offsets.1);
                if jails
                    .iter()
                    .all(|jail| log.contains(&format!("Jail '{jail}' started")))
                {
                    return Ok(());
                }
            }
            if started.elapsed() >= READY_DEADLINE {
                break format!("fail2ban-server was not ready within {READY_DEADLINE:?}");
            }
            thread::sleep(POLL_INTERVAL);
        };
        if let Some(mut child) = self.child.take() {
            process::kill(&mut child);
        }
        Err(HarnessError::new(format!(
            "{failure} (sandbox {dir})\n--- server output ({out}):\n{out_tail}\n--- server log ({log}):\n{log_tail}",
            dir = self.dir().display(),
            out = output_path.display(),
            out_tail = process::tail(&process::read_from(&output_path, offsets.0), 20),
            log = log_path.display(),
            log_tail = process::tail(&process::read_from(&log_path, offsets.1), 40),
        )))
    }
}

impl Drop for Fail2ban {
    fn drop(&mut self) {
        self.stop();
        // A server that still answers on the socket is not our child: the agent restarted
        // fail2ban (`POST /config/restart` starts a daemon). Stop it too, without panicking.
        if UnixStream::connect(self.socket()).is_ok() {
            let _ = Command::new(&self.client_bin)
                .arg("-s")
                .arg(self.socket())
                .arg("stop")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Appends `text` to the file at `path` in one write.
pub(crate) fn append(path: &Path, text: &str) -> std::io::Result<()> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?
        .write_all(text.as_bytes())
}
