//! `/api/v1/blocklists*`: blocklist sources, imports into the blocklist jail, the import
//! schedule and the import log.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::pagination::Page;
use crate::validate::quoted;

pub use crate::models::history::BLOCKLIST_JAIL;

/// Entries a source may list when it names no `max_entries` of its own.
pub const DEFAULT_MAX_ENTRIES: u32 = 100_000;
/// The most `max_entries` may be.
pub const MAX_MAX_ENTRIES: u32 = 1_000_000;
/// The longest source name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest source URL, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// How the lines of a list are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListFormat {
    /// The first token of each line is the entry; the rest (after whitespace, `;`, `,`, `|` or
    /// a tab) is a comment: plain lists, `ip;comment`, `ip # comment`, `ip<TAB>score`.
    #[default]
    Auto,
    /// Exactly one address or network per line (besides `#`/`;` comments).
    Plain,
}

/// A blocklist source as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistSource {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub format: ListFormat,
    /// The jail the entries are banned in.
    pub jail: String,
    /// Entries beyond this many are not imported (counted as invalid).
    pub max_entries: u32,
    /// Lift the bans of entries that left the list since the last import.
    pub unban_removed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/blocklists`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocklistSourceCreate {
    pub name: String,
    pub url: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub format: ListFormat,
    /// Default [`BLOCKLIST_JAIL`].
    #[serde(default)]
    pub jail: Option<String>,
    /// Default [`DEFAULT_MAX_ENTRIES`] (or the agent's configured default).
    #[serde(default)]
    pub max_entries: Option<u32>,
    #[serde(default = "yes")]
    pub unban_removed: bool,
}

fn yes() -> bool {
    true
}

/// `PUT /api/v1/blocklists/{source_id}`: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlocklistSourceUpdate {
    pub name: Option<String>,
    pub url: Option<String>,
    pub enabled: Option<bool>,
    pub format: Option<ListFormat>,
    pub jail: Option<String>,
    pub max_entries: Option<u32>,
    pub unban_removed: Option<bool>,
}

/// `GET /api/v1/blocklists`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlocklistListResponse {
    pub items: Vec<BlocklistSource>,
    pub total: u64,
}

/// How an import run of one source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Still running (or the agent stopped before it finished and has not restarted yet).
    Running,
    /// Every entry was handled.
    Completed,
    /// The list could not be fetched, or banning stopped early; the next run completes it.
    Failed,
}

impl ImportStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for ImportStatus {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s {
            "running" => Ok(Self::Running),
            "completed" => Ok(Self::Completed),
            "failed" => Ok(Self::Failed),
            _ => Err(ApiError::invalid_input(format!(
                "{} is not an import status",
                quoted(s)
            ))),
        }
    }
}

/// A line of a list that is not an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidLine {
    /// 1-based line number.
    pub line: u64,
    /// The line, cut to 100 characters.
    pub text: String,
    pub reason: String,
}

/// Counts of one parse of a list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Bytes downloaded.
    pub fetched_bytes: u64,
    /// Entries read (after de-duplication and the `max_entries` cap).
    pub valid: u64,
    /// Lines that are neither entries, blank nor comments (plus entries over the cap).
    pub invalid: u64,
    /// Entries that overlap the jail's or the global ignore list: covered by it, or a network
    /// holding an ignored address (skipped whole, never banned over it).
    pub ignored: u64,
    /// Entries listed more than once.
    pub duplicates: u64,
}

/// What one import of one source did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSourceResult {
    pub source_id: i64,
    pub source_name: String,
    /// The import log entry of this run.
    pub log_id: i64,
    pub status: ImportStatus,
    pub jail: String,
    #[serde(flatten)]
    pub counts: ImportCounts,
    /// New bans made by this run.
    pub banned: u64,
    /// Entries that were already banned in the jail.
    pub already_banned: u64,
    /// Bans lifted because their entries left the list.
    pub unbanned: u64,
    /// `banned` (upstream's name).
    pub ips_imported: u64,
    /// `ignored + invalid` (upstream's name).
    pub ips_skipped: u64,
    /// The first few invalid lines.
    pub invalid_samples: Vec<InvalidLine>,
    pub errors: Vec<String>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
}

/// `POST /api/v1/blocklists/import`: one result per enabled source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRunResult {
    pub results: Vec<ImportSourceResult>,
    pub total_banned: u64,
    pub total_unbanned: u64,
    /// Sources whose import failed.
    pub errors: u64,
}

/// `POST /api/v1/blocklists/import` body (optional): import one source only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    pub source_id: Option<i64>,
}

/// How often the scheduled import runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleFrequency {
    Hourly,
    #[default]
    Daily,
    Weekly,
}

/// `PUT /api/v1/blocklists/schedule` and the settings part of [`ScheduleInfo`]. Times are in the
/// agent's configured time zone (`GET /api/v1/setup/timezone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    pub frequency: ScheduleFrequency,
    /// 0–23; ignored for hourly runs.
    #[serde(default = "three")]
    pub hour: u8,
    /// 0–59.
    #[serde(default)]
    pub minute: u8,
    /// 0 = Monday … 6 = Sunday; weekly runs only.
    #[serde(default)]
    pub day_of_week: u8,
}

fn three() -> u8 {
    3
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            frequency: ScheduleFrequency::Daily,
            hour: 3,
            minute: 0,
            day_of_week: 0,
        }
    }
}

impl ScheduleConfig {
    /// Checks the ranges; errors name the field.
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.hour > 23 {
            return Err(ApiError::invalid_field("hour", "hour must be 0-23"));
        }
        if self.minute > 59 {
            return Err(ApiError::invalid_field("minute", "minute must be 0-59"));
        }
        if self.day_of_week > 6 {
            return Err(ApiError::invalid_field(
                "day_of_week",
                "day_of_week must be 0 (Monday) to 6 (Sunday)",
            ));
        }
        Ok(())
    }
}

/// `PUT /api/v1/blocklists/schedule`: the fields present change. Setting any of them turns the
/// schedule on unless the body says `"enabled": false`; an empty body changes nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleUpdate {
    pub enabled: Option<bool>,
    pub frequency: Option<ScheduleFrequency>,
    pub hour: Option<u8>,
    pub minute: Option<u8>,
    pub day_of_week: Option<u8>,
}

impl ScheduleUpdate {
    /// `current` with this update applied (not yet validated).
    pub fn apply(&self, current: &ScheduleConfig) -> ScheduleConfig {
        let sets_time = self.frequency.is_some()
            || self.hour.is_some()
            || self.minute.is_some()
            || self.day_of_week.is_some();
        ScheduleConfig {
            enabled: self.enabled.unwrap_or(current.enabled || sets_time),
            frequency: self.frequency.unwrap_or(current.frequency),
            hour: self.hour.unwrap_or(current.hour),
            minute: self.minute.unwrap_or(current.minute),
            day_of_week: self.day_of_week.unwrap_or(current.day_of_week),
        }
    }
}

/// `GET`/`PUT /api/v1/blocklists/schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleInfo {
    pub config: ScheduleConfig,
    /// The IANA zone the times are in.
    pub timezone: String,
    /// `None` while the schedule is off.
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
}

/// One row of the import log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLogEntry {
    pub id: i64,
    /// `None` once the source is deleted.
    pub source_id: Option<i64>,
    pub source_name: String,
    /// When the run started (upstream's `timestamp`).
    pub timestamp: DateTime<Utc>,
    pub duration_ms: u64,
    pub status: ImportStatus,
    pub fetched_bytes: u64,
    pub valid: u64,
    pub invalid: u64,
    pub ignored: u64,
    pub banned: u64,
    pub unbanned: u64,
    pub ips_imported: u64,
    pub ips_skipped: u64,
    pub errors: Vec<String>,
}

/// `GET /api/v1/blocklists/log`.
pub type ImportLogListResponse = Page<ImportLogEntry>;

/// `GET /api/v1/blocklists/{source_id}/preview`: what an import would read, banning nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewResponse {
    pub source_id: i64,
    /// The first `?limit=` entries (default 50, at most 500), ignored ones excluded.
    pub entries: Vec<String>,
    #[serde(flatten)]
    pub counts: ImportCounts,
    pub valid_count: u64,
    pub invalid_count: u64,
    pub ignored_count: u64,
    pub invalid_samples: Vec<InvalidLine>,
}

impl fmt::Display for ListFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Plain => "plain",
        })
    }
}

impl FromStr for ListFormat {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s {
            "auto" => Ok(Self::Auto),
            "plain" => Ok(Self::Plain),
            _ => Err(ApiError::invalid_field(
                "format",
                format!("{} is not a list format (auto, plain)", quoted(s)),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_defaults_and_unknown_fields() {
        let c: BlocklistSourceCreate =
            serde_json::from_str(r#"{"name":"a","url":"https://example.org/l.txt"}"#).unwrap();
        assert!(c.enabled && c.unban_removed);
        assert_eq!(c.format, ListFormat::Auto);
        assert!(serde_json::from_str::<BlocklistSourceCreate>(
            r#"{"name":"a","url":"u","colour":1}"#
        )
        .is_err());
    }

    #[test]
    fn schedule_ranges() {
        let mut s = ScheduleConfig::default();
        assert!(s.validate().is_ok());
        s.hour = 24;
        assert_eq!(s.validate().unwrap_err().status(), 400);
        s.hour = 0;
        s.day_of_week = 7;
        assert!(s.validate().is_err());
    }

    #[test]
    fn schedule_updates_merge() {
        let off = ScheduleConfig::default();
        assert_eq!(ScheduleUpdate::default().apply(&off), off);
        let weekly: ScheduleUpdate =
            serde_json::from_str(r#"{"frequency":"weekly","day_of_week":2}"#).unwrap();
        let on = weekly.apply(&off);
        assert!(on.enabled);
        assert_eq!(
            (on.frequency, on.day_of_week, on.hour),
            (ScheduleFrequency::Weekly, 2, 3)
        );
        let stop: ScheduleUpdate = serde_json::from_str(r#"{"enabled":false}"#).unwrap();
        let stopped = stop.apply(&on);
        assert!(!stopped.enabled);
        assert_eq!(stopped.frequency, ScheduleFrequency::Weekly);
    }

    #[test]
    fn format_and_status_round_trip() {
        for f in [ListFormat::Auto, ListFormat::Plain] {
            assert_eq!(f.to_string().parse::<ListFormat>().unwrap(), f);
        }
        for s in [
            ImportStatus::Running,
            ImportStatus::Completed,
            ImportStatus::Failed,
        ] {
            assert_eq!(s.as_str().parse::<ImportStatus>().unwrap(), s);
        }
    }
}
