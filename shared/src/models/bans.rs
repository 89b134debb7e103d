//! `/api/v1/bans`: active bans, ban and unban.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One address banned in one jail right now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveBan {
    pub ip: String,
    pub jail: String,
    #[serde(serialize_with = "super::utc_time::option")]
    pub banned_at: Option<DateTime<Utc>>,
    /// `None` for a permanent ban.
    #[serde(serialize_with = "super::utc_time::option")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Ban duration in seconds as fail2ban applied it (with increments); -1 = permanent.
    pub ban_seconds: i64,
    pub permanent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveBanListResponse {
    pub items: Vec<ActiveBan>,
    pub total: u64,
}

/// `POST /api/v1/bans`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    pub ip: String,
    pub jail: String,
}

/// `DELETE /api/v1/bans`: without `jail` (or with `unban_all`) the address is unbanned in every
/// jail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnbanRequest {
    pub ip: String,
    #[serde(default)]
    pub jail: Option<String>,
    #[serde(default)]
    pub unban_all: bool,
}

/// `DELETE /api/v1/bans/all`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnbanAllResponse {
    pub message: String,
    pub count: u64,
}
