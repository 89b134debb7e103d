//! Trend buckets: zero-filled, aligned to the configured time zone, correct across the
//! daylight-saving changes of Europe/Berlin.

use bangui_shared::timerange::{TimeRange, Window};
use chrono::{DateTime, Datelike, Duration, NaiveTime, Offset, TimeZone};
use chrono_tz::Europe::Berlin;
use serde_json::Value;

use crate::common::{ban, get_ok, now, start, sync, Options};

fn ts(v: &Value) -> i64 {
    DateTime::parse_from_rfc3339(v.as_str().expect("timestamp"))
        .expect("RFC 3339")
        .timestamp()
}

/// Local midnight of the Monday after each Berlin DST change of the last 350 days (UTC).
fn mondays_after_dst_changes(now: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let today = Berlin.timestamp_opt(now, 0).unwrap().date_naive();
    let offset_at = |d: chrono::NaiveDate| {
        Berlin
            .from_local_datetime(&d.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap()))
            .earliest()
            .unwrap()
            .offset()
            .fix()
            .local_minus_utc()
    };
    for back in 1..350 {
        let day = today - Duration::days(back);
        let before = offset_at(day - Duration::days(1));
        if offset_at(day) != before {
            let to_monday = (7 - day.weekday().num_days_from_monday()) % 7;
            let monday = day + Duration::days(i64::from(to_monday.max(1)));
            let boundary = Berlin
                .from_local_datetime(&monday.and_time(NaiveTime::MIN))
                .earliest()
                .unwrap()
                .timestamp();
            let change_hours = i64::from(offset_at(day) - before) / 3600;
            out.push((boundary, change_hours));
        }
    }
    out
}

#[tokio::test]
async fn week_buckets_follow_berlin_across_dst() {
    let s = start(Options {
        seeded: true,
        timezone: Some("Europe/Berlin"),
        ..Options::default()
    });
    let t = now();
    let changes = mondays_after_dst_changes(t);
    assert_eq!(changes.len(), 2, "a year has two DST changes: {changes:?}");
    let mut rows = Vec::new();
    for (i, (boundary, _)) in changes.iter().enumerate() {
        // One second before the local Monday midnight and exactly at it.
        rows.push(ban(
            "sshd",
            &format!("192.0.2.{}", 10 + i),
            boundary - 1,
            None,
        ));
        rows.push(ban(
            "sshd",
            &format!("2001:db8::{}", 10 + i),
            *boundary,
            None,
        ));
    }
    s.seed.as_ref().unwrap().insert(&rows).unwrap();
    sync(&s.agent).await;

    let body = get_ok(&s.agent, "/api/v1/dashboard/bans/trend?range=365d").await;
    assert_eq!(body["bucket_size"], "7d");
    assert_eq!(body["timezone"], "Europe/Berlin");
    assert_eq!(body["total"], 4);
    let buckets = body["buckets"].as_array().unwrap();
    assert!((53..=54).contains(&buckets.len()), "{}", buckets.len());
    for b in buckets {
        let local = b["local_start"].as_str().unwrap();
        assert!(
            local.ends_with("T00:00:00+01:00") || local.ends_with("T00:00:00+02:00"),
            "{local}"
        );
        let start = DateTime::parse_from_rfc3339(local).unwrap();
        assert_eq!(start.weekday(), chrono::Weekday::Mon, "{local}");
    }
    let counts: u64 = buckets.iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!(counts, 4);
    for (boundary, change) in changes {
        let i = buckets
            .iter()
            .position(|b| ts(&b["timestamp"]) == boundary)
            .unwrap_or_else(|| panic!("no bucket starts at {boundary}: {body}"));
        assert_eq!(
            buckets[i]["count"], 1,
            "the ban at the boundary: {}",
            buckets[i]
        );
        let before = &buckets[i - 1];
        assert_eq!(before["count"], 1, "the ban a second earlier: {before}");
        // The week holding the change is an hour shorter (spring) or longer (autumn).
        let hours = (ts(&before["end"]) - ts(&before["timestamp"])) / 3600;
        assert_eq!(hours, 7 * 24 - change, "{before}");
    }
}

#[tokio::test]
async fn buckets_are_zero_filled_in_local_hours_and_days() {
    let s = start(Options {
        seeded: true,
        timezone: Some("Europe/Berlin"),
        ..Options::default()
    });
    let t = now();
    s.seed
        .as_ref()
        .unwrap()
        .insert(&[
            ban("sshd", "192.0.2.1", t - 3 * 3600, None),
            ban("sshd", "192.0.2.2", t - 3 * 3600 + 1, None),
            ban("f2btest", "198.51.100.3", t - 5 * 86_400, None),
        ])
        .unwrap();
    sync(&s.agent).await;

    let day = get_ok(&s.agent, "/api/v1/dashboard/bans/trend?range=24h").await;
    assert_eq!(day["bucket_size"], "1h");
    let hours = day["buckets"].as_array().unwrap();
    // Partial first and last hours: 25 buckets, or 26 when the window's minute of slack at
    // either end crosses a full hour. The agent's clock may read a few seconds past `t`.
    let (earliest, latest) = (
        TimeRange::Last24Hours.window(t),
        TimeRange::Last24Hours.window(t + 5),
    );
    let spanned = |w: Window| {
        usize::try_from(w.until.div_euclid(3600) - w.since.div_euclid(3600) + 1).unwrap()
    };
    assert!(
        [spanned(earliest), spanned(latest)].contains(&hours.len()),
        "{} hour buckets at {t}: {day}",
        hours.len()
    );
    assert!(ts(&hours[0]["timestamp"]) <= latest.since);
    assert!(ts(&hours[hours.len() - 1]["end"]) > earliest.until);
    for pair in hours.windows(2) {
        assert_eq!(pair[0]["end"], pair[1]["timestamp"], "contiguous: {day}");
    }
    assert_eq!(day["total"], 2);
    assert_eq!(
        hours.iter().filter(|b| b["count"] == 0).count(),
        hours.len() - hours.iter().filter(|b| b["count"] != 0).count()
    );
    let hit = hours
        .iter()
        .find(|b| ts(&b["timestamp"]) <= t - 3 * 3600 && t - 3 * 3600 < ts(&b["end"]))
        .unwrap();
    assert!(hit["count"].as_u64().unwrap() >= 1, "{hit}");

    let week = get_ok(&s.agent, "/api/v1/dashboard/bans/trend?range=7d").await;
    assert_eq!(week["bucket_size"], "6h");
    for b in week["buckets"].as_array().unwrap() {
        let local = DateTime::parse_from_rfc3339(b["local_start"].as_str().unwrap()).unwrap();
        assert_eq!(
            local.with_timezone(&Berlin).format("%M:%S").to_string(),
            "00:00"
        );
        assert!([0, 6, 12, 18].contains(
            &local
                .with_timezone(&Berlin)
                .format("%H")
                .to_string()
                .parse::<u32>()
                .unwrap()
        ));
    }
    assert_eq!(week["total"], 3);

    let month = get_ok(&s.agent, "/api/v1/dashboard/bans/trend?range=30d").await;
    assert_eq!(month["bucket_size"], "1d");
    let days = month["buckets"].as_array().unwrap();
    assert!((30..=32).contains(&days.len()), "{}", days.len());
    assert!(days
        .iter()
        .all(|b| b["local_start"].as_str().unwrap().contains("T00:00:00+0")));
    assert_eq!(days.iter().filter(|b| b["count"] != 0).count(), 2);
}
