//! Asking fail2ban itself: `fail2ban-client -c DIR -d` reads the whole configuration with
//! fail2ban's own reader and prints the config stream. A configuration it cannot read, or a jail
//! it skips (`config-error`), is refused before anything is reloaded.

use std::path::Path;
use std::process::{Command, Stdio};

use super::pyrepr::{parse_repr, PyVal};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    #[error("cannot run {client}: {reason}")]
    Spawn { client: String, reason: String },
    #[error("cannot read the output of fail2ban-client -d, line {line}: {reason}")]
    Output { line: usize, reason: String },
}

/// What `fail2ban-client -d` said about a config directory.
#[derive(Debug, Clone)]
pub struct Dump {
    /// Exit status 0.
    pub success: bool,
    pub stream: Vec<PyVal>,
    /// `ERROR`/`WARNING` messages from its log output, without time stamps.
    pub messages: Vec<String>,
}

impl Dump {
    /// `config-error` entries: jails fail2ban would skip.
    pub fn config_errors(&self) -> Vec<String> {
        self.stream
            .iter()
            .filter_map(|c| match c {
                PyVal::List(items)
                    if items.first().and_then(PyVal::as_str) == Some("config-error") =>
                {
                    items.get(1).and_then(PyVal::as_str).map(str::to_owned)
                }
                _ => None,
            })
            .collect()
    }

    /// The error messages (fatal ones first).
    pub fn errors(&self) -> Vec<String> {
        self.messages
            .iter()
            .filter(|m| m.starts_with("ERROR"))
            .map(|m| m.trim_start_matches("ERROR").trim().to_owned())
            .collect()
    }

    /// Jail names the stream starts.
    pub fn started_jails(&self) -> Vec<String> {
        self.stream
            .iter()
            .filter_map(|c| match c {
                PyVal::List(items) if items.len() == 2 && items[0].as_str() == Some("start") => {
                    items[1].as_str().map(str::to_owned)
                }
                _ => None,
            })
            .collect()
    }
}

/// How a stream built by the agent agrees with fail2ban's own.
#[derive(Debug, Clone, Default)]
pub struct Agreement {
    /// Commands in fail2ban's stream.
    pub theirs: usize,
    /// Commands in ours.
    pub ours: usize,
    /// Commands equal at the same position.
    pub equal: usize,
    /// The first differences: (position, ours, theirs) as Python `repr`.
    pub differences: Vec<(usize, String, String)>,
}

impl Agreement {
    pub fn is_exact(&self) -> bool {
        self.theirs == self.ours && self.equal == self.theirs
    }
}

/// Compares two streams command by command.
pub fn compare(ours: &[PyVal], theirs: &[PyVal]) -> Agreement {
    let mut a = Agreement {
        theirs: theirs.len(),
        ours: ours.len(),
        ..Agreement::default()
    };
    for i in 0..ours.len().max(theirs.len()) {
        match (ours.get(i), theirs.get(i)) {
            (Some(x), Some(y)) if x == y => a.equal += 1,
            (x, y) => {
                if a.differences.len() < 20 {
                    let show = |v: Option<&PyVal>| {
                        v.map(ToString::to_string)
                            .unwrap_or_else(|| "(none)".into())
                    };
                    a.differences.push((i, show(x), show(y)));
                }
            }
        }
    }
    a
}

/// Runs `CLIENT -c DIR -d` (blocking; a fraction of a second).
pub fn dump(client: &Path, dir: &Path) -> Result<Dump, ValidateError> {
    let output = Command::new(client)
        .arg("-c")
        .arg(dir)
        .arg("-d")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| ValidateError::Spawn {
            client: client.display().to_string(),
            reason: e.to_string(),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut stream = Vec::new();
    let mut messages = Vec::new();
    for (i, line) in stdout.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with('[') {
            messages.push(strip_log_prefix(line));
            continue;
        }
        stream.push(parse_repr(line).map_err(|e| ValidateError::Output {
            line: i + 1,
            reason: e.to_string(),
        })?);
    }
    messages.extend(
        stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(strip_log_prefix),
    );
    Ok(Dump {
        success: output.status.success(),
        stream,
        messages,
    })
}

/// `2026-11-29 06:05:05,638 fail2ban.configreader [8274]: WARNING 'x' ...` → `WARNING 'x' ...`.
fn strip_log_prefix(line: &str) -> String {
    match line.find("]: ") {
        Some(p) => line[p + 3..].trim().to_owned(),
        None => line.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_prefix_is_removed() {
        assert_eq!(
            strip_log_prefix("2026-11-29 06:05:05,643 fail2ban.jailreader     [8274]: WARNING Have not found any log file for sshd jail"),
            "WARNING Have not found any log file for sshd jail"
        );
    }
}
