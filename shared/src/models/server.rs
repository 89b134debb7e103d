//! `/api/v1/server`: fail2ban's server-wide settings.

use serde::{Deserialize, Serialize};

/// fail2ban's log levels, as `set loglevel` accepts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    Critical,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
    Tracedebug,
    Heavydebug,
}

impl LogLevel {
    pub const ALL: &'static [LogLevel] = &[
        Self::Critical,
        Self::Error,
        Self::Warning,
        Self::Notice,
        Self::Info,
        Self::Debug,
        Self::Tracedebug,
        Self::Heavydebug,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "CRITICAL",
            Self::Error => "ERROR",
            Self::Warning => "WARNING",
            Self::Notice => "NOTICE",
            Self::Info => "INFO",
            Self::Debug => "DEBUG",
            Self::Tracedebug => "TRACEDEBUG",
            Self::Heavydebug => "HEAVYDEBUG",
        }
    }

    /// Case-insensitive, as fail2ban is.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|l| l.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerSettings {
    pub log_level: String,
    pub log_target: String,
    pub syslog_socket: Option<String>,
    pub db_file: Option<String>,
    /// Seconds after which fail2ban purges bans from its database.
    pub db_purge_age: i64,
    pub db_max_matches: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerSettingsResponse {
    pub settings: ServerSettings,
    /// Things an admin should know, e.g. a purge age that loses history.
    pub warnings: Vec<String>,
}

/// `PUT /api/v1/server/settings`: only the fields present are changed; all or nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettingsUpdate {
    #[serde(default)]
    pub log_level: Option<String>,
    /// `STDOUT`, `STDERR`, `SYSLOG`, `SYSTEMD-JOURNAL` or an absolute file path inside an
    /// allowed log directory.
    #[serde(default)]
    pub log_target: Option<String>,
    #[serde(default)]
    pub syslog_socket: Option<String>,
    /// Seconds.
    #[serde(default)]
    pub db_purge_age: Option<i64>,
    #[serde(default)]
    pub db_max_matches: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlushLogsResponse {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_levels_parse_case_insensitively() {
        assert_eq!(LogLevel::parse("debug"), Some(LogLevel::Debug));
        assert_eq!(LogLevel::parse("LOUD"), None);
        for &l in LogLevel::ALL {
            assert_eq!(LogLevel::parse(l.as_str()), Some(l));
        }
    }
}
