//! fail2ban as a service: restarting the server the way the host runs it, and finding its
//! process (pid file, start time).
//!
//! A restart either runs the configured `restart_command` (e.g. `systemctl restart fail2ban`),
//! or stops the server over the socket, waits until the old process is gone and runs the
//! `start_command` (default `fail2ban-client -c DIR -s SOCK start`). Either way it then polls
//! `ping` until fail2ban answers again or the deadline passes.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::Command as Process;
use tokio::time::{sleep, timeout};

use super::client::Client;
use super::command::Command;
use super::error::Fail2banError;
use crate::f2bconf::merged::Vars;
use crate::f2bconf::tree::Tree;

/// How often the socket is polled while waiting for the server to go or come back.
const POLL: Duration = Duration::from_millis(50);
/// How long a start command's error output is read after it exits (a daemon it started may
/// keep the pipe open).
const OUTPUT_GRACE: Duration = Duration::from_millis(200);
/// fail2ban's default pid file (`fail2ban.conf`).
const DEFAULT_PID_FILE: &str = "/var/run/fail2ban/fail2ban.pid";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestartError {
    /// The stop failed: unreachable (502) or refused by fail2ban (409).
    #[error("{0}")]
    Stop(Fail2banError),
    /// The configured restart command failed while fail2ban kept running (409).
    #[error("{0}")]
    CommandFailed(String),
    /// fail2ban did not answer again in time (503).
    #[error("fail2ban did not answer within {after:?} after the restart{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    NotBack {
        after: Duration,
        detail: Option<String>,
    },
}

/// How to restart the fail2ban server of one socket.
#[derive(Debug, Clone)]
pub struct ServiceControl {
    pub socket: PathBuf,
    /// `fail2ban-client` (for the default start command).
    pub client: PathBuf,
    pub config_dir: PathBuf,
    pub start_command: Option<Vec<String>>,
    pub restart_command: Option<Vec<String>>,
    /// The pid file, when known, to wait for the old process to exit.
    pub pid_file: Option<PathBuf>,
    /// How long fail2ban may take to stop, and then to answer again.
    pub timeout: Duration,
}

impl ServiceControl {
    /// The command that starts the server after a stop.
    pub fn start_argv(&self) -> Vec<String> {
        self.start_command.clone().unwrap_or_else(|| {
            vec![
                self.client.display().to_string(),
                "-c".into(),
                self.config_dir.display().to_string(),
                "-s".into(),
                self.socket.display().to_string(),
                "start".into(),
            ]
        })
    }

    /// Restarts fail2ban and returns how long it took until it answered again.
    pub async fn restart(&self, client: &Client) -> Result<Duration, RestartError> {
        let began = Instant::now();
        let start_failure = match &self.restart_command {
            Some(argv) => {
                client
                    .call(Command::Ping)
                    .await
                    .map_err(RestartError::Stop)?;
                client.close_idle().await;
                run(argv, self.timeout)
                    .await
                    .map_err(RestartError::CommandFailed)?;
                None
            }
            None => {
                let old_pid = self.pid_file.as_deref().and_then(read_pid);
                client
                    .call(Command::Stop)
                    .await
                    .map_err(RestartError::Stop)?;
                // Pooled connections died with the old server.
                client.close_idle().await;
                self.wait_gone(client, old_pid).await?;
                run(&self.start_argv(), self.timeout).await.err()
            }
        };
        let deadline = Instant::now() + self.timeout;
        loop {
            if client.call(Command::Ping).await.is_ok() {
                return Ok(began.elapsed());
            }
            if Instant::now() >= deadline {
                return Err(RestartError::NotBack {
                    after: self.timeout,
                    detail: start_failure,
                });
            }
            sleep(POLL).await;
        }
    }

    /// Waits until the old server no longer answers and its process has exited, so the start
    /// command does not find it still running.
    async fn wait_gone(&self, client: &Client, pid: Option<u32>) -> Result<(), RestartError> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let answering = client.call(Command::Ping).await.is_ok();
            client.close_idle().await;
            let alive = pid.is_some_and(process_alive);
            // Without a pid, the socket file going away is the sign the server has finished.
            if !answering && !alive && (pid.is_some() || !self.socket.exists()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(RestartError::NotBack {
                    after: self.timeout,
                    detail: Some("the old fail2ban server did not exit after stop".into()),
                });
            }
            sleep(POLL).await;
        }
    }
}

/// Runs `argv` (no shell) and waits for it to exit; the error carries its output.
async fn run(argv: &[String], limit: Duration) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("the command is empty".into());
    };
    let mut child = Process::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    let status = match timeout(limit, child.wait()).await {
        Err(_) => return Err(format!("{program} did not finish within {limit:?}")),
        Ok(Err(e)) => return Err(format!("{program} failed: {e}")),
        Ok(Ok(status)) => status,
    };
    if status.success() {
        return Ok(());
    }
    let mut output = Vec::new();
    if let Some(mut stderr) = child.stderr.take() {
        let mut limited = (&mut stderr).take(16 * 1024);
        let _ = timeout(OUTPUT_GRACE, limited.read_to_end(&mut output)).await;
    }
    let text = String::from_utf8_lossy(&output);
    let text: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    Err(format!(
        "{program} exited with {status}{}",
        if text.is_empty() {
            String::new()
        } else {
            format!(": {}", text.join("; "))
        }
    ))
}

/// The pid file: the configured one, else `pidfile` of `fail2ban.conf`/`.local`/`.d`
/// `[Definition]`, else fail2ban's default (blocking: reads the config).
pub fn pid_file(configured: Option<&Path>, config_dir: &Path) -> PathBuf {
    if let Some(p) = configured {
        return p.to_owned();
    }
    Tree::new(config_dir)
        .read("fail2ban")
        .ok()
        .flatten()
        .and_then(|cfg| cfg.get("Definition", "pidfile", &Vars::new()).ok())
        .map(|v| PathBuf::from(v.trim()))
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PID_FILE))
}

/// The pid in a pid file.
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// True while the process exists and is not a zombie.
pub fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat_fields(&stat).map(|f| f.first().copied() != Some("Z")))
        .unwrap_or(false)
}

/// Fields of `/proc/<pid>/stat` after the `(comm)` field, which may itself contain spaces:
/// index 0 is the state, index 19 the start time in clock ticks since boot.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().collect())
}

/// Linux reports process times in USER_HZ, which the kernel fixes at 100 for user space.
const USER_HZ: u64 = 100;

/// How long the process has been running, from `/proc/<pid>/stat` and `/proc/uptime`.
pub fn process_uptime(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let start_ticks: u64 = stat_fields(&stat)?.get(19)?.parse().ok()?;
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let since_boot: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    let started = start_ticks as f64 / USER_HZ as f64;
    Some(Duration::from_secs_f64((since_boot - started).max(0.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_process_is_alive_and_has_an_uptime() {
        let me = std::process::id();
        assert!(process_alive(me));
        let up = process_uptime(me).unwrap();
        assert!(up < Duration::from_secs(24 * 3600), "{up:?}");
        assert!(!process_alive(u32::MAX));
    }

    #[test]
    fn stat_fields_skip_a_comm_with_spaces() {
        let stat = "42 (a) b) S 1 42 42 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0";
        let f = stat_fields(stat).unwrap();
        assert_eq!(f[0], "S");
        assert_eq!(f[19], "12345");
    }

    #[test]
    fn pid_file_comes_from_the_config_then_the_default() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(pid_file(None, dir.path()), PathBuf::from(DEFAULT_PID_FILE));
        std::fs::write(
            dir.path().join("fail2ban.conf"),
            "[Definition]\npidfile = /run/x/f2b.pid\n",
        )
        .unwrap();
        assert_eq!(pid_file(None, dir.path()), PathBuf::from("/run/x/f2b.pid"));
        let own = Path::new("/srv/own.pid");
        assert_eq!(pid_file(Some(own), dir.path()), own);
    }

    #[test]
    fn the_default_start_command_uses_the_client() {
        let s = ServiceControl {
            socket: "/run/f2b.sock".into(),
            client: "fail2ban-client".into(),
            config_dir: "/etc/fail2ban".into(),
            start_command: None,
            restart_command: None,
            pid_file: None,
            timeout: Duration::from_secs(10),
        };
        assert_eq!(
            s.start_argv(),
            [
                "fail2ban-client",
                "-c",
                "/etc/fail2ban",
                "-s",
                "/run/f2b.sock",
                "start"
            ]
        );
    }

    #[tokio::test]
    async fn a_failing_command_reports_its_output() {
        let argv: Vec<String> = ["sh", "-c", "echo broken >&2; exit 3"]
            .map(String::from)
            .to_vec();
        let err = run(&argv, Duration::from_secs(5)).await.unwrap_err();
        assert!(err.contains("broken") && err.contains('3'), "{err}");
        assert!(run(&["true".to_owned()], Duration::from_secs(5))
            .await
            .is_ok());
        let missing = run(&["/nonexistent/x".to_owned()], Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(missing.contains("cannot run"), "{missing}");
    }
}
