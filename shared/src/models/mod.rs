//! Request and response bodies of the API, as they appear on the wire (snake_case JSON,
//! RFC 3339 UTC timestamps, IPs as strings). Request bodies refuse unknown fields, so a typo is a
//! 422 rather than a silently ignored value.

pub mod auth;
pub mod bans;
pub mod command;
pub mod config_files;
pub mod dashboard;
pub mod geo;
pub mod health;
pub mod history;
pub mod jails;
pub mod server;

pub use command::CommandResponse;
