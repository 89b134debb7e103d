//! Time windows and trend buckets: the one calculation the dashboard and the history share, so
//! the same `range` gives the same counts on every route.
//!
//! A window reaches [`SLACK_SECONDS`] past both ends of its range: fail2ban rounds ban times to
//! whole seconds and two requests a moment apart should not disagree about a ban at the edge.
//! Trend buckets are aligned to the boundaries of a time zone (local hours, days, ISO weeks), so
//! a day bucket is 23 or 25 hours long across a daylight-saving change.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::validate::quoted;

/// Seconds added before the start and after the end of every window.
pub const SLACK_SECONDS: i64 = 60;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// A dashboard range, `?range=24h|7d|30d|365d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TimeRange {
    #[serde(rename = "24h")]
    Last24Hours,
    #[serde(rename = "7d")]
    Last7Days,
    #[serde(rename = "30d")]
    Last30Days,
    #[serde(rename = "365d")]
    Last365Days,
}

/// The width of a trend bucket, named as the API labels it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BucketSize {
    #[serde(rename = "1h")]
    Hour,
    #[serde(rename = "6h")]
    SixHours,
    #[serde(rename = "1d")]
    Day,
    #[serde(rename = "7d")]
    Week,
}

/// The ban times a query covers, both ends inclusive (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub since: i64,
    pub until: i64,
}

/// One trend bucket: `[start, end)` in Unix seconds, `start` on a boundary of the time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub start: i64,
    pub end: i64,
}

// === impl TimeRange ===

impl TimeRange {
    pub const ALL: [TimeRange; 4] = [
        Self::Last24Hours,
        Self::Last7Days,
        Self::Last30Days,
        Self::Last365Days,
    ];
    /// The longest range the dashboard offers: fail2ban's purge age is compared with it.
    pub const LONGEST: TimeRange = Self::Last365Days;

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Last24Hours => "24h",
            Self::Last7Days => "7d",
            Self::Last30Days => "30d",
            Self::Last365Days => "365d",
        }
    }

    pub const fn seconds(self) -> i64 {
        match self {
            Self::Last24Hours => DAY,
            Self::Last7Days => 7 * DAY,
            Self::Last30Days => 30 * DAY,
            Self::Last365Days => 365 * DAY,
        }
    }

    /// The trend bucket for this range: 1h, 6h, 1d, 7d.
    pub const fn bucket(self) -> BucketSize {
        match self {
            Self::Last24Hours => BucketSize::Hour,
            Self::Last7Days => BucketSize::SixHours,
            Self::Last30Days => BucketSize::Day,
            Self::Last365Days => BucketSize::Week,
        }
    }

    /// The window of this range ending at `now`.
    pub const fn window(self, now: i64) -> Window {
        Window {
            since: now - self.seconds() - SLACK_SECONDS,
            until: now + SLACK_SECONDS,
        }
    }

    /// The `range` query value; `None` when absent.
    ///
    /// # Errors
    ///
    /// A 400 `invalid_input` with `metadata.field = "range"`.
    pub fn parse_query(raw: Option<&str>) -> Result<Option<Self>, ApiError> {
        raw.map(str::parse).transpose()
    }
}

impl FromStr for TimeRange {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "range",
                    format!("range must be one of 24h, 7d, 30d, 365d, got {}", quoted(s)),
                )
            })
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl Window ===

impl Window {
    /// Every ban, whatever its time (history without a range).
    pub const ALL_TIME: Window = Window {
        since: i64::MIN,
        until: i64::MAX,
    };

    pub const fn contains(&self, t: i64) -> bool {
        self.since <= t && t <= self.until
    }
}

// === impl BucketSize ===

impl BucketSize {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::SixHours => "6h",
            Self::Day => "1d",
            Self::Week => "7d",
        }
    }

    /// The nominal length; real buckets differ by the daylight-saving shift.
    pub const fn nominal_seconds(self) -> i64 {
        match self {
            Self::Hour => HOUR,
            Self::SixHours => 6 * HOUR,
            Self::Day => DAY,
            Self::Week => 7 * DAY,
        }
    }

    /// The start of the bucket holding `t`: the latest boundary of `tz` at or before `t`.
    pub fn floor(self, t: i64, tz: Tz) -> i64 {
        let Some(local) = tz.timestamp_opt(t, 0).earliest() else {
            return t;
        };
        let boundary = match self {
            Self::Hour => return t - i64::from(local.minute() * 60 + local.second()),
            Self::SixHours => {
                local_instant(local.date_naive(), local.hour() - local.hour() % 6, tz)
            }
            Self::Day => local_instant(local.date_naive(), 0, tz),
            Self::Week => {
                let back = i64::from(local.weekday().num_days_from_monday());
                local_instant(local.date_naive() - Duration::days(back), 0, tz)
            }
        };
        boundary.filter(|b| *b <= t).unwrap_or(t)
    }

    /// The boundary after the bucket starting at `start`.
    pub fn next(self, start: i64, tz: Tz) -> i64 {
        // One and a half nominal buckets land inside the next bucket whatever the
        // daylight-saving shift (at most an hour); flooring finds that bucket's start.
        let nominal = self.nominal_seconds();
        let next = self.floor(start + nominal + nominal / 2, tz);
        if next > start {
            next
        } else {
            start + nominal
        }
    }
}

impl fmt::Display for BucketSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `date` at `hour`:00 in `tz` as Unix seconds. An ambiguous time (clocks going back) takes
/// the earlier instant; a time skipped by clocks going forward takes the first valid minute
/// after it.
fn local_instant(date: NaiveDate, hour: u32, tz: Tz) -> Option<i64> {
    let naive: NaiveDateTime = date.and_hms_opt(hour, 0, 0)?;
    (0..=48 * 2)
        .map(|half_hours| naive + Duration::minutes(30 * half_hours))
        .find_map(|n| tz.from_local_datetime(&n).earliest())
        .map(|dt| dt.timestamp())
}

// === impl Bucket ===

impl Bucket {
    /// The part of this bucket inside `window`, as `[from, to)`: what the bucket counts.
    pub fn clamped(&self, window: Window) -> (i64, i64) {
        (
            self.start.max(window.since),
            self.end.min(window.until.saturating_add(1)),
        )
    }

    /// The start as an RFC 3339 UTC timestamp.
    pub fn start_utc(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.start, 0).unwrap_or_default()
    }

    /// The start in `tz`, RFC 3339 with the local offset.
    pub fn start_local(&self, tz: Tz) -> String {
        tz.timestamp_opt(self.start, 0)
            .earliest()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    }
}

/// The zero-filled buckets covering `window`, aligned to `size` boundaries of `tz`: the first
/// holds `window.since`, the last holds `window.until`. Every time of the window lies in
/// exactly one bucket, so the bucket counts add up to the window's count.
pub fn buckets(window: Window, size: BucketSize, tz: Tz) -> Vec<Bucket> {
    let mut out = Vec::new();
    let mut start = size.floor(window.since, tz);
    loop {
        let end = size.next(start, tz);
        out.push(Bucket { start, end });
        if end > window.until {
            return out;
        }
        start = end;
    }
}

/// Parses an IANA time zone name (setup's `timezone`).
///
/// # Errors
///
/// A 400 `invalid_input` with `metadata.field = "timezone"`.
pub fn parse_tz(name: &str) -> Result<Tz, ApiError> {
    name.parse().map_err(|_| {
        ApiError::invalid_field(
            "timezone",
            format!("{} is not an IANA time zone name", quoted(name)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BERLIN: Tz = chrono_tz::Europe::Berlin;

    fn utc(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    fn lengths(buckets: &[Bucket]) -> Vec<i64> {
        buckets.iter().map(|b| (b.end - b.start) / HOUR).collect()
    }

    #[test]
    fn ranges_parse_and_name_their_buckets() {
        for r in TimeRange::ALL {
            assert_eq!(r.as_str().parse::<TimeRange>().unwrap(), r);
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        assert_eq!(TimeRange::Last24Hours.bucket().as_str(), "1h");
        assert_eq!(TimeRange::Last7Days.bucket().as_str(), "6h");
        assert_eq!(TimeRange::Last30Days.bucket().as_str(), "1d");
        assert_eq!(TimeRange::Last365Days.bucket().as_str(), "7d");
        assert_eq!(TimeRange::parse_query(None).unwrap(), None);
        for bad in ["", "1d", "24H", "365", " 7d"] {
            let err = TimeRange::parse_query(Some(bad)).unwrap_err();
            assert_eq!(err.status(), 400, "{bad:?}");
            assert_eq!(err.metadata["field"], "range");
        }
    }

    #[test]
    fn window_has_sixty_seconds_of_slack_on_both_ends() {
        let w = TimeRange::Last24Hours.window(1_000_000);
        assert_eq!(w.since, 1_000_000 - 86_400 - 60);
        assert_eq!(w.until, 1_000_060);
        assert!(w.contains(w.since) && w.contains(w.until));
        assert!(!w.contains(w.since - 1) && !w.contains(w.until + 1));
    }

    #[test]
    fn hour_buckets_in_utc_cover_the_window() {
        let now = utc("2026-06-10T12:30:00Z");
        let w = TimeRange::Last24Hours.window(now);
        let b = buckets(w, BucketSize::Hour, Tz::UTC);
        // 12:29 the day before .. 12:31: the hours 12:00 .. 12:00, 25 buckets.
        assert_eq!(b.len(), 25);
        assert_eq!(b[0].start, utc("2026-06-09T12:00:00Z"));
        assert!(b.last().unwrap().end > w.until);
        assert!(b.windows(2).all(|p| p[0].end == p[1].start));
        assert!(lengths(&b).iter().all(|h| *h == 1));
    }

    #[test]
    fn a_window_whose_slack_crosses_a_full_hour_gets_a_26th_hour() {
        // 23:59:30: the minute of slack reaches 00:00:30, a bucket of its own.
        let late = TimeRange::Last24Hours.window(utc("2026-11-30T23:59:30Z"));
        let b = buckets(late, BucketSize::Hour, Tz::UTC);
        assert_eq!(b.len(), 26);
        assert_eq!(b[0].start, utc("2026-11-29T23:00:00Z"));
        assert_eq!(b[25].start, utc("2026-12-01T00:00:00Z"));
        // 00:00:30: the slack before the start reaches back into the previous hour.
        let early = TimeRange::Last24Hours.window(utc("2026-12-01T00:00:30Z"));
        let b = buckets(early, BucketSize::Hour, Tz::UTC);
        assert_eq!(b.len(), 26);
        assert_eq!(b[0].start, utc("2026-11-29T23:00:00Z"));
    }

    #[test]
    fn berlin_day_buckets_are_23_and_25_hours_on_dst_days() {
        // Spring: 2026-03-29 02:00 CET -> 03:00 CEST.
        let now = utc("2026-04-02T10:00:00Z");
        let b = buckets(TimeRange::Last7Days.window(now), BucketSize::Day, BERLIN);
        let spring = b
            .iter()
            .find(|x| x.start == utc("2026-03-28T23:00:00Z"))
            .expect("bucket of 29 March (local midnight = 23:00 UTC)");
        assert_eq!(spring.end, utc("2026-03-29T22:00:00Z"));
        assert_eq!(spring.start_local(BERLIN), "2026-03-29T00:00:00+01:00");
        // Autumn: 2026-10-25 03:00 CEST -> 02:00 CET.
        let now = utc("2026-10-27T10:00:00Z");
        let b = buckets(TimeRange::Last7Days.window(now), BucketSize::Day, BERLIN);
        let autumn = b
            .iter()
            .find(|x| x.start == utc("2026-10-24T22:00:00Z"))
            .expect("bucket of 25 October");
        assert_eq!((autumn.end - autumn.start) / HOUR, 25);
        assert_eq!(autumn.start_local(BERLIN), "2026-10-25T00:00:00+02:00");
    }

    #[test]
    fn berlin_six_hour_buckets_shrink_and_grow_across_dst() {
        let b = buckets(
            Window {
                since: utc("2026-03-28T23:00:00Z"),
                until: utc("2026-03-29T21:59:59Z"),
            },
            BucketSize::SixHours,
            BERLIN,
        );
        assert_eq!(lengths(&b), [5, 6, 6, 6]);
        assert_eq!(b[1].start_local(BERLIN), "2026-03-29T06:00:00+02:00");
        let b = buckets(
            Window {
                since: utc("2026-10-24T22:00:00Z"),
                until: utc("2026-10-25T22:59:59Z"),
            },
            BucketSize::SixHours,
            BERLIN,
        );
        assert_eq!(lengths(&b), [7, 6, 6, 6]);
    }

    #[test]
    fn berlin_hour_buckets_stay_one_hour_through_dst() {
        for (since, until) in [
            ("2026-03-28T22:00:00Z", "2026-03-29T04:00:00Z"),
            ("2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z"),
        ] {
            let b = buckets(
                Window {
                    since: utc(since),
                    until: utc(until) - 1,
                },
                BucketSize::Hour,
                BERLIN,
            );
            assert_eq!(b.len(), 6);
            assert!(lengths(&b).iter().all(|h| *h == 1), "{since}");
        }
    }

    #[test]
    fn week_buckets_start_on_local_mondays() {
        let now = utc("2026-06-10T12:00:00Z"); // a Wednesday
        let b = buckets(TimeRange::Last365Days.window(now), BucketSize::Week, BERLIN);
        assert!((53..=54).contains(&b.len()), "{}", b.len());
        for x in &b {
            let local = BERLIN.timestamp_opt(x.start, 0).unwrap();
            assert_eq!(local.weekday(), chrono::Weekday::Mon);
            assert_eq!((local.hour(), local.minute()), (0, 0));
        }
        // The weeks holding the DST changes are an hour shorter or longer.
        assert!(lengths(&b).contains(&(7 * 24 - 1)));
        assert!(lengths(&b).contains(&(7 * 24 + 1)));
    }

    #[test]
    fn clamped_buckets_partition_the_window() {
        let now = utc("2026-03-30T08:17:23Z");
        for range in TimeRange::ALL {
            let w = range.window(now);
            let b = buckets(w, range.bucket(), BERLIN);
            let parts: Vec<(i64, i64)> = b.iter().map(|x| x.clamped(w)).collect();
            assert_eq!(parts[0].0, w.since);
            assert_eq!(parts.last().unwrap().1, w.until + 1);
            assert!(parts.windows(2).all(|p| p[0].1 == p[1].0), "{range}");
            assert!(parts.iter().all(|(a, b)| a < b), "{range}");
        }
    }

    #[test]
    fn zones_with_half_hour_offsets_align_to_their_own_hours() {
        let kolkata: Tz = parse_tz("Asia/Kolkata").unwrap();
        let t = utc("2026-06-10T12:00:00Z"); // 17:30 local
        assert_eq!(
            BucketSize::Hour.floor(t, kolkata),
            utc("2026-06-10T11:30:00Z")
        );
        assert_eq!(
            BucketSize::Day.floor(t, kolkata),
            utc("2026-06-09T18:30:00Z")
        );
        assert!(parse_tz("Mars/Olympus").is_err());
    }
}
