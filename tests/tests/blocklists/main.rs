//! End-to-end tests of `/api/v1/blocklists*`: a real fail2ban-server, the real agent, and list
//! servers on loopback addresses (allowlisted explicitly where a test fetches from them). No
//! test sends traffic outside 127.0.0.0/8 and ::1.

mod common;
mod fetching;
mod importing;
mod routes;
mod schedule;
mod server;
