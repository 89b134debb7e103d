//! `/api/v1/jails`: running jails, their settings, control commands and ignore lists.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::pagination::Pagination;

/// fail2ban's counters for one jail.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailCounters {
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
}

/// A running jail in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailSummary {
    pub name: String,
    pub running: bool,
    /// Idle as last set through this agent (fail2ban 1.0 cannot report it).
    pub idle: bool,
    #[serde(flatten)]
    pub counters: JailCounters,
    pub ban_time: i64,
    pub find_time: i64,
    pub max_retry: i64,
}

/// `GET /api/v1/jails`: paginated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailListResponse {
    pub items: Vec<JailSummary>,
    pub pagination: Pagination,
}

/// Ban-time increment settings (`bantime.*`); unset values are `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BantimeEscalation {
    pub increment: bool,
    pub factor: Option<String>,
    pub formula: Option<String>,
    pub multipliers: Option<String>,
    pub max_time: Option<i64>,
    pub rnd_time: Option<i64>,
    pub overall_jails: Option<String>,
}

/// The runtime settings of one jail, as the running fail2ban reports them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailDetail {
    pub name: String,
    pub running: bool,
    pub idle: bool,
    #[serde(flatten)]
    pub counters: JailCounters,
    pub log_paths: Vec<String>,
    pub journal_matches: Vec<String>,
    pub fail_regex: Vec<String>,
    pub ignore_regex: Vec<String>,
    pub pref_regex: Option<String>,
    pub date_pattern: Option<String>,
    pub log_encoding: Option<String>,
    pub log_timezone: Option<String>,
    pub use_dns: Option<String>,
    pub ban_time: i64,
    pub find_time: i64,
    pub max_retry: i64,
    pub max_matches: i64,
    pub max_lines: i64,
    pub actions: Vec<String>,
    pub ignore_self: bool,
    pub ignore_command: Option<String>,
    pub bantime_escalation: BantimeEscalation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailDetailResponse {
    pub jail: JailDetail,
    pub ignore_list: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IgnoreListResponse {
    pub jail: String,
    pub ignore_list: Vec<String>,
    pub ignore_self: bool,
}

/// `POST`/`DELETE /api/v1/jails/{name}/ignoreip`: an address or a CIDR network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreIpRequest {
    pub ip: String,
}

/// `POST /api/v1/jails/{name}/idle`: `on` sets the state; without a body the state toggles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdleRequest {
    #[serde(default)]
    pub on: Option<bool>,
}

/// `POST /api/v1/jails/{name}/ignoreself`: `enabled` sets it; without a body it toggles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreSelfRequest {
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// One banned address of a jail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BannedIp {
    pub ip: String,
    #[serde(serialize_with = "super::utc_time::option")]
    pub banned_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "super::utc_time::option")]
    pub expires_at: Option<DateTime<Utc>>,
    pub ban_seconds: i64,
    pub permanent: bool,
}

/// `GET /api/v1/jails/{name}/banned`: paginated, ordered by expiry (soonest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailBannedIpsResponse {
    pub jail: String,
    pub items: Vec<BannedIp>,
    pub pagination: Pagination,
}
