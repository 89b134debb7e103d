//! Request and response bodies of the API, as they appear on the wire (snake_case JSON,
//! RFC 3339 UTC timestamps, IPs as strings). Request bodies refuse unknown fields, so a typo is a
//! 422 rather than a silently ignored value.

pub mod auth;
pub mod bans;
pub mod command;
pub mod health;
pub mod jails;
pub mod server;

pub use command::CommandResponse;
