//! End-to-end tests of the agent's security layer: setup, login, sessions, limits, CSRF, the
//! audit log and the listener — against the real agent binary and a real fail2ban-server.

mod common;

mod audit;
mod csrf;
mod edge;
mod limits;
mod listener;
mod login;
mod sessions;
mod setup;
