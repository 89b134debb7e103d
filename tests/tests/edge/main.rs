//! End-to-end tests of the edge shape: the dev host runs the workspace's `spin.toml` with the
//! built components, two agents each with a real fail2ban-server, mutual TLS between them.
//!
//! Each test starts its own fleet on free ports of the range `spin.toml` allows, so they run
//! concurrently.

mod fleet_views;
mod relay;
mod routes;
mod sessions;
