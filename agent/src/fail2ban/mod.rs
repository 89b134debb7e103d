//! Talking to fail2ban: the pickle codec, the socket client, typed commands and replies, and
//! jail reloads through `fail2ban-client`.
pub mod client;
pub mod codec;
pub mod command;
pub mod error;
pub mod queries;
pub mod reload;
pub mod reply;
pub mod service;

pub use client::Client;
pub use command::{Command, JailKey, ServerKey};
pub use error::Fail2banError;
pub use reload::{ReloadTarget, Reloader};
