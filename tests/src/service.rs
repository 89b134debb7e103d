//! A child process that announces readiness with one stdout line `<prefix><scheme>://<addr>`
//! (the agent and the dev host both do): spawn, wait for the line, confirm the port, keep the
//! output for failure messages, and stop it on drop (SIGTERM, then SIGKILL).

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::error::HarnessError;
use crate::process;

/// How long a service gets to print its readiness line.
const READY_DEADLINE: Duration = Duration::from_secs(30);

/// A running service process.
#[derive(Debug)]
pub struct Service {
    name: String,
    child: Option<Child>,
    addr: SocketAddr,
    base_url: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Service {
    /// Spawns `command` and waits for the stdout line starting with `ready_prefix`, followed by
    /// `http://ADDR` or `https://ADDR`. Output lines are echoed to our stderr when `echo`.
    pub fn spawn(
        name: &str,
        mut command: Command,
        ready_prefix: &str,
        echo: bool,
    ) -> Result<Service, HarnessError> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| HarnessError::new(format!("cannot run {name}: {e}")))?;
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let out = child.stdout.take().expect("stdout is piped");
        let err = child.stderr.take().expect("stderr is piped");
        let prefix = ready_prefix.to_owned();
        let threads = [
            drain(out, Arc::clone(&stdout), echo, Some((prefix, ready_tx))),
            drain(err, Arc::clone(&stderr), echo, None),
        ];

        let started = Instant::now();
        let failure = loop {
            match ready_rx.recv_timeout(Duration::from_millis(50)) {
                Ok(line) => match parse_ready_line(&line, ready_prefix) {
                    Some((scheme, addr)) => {
                        match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                            Ok(_) => {
                                return Ok(Service {
                                    name: name.to_owned(),
                                    child: Some(child),
                                    addr,
                                    base_url: format!("{scheme}://{addr}"),
                                    stdout,
                                    stderr,
                                })
                            }
                            Err(e) => {
                                break format!("{name} announced {addr} but a connect failed: {e}")
                            }
                        }
                    }
                    None => {
                        break format!("cannot read an address from the readiness line {line:?}")
                    }
                },
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        break format!("{name} exited ({status}) before it was ready");
                    }
                    if started.elapsed() >= READY_DEADLINE {
                        break format!(
                            "{name} printed no readiness line within {READY_DEADLINE:?}"
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = process::wait_timeout(&mut child, Duration::from_secs(2));
                    let status = status.map_or("still running".to_owned(), |s| s.to_string());
                    break format!("{name} closed its stdout without a readiness line ({status})");
                }
            }
        };
        process::terminate(&mut child, Duration::from_secs(1));
        for handle in threads {
            join_briefly(handle);
        }
        Err(HarnessError::new(format!(
            "{failure}\n--- stdout:\n{}\n--- stderr:\n{}",
            process::tail(&lock(&stdout), 20),
            process::tail(&lock(&stderr), 60),
        )))
    }

    /// `http://ADDR` or `https://ADDR`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stderr_text(&self) -> String {
        lock(&self.stderr).clone()
    }

    pub fn stdout_text(&self) -> String {
        lock(&self.stdout).clone()
    }

    /// Shared handle on the stderr text (for panic messages of HTTP helpers).
    pub fn stderr_handle(&self) -> Arc<Mutex<String>> {
        Arc::clone(&self.stderr)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The exit status if the process has exited (without waiting).
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

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The scheme and address in `<prefix>http://127.0.0.1:PORT`.
fn parse_ready_line<'a>(line: &'a str, prefix: &str) -> Option<(&'a str, SocketAddr)> {
    let url = line.trim().strip_prefix(prefix)?;
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    Some((scheme, rest.trim_end_matches('/').parse().ok()?))
}

/// A thread copying `stream` line by line into `sink` (and to our stderr when `echo`); the first
/// line starting with the readiness prefix also goes to the channel.
fn drain(
    stream: impl Read + Send + 'static,
    sink: Arc<Mutex<String>>,
    echo: bool,
    mut ready: Option<(String, mpsc::Sender<String>)>,
) -> JoinHandle<()> {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if echo {
                eprintln!("{line}");
            }
            if ready
                .as_ref()
                .is_some_and(|(p, _)| line.starts_with(p.as_str()))
            {
                if let Some((_, tx)) = ready.take() {
                    let _ = tx.send(line.clone());
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

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines_parse() {
        let p = "bangui-agent listening on ";
        assert_eq!(
            parse_ready_line("bangui-agent listening on http://127.0.0.1:8650", p),
            Some(("http", "127.0.0.1:8650".parse().unwrap()))
        );
        assert_eq!(
            parse_ready_line("bangui-agent listening on https://[::1]:80/\n", p),
            Some(("https", "[::1]:80".parse().unwrap()))
        );
        assert_eq!(parse_ready_line("something else", p), None);
        assert_eq!(
            parse_ready_line("bangui-agent listening on ftp://1.2.3.4:5", p),
            None
        );
    }
}
