//! `/api/v1/dashboard/bans*`: ban lists and aggregates over a [`TimeRange`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::models::history::BanItem;
use crate::pagination::Page;
use crate::timerange::{BucketSize, TimeRange};

/// `GET /api/v1/dashboard/bans`.
pub type DashboardBanListResponse = Page<BanItem>;

/// Bans of one country; `country_code` `None` counts the addresses no database knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountryCount {
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub count: u64,
}

/// `GET /api/v1/dashboard/bans/by-country`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BansByCountryResponse {
    pub range: TimeRange,
    /// ISO code -> bans (known countries only).
    pub countries: BTreeMap<String, u64>,
    /// ISO code -> English name.
    pub country_names: BTreeMap<String, String>,
    /// Every country plus unknown, most bans first.
    pub items: Vec<CountryCount>,
    /// Bans of addresses without a known country.
    pub unknown: u64,
    pub total: u64,
}

/// One zero-filled trend bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendBucket {
    /// Start of the bucket (a boundary in the configured time zone), UTC.
    pub timestamp: DateTime<Utc>,
    /// The same instant in the configured time zone, with its offset.
    pub local_start: String,
    /// Start of the next bucket, UTC.
    pub end: DateTime<Utc>,
    pub count: u64,
}

/// `GET /api/v1/dashboard/bans/trend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BanTrendResponse {
    pub range: TimeRange,
    pub bucket_size: BucketSize,
    /// The IANA zone the buckets are aligned to (setup's time zone).
    pub timezone: String,
    pub buckets: Vec<TrendBucket>,
    pub total: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JailCount {
    pub jail: String,
    pub count: u64,
}

/// `GET /api/v1/dashboard/bans/by-jail`: most bans first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BansByJailResponse {
    pub range: TimeRange,
    pub jails: Vec<JailCount>,
    pub total: u64,
}
