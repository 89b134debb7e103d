//! End-to-end tests of every route the agent serves: a real `fail2ban-server` and the real
//! `bangui-agent` binary per test, real HTTP. Each test checks the status, the body a client
//! reads, and what really changed inside fail2ban.

mod common;

mod bans;
mod dashboard;
mod health;
mod jails;
mod jails_control;
mod jails_ignore;
mod resilience;
mod routing;
mod server;
