//! The result body of a command route (ban, unban, start, stop, ...).

use serde::{Deserialize, Serialize};

/// `{"message", "success", "jail"}` plus what the command touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandResponse {
    pub message: String,
    pub success: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// How many bans (or entries) the command changed, where fail2ban reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// A state the command left behind (e.g. idle on/off), where it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

impl CommandResponse {
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            success: true,
            jail: None,
            ip: None,
            count: None,
            enabled: None,
        }
    }

    pub fn jail(mut self, jail: impl Into<String>) -> Self {
        self.jail = Some(jail.into());
        self
    }

    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    pub fn enabled(mut self, enabled: bool) -> Self {
        self.enabled = Some(enabled);
        self
    }
}
