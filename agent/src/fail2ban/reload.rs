//! Jail (re)loading through `fail2ban-client`.
//!
//! A reload over the bare socket must carry the jail's whole interpolated config stream (an empty
//! stream deletes the jail), and only fail2ban's own config reader builds that stream today, so
//! the agent runs `fail2ban-client -c DIR -s SOCK reload ...`. The client validates the config
//! before sending anything: an invalid config leaves the running jails untouched.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use bangui_shared::validate::JailName;
use tokio::process::Command as Process;
use tokio::time::timeout;

use super::error::Fail2banError;

/// Which jails a reload covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadTarget {
    All,
    Jail(JailName),
    /// Load a jail that is not running (fail2ban adds it if the config enables it).
    StartJail(JailName),
}

#[derive(Debug, Clone)]
pub struct Reloader {
    pub client: PathBuf,
    pub config_dir: PathBuf,
    pub socket: PathBuf,
    pub timeout: Duration,
}

impl Reloader {
    /// Tests the whole configuration (`fail2ban-client -t`) and then reloads. A reload alone
    /// would skip a broken jail silently — and stop it if it was running — so nothing is sent
    /// to fail2ban unless every jail's config reads cleanly.
    pub async fn reload(&self, target: &ReloadTarget) -> Result<(), Fail2banError> {
        let mut test = self.command();
        test.arg("-t");
        self.run(test).await.map_err(|e| match e {
            Fail2banError::ClientFailed(m) => Fail2banError::ClientFailed(m.replacen(
                "fail2ban-client reload failed",
                "the fail2ban configuration does not load, nothing was reloaded",
                1,
            )),
            other => other,
        })?;
        let mut cmd = self.command();
        cmd.arg("reload");
        match target {
            ReloadTarget::All => {}
            ReloadTarget::Jail(jail) => {
                cmd.arg(jail.as_str());
            }
            ReloadTarget::StartJail(jail) => {
                cmd.arg("--if-exists").arg(jail.as_str());
            }
        }
        self.run(cmd).await
    }

    fn command(&self) -> Process {
        let mut cmd = Process::new(&self.client);
        cmd.arg("-c")
            .arg(&self.config_dir)
            .arg("-s")
            .arg(&self.socket);
        cmd
    }

    async fn run(&self, mut cmd: Process) -> Result<(), Fail2banError> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| {
            Fail2banError::ClientFailed(format!("cannot run {}: {e}", self.client.display()))
        })?;
        let output = match timeout(self.timeout, child.wait_with_output()).await {
            Err(_) => {
                return Err(Fail2banError::Timeout {
                    command: "fail2ban-client".into(),
                    after: self.timeout,
                })
            }
            Ok(Err(e)) => return Err(Fail2banError::ClientFailed(e.to_string())),
            Ok(Ok(output)) => output,
        };
        if output.status.success() {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        Err(classify(&text, &self.socket))
    }
}

/// Turns `fail2ban-client`'s error output into an error, keeping only its messages.
fn classify(output: &str, socket: &std::path::Path) -> Fail2banError {
    let messages: Vec<&str> = output
        .lines()
        .map(strip_log_prefix)
        .filter(|l| {
            !l.is_empty()
                && *l != "Init of command line failed"
                && *l != "ERROR: test configuration failed"
        })
        .collect();
    let text = messages.join("; ");
    if let Some(jail) = text
        .split("No section: '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
    {
        return Fail2banError::JailNotConfigured(jail.to_owned());
    }
    if text.contains("Could not find server") || text.contains("Failed to access socket") {
        return Fail2banError::Unreachable {
            socket: socket.to_owned(),
            reason: text,
        };
    }
    if text.is_empty() {
        return Fail2banError::ClientFailed(
            "fail2ban-client reload failed without a message".into(),
        );
    }
    Fail2banError::ClientFailed(format!("fail2ban-client reload failed: {text}"))
}

/// `2026-11-29 05:43:22,478 fail2ban   [5798]: ERROR   Failed ...` → `Failed ...`.
fn strip_log_prefix(line: &str) -> &str {
    let line = line.trim();
    for level in ["ERROR", "WARNING", "CRITICAL", "NOTICE", "INFO"] {
        if let Some(pos) = line.find(&format!("]: {level}")) {
            return line[pos + 3 + level.len()..].trim();
        }
    }
    line.strip_prefix("ERROR:").map(str::trim).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_section_names_the_jail() {
        let out = "2026-11-29 05:43:22,478 fail2ban                [5798]: ERROR   Failed during configuration: No section: 'nosuch'\n2026-11-29 05:43:22,528 fail2ban                [5799]: ERROR   NOK: ('nosuch',)\n";
        match classify(out, std::path::Path::new("/s")) {
            Fail2banError::JailNotConfigured(j) => assert_eq!(j, "nosuch"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_server_is_unreachable() {
        let out = "2026-11-29 05:45:05,765 fail2ban [7094]: ERROR   Could not find server\n";
        assert!(classify(out, std::path::Path::new("/s")).is_unreachable());
    }

    #[test]
    fn other_errors_keep_the_message_without_log_prefixes() {
        let out = "2026-11-29 05:45:05,765 fail2ban [7094]: ERROR   NOK: ('f2btest',)\n";
        let e = classify(out, std::path::Path::new("/s"));
        assert_eq!(
            e.to_string(),
            "fail2ban-client reload failed: NOK: ('f2btest',)"
        );
    }
}
