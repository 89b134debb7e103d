//! End-to-end tests of the ban archive, the dashboard analytics and geo: real fail2ban-server
//! sandboxes whose jails ban, real fail2ban database files seeded by
//! `bangui_agent::history::seed`, small MaxMind DB files written by `bangui_agent::geo::write`,
//! and the real agent binary.

mod common;

mod geo;
mod live;
mod seeded;
mod statuses;
mod trend;
