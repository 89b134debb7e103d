//! Request and response bodies of the API, as they appear on the wire (snake_case JSON,
//! RFC 3339 UTC timestamps, IPs as strings). Request bodies refuse unknown fields, so a typo is a
//! 422 rather than a silently ignored value.

pub mod auth;
pub mod bans;
pub mod blocklists;
pub mod command;
pub mod config_files;
pub mod config_global;
pub mod dashboard;
pub mod geo;
pub mod health;
pub mod history;
pub mod jails;
pub mod map;
pub mod regex;
pub mod server;
pub mod service;
pub mod utc_time;

pub use command::CommandResponse;
