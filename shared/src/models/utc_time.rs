//! RFC 3339 timestamps written without `core::fmt`: a list of 1,000 bans holds 2,000 of them,
//! and chrono's serde writes each through `collect_str`, which serde_json escapes a character at
//! a time (a fifth of the agent's CPU for that list). The text is chrono's: whole seconds of the
//! years 0–9999 are written here, anything else by chrono itself.
//!
//! Use with `#[serde(serialize_with = "utc_time::serialize")]` (or `utc_time::option`).

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// `DateTime<Utc>` as chrono's serde writes it.
pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    Rfc3339(t).serialize(s)
}

/// `Option<DateTime<Utc>>` as chrono's serde writes it (`null` for `None`).
pub fn option<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    t.as_ref().map(Rfc3339).serialize(s)
}

struct Rfc3339<'a>(&'a DateTime<Utc>);

impl Serialize for Rfc3339<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match whole_seconds(self.0)
            .as_ref()
            .map(|text| std::str::from_utf8(text))
        {
            Some(Ok(text)) => s.serialize_str(text),
            _ => self.0.serialize(s),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`, or `None` where chrono writes more (a fraction, a leap second, a
/// signed year).
fn whole_seconds(t: &DateTime<Utc>) -> Option<[u8; 20]> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    if t.nanosecond() != 0 {
        return None;
    }
    let mut text = *b"0000-00-00T00:00:00Z";
    for (at, value, width) in [
        (0, year, 4),
        (5, t.month(), 2),
        (8, t.day(), 2),
        (11, t.hour(), 2),
        (14, t.minute(), 2),
        (17, t.second(), 2),
    ] {
        let mut rest = value;
        for digit in text[at..at + width].iter_mut().rev() {
            *digit = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn ours(t: &DateTime<Utc>) -> String {
        let mut out = Vec::new();
        serialize(t, &mut serde_json::Serializer::new(&mut out)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn writes_what_chrono_writes() {
        let mut times: Vec<DateTime<Utc>> = vec![
            Utc.with_ymd_and_hms(2026, 11, 29, 5, 43, 32).unwrap(),
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 6, 15, 12, 0, 0).unwrap(),
            Utc.timestamp_opt(1_764_000_000, 250_000_000).unwrap(),
            Utc.timestamp_opt(1_764_000_000, 1_500).unwrap(),
            Utc.timestamp_opt(1_764_000_000, 7).unwrap(),
            // A leap second, which chrono keeps as a fraction of a billion nanoseconds or more.
            NaiveDate::from_ymd_opt(2016, 12, 31)
                .unwrap()
                .and_hms_nano_opt(23, 59, 59, 1_000_000_000)
                .unwrap()
                .and_utc(),
        ];
        // Every day of four years and a spread of times across the years 0-9999.
        let mut at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        while at.year() < 2028 {
            times.push(at);
            at += chrono::Duration::seconds(86_400 + 3_661);
        }
        for secs in (-62_167_219_200i64..253_402_300_799).step_by(7_919_999_989) {
            times.push(Utc.timestamp_opt(secs, 0).unwrap());
        }
        for t in &times {
            assert_eq!(ours(t), serde_json::to_string(t).unwrap(), "{t:?}");
        }
    }

    #[test]
    fn option_writes_null_for_none() {
        #[derive(Serialize)]
        struct Holder {
            #[serde(serialize_with = "option")]
            at: Option<DateTime<Utc>>,
        }
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 5, 43, 32).unwrap();
        assert_eq!(
            serde_json::to_string(&Holder { at: Some(t) }).unwrap(),
            r#"{"at":"2026-11-29T05:43:32Z"}"#
        );
        assert_eq!(
            serde_json::to_string(&Holder { at: None }).unwrap(),
            r#"{"at":null}"#
        );
    }
}
