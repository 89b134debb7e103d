//! End-to-end test harness for BanGUI edge: real processes, no mocks.
//!
//! - [`Fail2ban`]: a private `fail2ban-server` per test in its own short temp dir (polling backend,
//!   dummy ban action, jails `sshd`, `f2btest` and the disabled `dormant`), with helpers to write
//!   failure lines and to ask `fail2ban-client` what it banned.
//! - [`Agent`]: the real `bangui-agent` binary bound to `127.0.0.1:0`, started against a
//!   [`Fail2ban`], with small HTTP helpers returning a [`Response`].
//! - [`FailureGenerator`]: a thread appending failure lines for random documentation-range
//!   addresses (used by the `bangui-dev` runner).
//!
//! Everything here is synchronous except the HTTP helpers, so it can be used from plain `#[test]`
//! functions and from `#[tokio::test]` alike. Starting a process waits for its readiness signal;
//! if the process exits first or a deadline passes, the call fails with the process's output.
//! Dropping a handle sends SIGTERM, waits up to 5 s, then sends SIGKILL.
#![forbid(unsafe_code)]

pub mod agent;
pub mod api;
pub mod bench;
pub mod devhost;
pub mod error;
pub mod fail2ban;
pub mod failgen;
pub mod fleet;
pub mod http;
mod process;
pub mod relay;
pub mod service;
pub mod signals;

pub use agent::{sandbox_with_agent, Agent, AgentConfig, TEST_PASSWORD};
pub use api::ApiClient;
pub use devhost::{DevHost, DevHostConfig};
pub use error::HarnessError;
pub use fail2ban::{Fail2ban, Fail2banBuilder, LogFormat};
pub use failgen::{FailureGenerator, FailureTarget};
pub use fleet::{Fleet, FleetOptions, Member};
pub use http::{
    assert_error, assert_field_error, assert_status, poll_until, Response, POLL_TIMEOUT,
};
pub use service::Service;

/// Copies the directory tree `from` to `to` (created), for tests that need a writable copy of a
/// fixture tree such as `/etc/fail2ban` or fail2ban's sample logs.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    for e in entries.flatten() {
        let target = to.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target)
                .unwrap_or_else(|err| panic!("{}: {err}", e.path().display()));
        }
    }
}
