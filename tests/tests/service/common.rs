//! Helpers of the service tests: sandbox + agent, fail2ban state read with `fail2ban-client`,
//! polling and error bodies.

use std::path::PathBuf;
use std::time::Duration;

pub use bangui_tests::{assert_field_error, poll_until};
use bangui_tests::{Agent, Fail2ban};

pub const POLL_TIMEOUT: Duration = Duration::from_secs(10);

pub fn start() -> (Fail2ban, Agent) {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    (f2b, agent)
}

/// The last value line of a `fail2ban-client get …` answer (`` `- VALUE `` or bare).
pub fn get_value(f2b: &Fail2ban, args: &[&str]) -> String {
    let out = f2b.client_ok(args);
    let last = out.lines().last().unwrap_or_default().trim();
    last.strip_prefix("`- ").unwrap_or(last).trim().to_owned()
}

/// fail2ban's log level (`Current logging level is 'INFO'`).
pub fn log_level(f2b: &Fail2ban) -> String {
    let out = f2b.client_ok(&["get", "loglevel"]);
    out.split('\'').nth(1).unwrap_or_default().to_owned()
}

/// The sandbox's pid file (`DIR/run/f2b.pid`, as the harness starts the server).
pub fn pid_file(f2b: &Fail2ban) -> PathBuf {
    f2b.dir().join("run").join("f2b.pid")
}

pub fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
