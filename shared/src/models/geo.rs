//! `/api/v1/geo/*`: where an address comes from, from the agent's local geo database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the geo database knows about an address; every field may be unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoDetail {
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    /// Two letters: AF, AN, AS, EU, NA, OC, SA.
    pub continent_code: Option<String>,
    pub continent_name: Option<String>,
    /// e.g. `"AS3320"` (databases with ASN data only).
    pub asn: Option<String>,
    pub org: Option<String>,
    /// City databases only.
    pub city: Option<String>,
}

/// `GET /api/v1/geo/lookup/{ip}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IpLookupResponse {
    pub ip: String,
    pub geo: GeoDetail,
    /// Banned in at least one jail right now.
    pub currently_banned: bool,
    /// The jails banning it right now, sorted.
    pub jails: Vec<String>,
    /// Bans of this address in the archive.
    pub ban_count: u64,
    pub last_banned_at: Option<DateTime<Utc>>,
}

/// The geo database file in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoDatabaseInfo {
    pub path: String,
    /// The file's `database_type`, e.g. `"GeoLite2-Country"`.
    pub name: String,
    pub build_date: Option<DateTime<Utc>>,
    pub ip_version: u16,
}

/// `GET /api/v1/geo/stats`: how many archived addresses have a country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoCacheStatsResponse {
    /// `None` when no database could be loaded (see `error`).
    pub database: Option<GeoDatabaseInfo>,
    pub error: Option<String>,
    /// Addresses with a known country.
    pub resolved: u64,
    /// Addresses without one (not in the database, or no database).
    pub unresolved: u64,
    pub total: u64,
}

/// `POST /api/v1/geo/re-resolve`: every archived address looked up again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoReResolveResponse {
    pub resolved: u64,
    pub unresolved: u64,
    pub total: u64,
    /// Addresses whose answer differs from before.
    pub changed: u64,
}
