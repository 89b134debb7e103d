//! `GET /api/v1/config/service-status` and `GET /api/v1/config/fail2ban-log`: the fail2ban
//! service as a process, and its own log.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailCounts {
    /// Jails the configuration enables.
    pub total: u64,
    /// Jails running now.
    pub active: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHealth {
    /// True when SQLite's `PRAGMA quick_check` answers `ok`.
    pub ok: bool,
    /// What `quick_check` said.
    pub quick_check: String,
    pub schema_version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    pub version: String,
    pub store: StoreHealth,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceStatusResponse {
    /// Always true in a 200 answer (an unreachable fail2ban is a 502).
    pub running: bool,
    pub version: String,
    /// From the pid file; `None` when it cannot be read.
    pub pid: Option<u32>,
    /// When the process started (RFC 3339 UTC), from `/proc/<pid>/stat`.
    pub started_at: Option<String>,
    pub uptime_seconds: Option<u64>,
    pub socket: String,
    pub db_file: Option<String>,
    /// Seconds.
    pub db_purge_age: i64,
    pub log_target: String,
    pub log_level: String,
    pub jails: JailCounts,
    /// Sums over the running jails.
    pub currently_banned: u64,
    pub currently_failed: u64,
    pub agent: AgentInfo,
}

/// One line of fail2ban's log. A line that continues the entry before it (a traceback, a
/// multi-line message) carries that entry's level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub text: String,
    pub level: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fail2BanLogResponse {
    /// The log file (fail2ban's `logtarget`).
    pub log_target: String,
    /// Oldest first.
    pub lines: Vec<LogLine>,
    /// True when older lines were left out (line or size cap).
    pub truncated: bool,
    /// Pass back as `?cursor=` to get only the lines written after these.
    pub cursor: String,
    /// True when the given cursor no longer applied (the log was rotated or truncated): the
    /// lines are the tail of the new file.
    pub reset: bool,
}
