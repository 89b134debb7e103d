//! Helpers of the service tests: sandbox + agent, fail2ban state read with `fail2ban-client`,
//! polling and error bodies.

use std::path::PathBuf;

use bangui_tests::Fail2ban;
pub use bangui_tests::{assert_field_error, poll_until, POLL_TIMEOUT};

/// A private fail2ban and an agent talking to it.
pub use bangui_tests::sandbox_with_agent as start;

/// The last value line of a `fail2ban-client get …` answer (`` `- VALUE `` or bare).
pub fn get_value(f2b: &Fail2ban, args: &[&str]) -> String {
    let out = f2b.client_ok(args);
    let last = out.lines().last().unwrap_or_default().trim();
    last.strip_prefix("`- ").unwrap_or(last).trim().to_owned()
}

/// The sandbox's pid file (`DIR/run/f2b.pid`, as the harness starts the server).
pub fn pid_file(f2b: &Fail2ban) -> PathBuf {
    f2b.dir().join("run").join("f2b.pid")
}

pub fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
