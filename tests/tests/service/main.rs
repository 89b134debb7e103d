//! End-to-end tests of `/api/v1/config` outside the file editors: global settings, reload,
//! restart, fail2ban's log, service status and the map colour thresholds. Each test runs a
//! real `fail2ban-server` sandbox and the real agent binary.

mod common;

mod global;
mod lifecycle;
mod log;
mod status;
