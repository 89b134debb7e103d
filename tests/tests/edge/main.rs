//! End-to-end tests of the edge shape: the dev host runs the workspace's `spin.toml` with the
//! built components, two agents each with a real fail2ban-server, mutual TLS between them.
//!
//! Fleets use fixed ports (the ones `spin.toml` allows), so the tests of this binary take
//! [`FLEET`] and run one at a time.

mod fleet_views;
mod routes;
mod sessions;

use tokio::sync::{Mutex, MutexGuard};

/// Held by every test while its fleet runs (an async lock: each test has its own runtime and
/// holds it across awaits; a panicking test releases it as it unwinds).
pub static FLEET: Mutex<()> = Mutex::const_new(());

pub async fn exclusive() -> MutexGuard<'static, ()> {
    FLEET.lock().await
}
