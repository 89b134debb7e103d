//! Helpers of the service tests: sandbox + agent, the sandbox's files, polling and error bodies
//! (fail2ban's own state is read with `Fail2ban::get_value` and `Fail2ban::log_level`).

use std::path::PathBuf;

use bangui_tests::Fail2ban;
pub use bangui_tests::{assert_field_error, poll_until, POLL_TIMEOUT};

/// A private fail2ban and an agent talking to it.
pub use bangui_tests::sandbox_with_agent as start;

/// The sandbox's pid file (`DIR/run/f2b.pid`, as the harness starts the server).
pub fn pid_file(f2b: &Fail2ban) -> PathBuf {
    f2b.dir().join("run").join("f2b.pid")
}

pub fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
