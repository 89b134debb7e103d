//! `/api/v1/history*`: archived bans, with the filters the dashboard shares.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::models::geo::GeoDetail;
use crate::pagination::Page;
use crate::validate::quoted;

/// The jail whose bans come from blocklist imports.
pub const BLOCKLIST_JAIL: &str = "blocklist-import";

/// Where a ban came from: `blocklist` iff its jail is [`BLOCKLIST_JAIL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Blocklist,
    Selfblock,
}

/// `?origin=all|blocklist|selfblock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginFilter {
    #[default]
    All,
    Blocklist,
    Selfblock,
}

/// `?source=fail2ban|archive`: `archive` (the default) answers from the agent's archive;
/// `fail2ban` first brings the archive up to date with fail2ban's database (502 when it
/// cannot be read) and keeps to the bans fail2ban still holds (its `dbpurgeage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Fail2ban,
    #[default]
    Archive,
}

/// One ban event, as the dashboard and the history list it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BanItem {
    pub ip: String,
    pub jail: String,
    #[serde(serialize_with = "super::utc_time::serialize")]
    pub banned_at: DateTime<Utc>,
    /// Ban length in seconds as fail2ban applied it (with increments); -1 = permanent.
    pub ban_seconds: i64,
    /// How many times fail2ban had banned this address in this jail (>= 1).
    pub ban_count: u64,
    /// Failures that led to the ban (0 when fail2ban stored none).
    pub failures: u64,
    /// The matched log lines fail2ban stored (up to its `dbmaxmatches`).
    pub matches: Vec<String>,
    /// The `service` fail2ban stored with the ban, when its filter captured one.
    pub service: Option<String>,
    pub origin: Origin,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    /// e.g. `"AS3320"`, when the geo database knows it.
    pub asn: Option<String>,
    pub org: Option<String>,
}

/// `GET /api/v1/history` and `GET /api/v1/history/archive`.
pub type HistoryListResponse = Page<BanItem>;

/// One ban in an address's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpTimelineEvent {
    pub jail: String,
    #[serde(serialize_with = "super::utc_time::serialize")]
    pub banned_at: DateTime<Utc>,
    pub ban_seconds: i64,
    /// `None` for a permanent ban.
    #[serde(serialize_with = "super::utc_time::option")]
    pub expires_at: Option<DateTime<Utc>>,
    pub ban_count: u64,
    pub failures: u64,
    pub matches: Vec<String>,
    pub service: Option<String>,
    pub origin: Origin,
}

/// `GET /api/v1/history/{ip}`: every archived ban of one address, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpDetailResponse {
    pub ip: String,
    pub total_bans: u64,
    pub total_failures: u64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Jails that banned the address, sorted.
    pub jails: Vec<String>,
    pub geo: GeoDetail,
    pub events: Vec<IpTimelineEvent>,
}

// === impl Origin ===

impl Origin {
    pub fn of_jail(jail: &str) -> Self {
        if jail == BLOCKLIST_JAIL {
            Self::Blocklist
        } else {
            Self::Selfblock
        }
    }
}

// === query values ===

/// A query value from a fixed list; the error names the field and the allowed values.
fn one_of<T: Copy>(field: &str, raw: &str, values: &[(&str, T)]) -> Result<T, ApiError> {
    values
        .iter()
        .find(|(name, _)| *name == raw)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            ApiError::invalid_field(
                field,
                format!(
                    "{field} must be one of {}, got {}",
                    names.join(", "),
                    quoted(raw)
                ),
            )
        })
}

impl FromStr for OriginFilter {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        one_of(
            "origin",
            s,
            &[
                ("all", Self::All),
                ("blocklist", Self::Blocklist),
                ("selfblock", Self::Selfblock),
            ],
        )
    }
}

impl FromStr for Source {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        one_of(
            "source",
            s,
            &[("fail2ban", Self::Fail2ban), ("archive", Self::Archive)],
        )
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Blocklist => "blocklist",
            Self::Selfblock => "selfblock",
        })
    }
}

/// The `ip` filter: the start of an address (`192.0.2.`, `2001:db8:`), compared with the
/// address as fail2ban wrote it (IPv6 lower-case). At most 45 characters of hex digits, `.`
/// and `:`.
///
/// # Errors
///
/// A 400 `invalid_input` with `metadata.field = "ip"`.
pub fn parse_ip_prefix(raw: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= 45
        && raw
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b'.' || b == b':');
    if ok {
        Ok(raw.to_ascii_lowercase())
    } else {
        Err(ApiError::invalid_field(
            "ip",
            format!(
                "ip must be the start of an IPv4 or IPv6 address (digits, a-f, '.', ':'), got {}",
                quoted(raw)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_follows_the_blocklist_jail() {
        assert_eq!(Origin::of_jail("blocklist-import"), Origin::Blocklist);
        assert_eq!(Origin::of_jail("sshd"), Origin::Selfblock);
        assert_eq!(
            serde_json::to_value(Origin::Selfblock).unwrap(),
            "selfblock"
        );
    }

    #[test]
    fn filters_parse_or_name_their_field() {
        assert_eq!("all".parse::<OriginFilter>().unwrap(), OriginFilter::All);
        assert_eq!("archive".parse::<Source>().unwrap(), Source::Archive);
        let err = "both".parse::<Source>().unwrap_err();
        assert_eq!(
            (err.status(), err.metadata["field"].as_str()),
            (400, Some("source"))
        );
        assert_eq!(
            "x".parse::<OriginFilter>().unwrap_err().detail,
            "origin must be one of all, blocklist, selfblock, got 'x'"
        );
    }

    #[test]
    fn ip_prefixes_are_hex_dots_and_colons() {
        assert_eq!(parse_ip_prefix("2001:DB8:").unwrap(), "2001:db8:");
        assert_eq!(parse_ip_prefix("192.0.2.").unwrap(), "192.0.2.");
        for bad in ["", "192.0.2.0/24", "x", "1 2", &"1".repeat(46)] {
            assert_eq!(parse_ip_prefix(bad).unwrap_err().status(), 400, "{bad:?}");
        }
    }
}
