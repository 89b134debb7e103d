//! `GET/PUT /api/v1/config/global`: fail2ban's global settings as its files set them
//! (`fail2ban.conf`/`.local`/`.d` `[Definition]` and the jail defaults of `jail.conf`/`.local`/`.d`
//! `[DEFAULT]`), next to what the running server uses now.

use serde::{Deserialize, Serialize};

use super::server::ServerSettings;

/// The effective values of the configuration files (after `.local`/`.d` merging and
/// interpolation); `None` when no file sets the key. Times are as written (`10m`, `1d`, `-1`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GlobalConfig {
    pub log_level: Option<String>,
    pub log_target: Option<String>,
    pub db_file: Option<String>,
    pub db_purge_age: Option<String>,
    pub db_max_matches: Option<i64>,
    pub ban_time: Option<String>,
    pub find_time: Option<String>,
    pub max_retry: Option<i64>,
    pub ban_action: Option<String>,
    pub ignore_ip: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalConfigResponse {
    /// What the files say (what a restart would use).
    pub config: GlobalConfig,
    /// What the running server uses now (`db_purge_age` in seconds).
    pub runtime: ServerSettings,
    /// Jail defaults (`ban_time`, `find_time`, `max_retry`, `ban_action`, `ignore_ip`) take
    /// effect when the jails are reloaded (`POST /api/v1/config/reload`).
    pub applies_at_reload: Vec<String>,
}

/// `PUT /api/v1/config/global`: only the fields present change. Server settings are written to
/// `fail2ban.local` and applied to the running server; jail defaults are written to
/// `jail.local` `[DEFAULT]` and apply at the next reload. All or nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalConfigUpdate {
    /// `CRITICAL`, `ERROR`, `WARNING`, `NOTICE`, `INFO`, `DEBUG`, `TRACEDEBUG`, `HEAVYDEBUG`
    /// or a number.
    #[serde(default)]
    pub log_level: Option<String>,
    /// `STDOUT`, `STDERR`, `SYSLOG`, `SYSTEMD-JOURNAL` or an absolute file path inside an
    /// allowed log directory.
    #[serde(default)]
    pub log_target: Option<String>,
    #[serde(default)]
    pub db_purge_age: Option<TimeValue>,
    #[serde(default)]
    pub db_max_matches: Option<i64>,
    #[serde(default)]
    pub ban_time: Option<TimeValue>,
    #[serde(default)]
    pub find_time: Option<TimeValue>,
    #[serde(default)]
    pub max_retry: Option<i64>,
    /// The name of an action in `action.d/`.
    #[serde(default)]
    pub ban_action: Option<String>,
    /// Addresses, networks or host names.
    #[serde(default)]
    pub ignore_ip: Option<Vec<String>>,
}

/// A fail2ban time as sent: a number of seconds or text (`10m`, `1h 30m`, `1d`, `-1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeValue {
    Seconds(i64),
    Text(String),
}

impl TimeValue {
    /// The value as it is written to a config file.
    pub fn to_text(&self) -> String {
        match self {
            Self::Seconds(n) => n.to_string(),
            Self::Text(t) => t.trim().to_owned(),
        }
    }
}

/// The jail-default fields of [`GlobalConfigUpdate`], which apply at reload.
pub const JAIL_DEFAULT_FIELDS: [&str; 5] = [
    "ban_time",
    "find_time",
    "max_retry",
    "ban_action",
    "ignore_ip",
];

/// Response header of `PUT /config/global` naming the changed fields that need a reload.
pub const RELOAD_REQUIRED_HEADER: &str = "x-fail2ban-reload-required";
