//! A seeded fail2ban database: filters, windows, agreement between routes, odd `data`,
//! purges, locks, corruption and replacement.

use bangui_tests::{assert_error, assert_status};
use serde_json::Value;

use crate::common::{ban, get_ok, ips, now, start, sync, total, Options, Setup};

const DAY: i64 = 86_400;

/// Seeds bans at known ages and syncs: 1 h (sshd, v4), 24 h + 30 s (sshd, inside the 60 s
/// slack), 24 h + 90 s (sshd, outside it), 2 d (f2btest), 10 d (blocklist-import), 100 d
/// (sshd, v6), 400 d (beyond the 365-day retention).
async fn seeded() -> Setup {
    let s = start(Options {
        seeded: true,
        ..Options::default()
    });
    let t = now();
    s.seed
        .as_ref()
        .unwrap()
        .insert(&[
            ban(
                "sshd",
                "192.0.2.1",
                t - 3600,
                Some(r#"{"failures": 5, "matches": ["a", "b"]}"#),
            ),
            ban("sshd", "192.0.2.11", t - DAY - 30, None),
            ban("sshd", "192.0.2.12", t - DAY - 90, None),
            ban("f2btest", "198.51.100.2", t - 2 * DAY, None),
            ban("blocklist-import", "203.0.113.3", t - 10 * DAY, None),
            ban("sshd", "2001:db8::4", t - 100 * DAY, None),
            ban("sshd", "192.0.2.5", t - 400 * DAY, None),
        ])
        .unwrap();
    sync(&s.agent).await;
    s
}

async fn count(s: &Setup, query: &str) -> u64 {
    total(&get_ok(&s.agent, &format!("/api/v1/history?{query}")).await)
}

#[tokio::test]
async fn ranges_origins_jails_and_prefixes_filter() {
    let s = seeded().await;
    assert_eq!(
        count(&s, "").await,
        6,
        "all time, minus the one past retention"
    );
    assert_eq!(
        count(&s, "range=24h").await,
        2,
        "1 h and the one inside the slack"
    );
    assert_eq!(count(&s, "range=7d").await, 4);
    assert_eq!(count(&s, "range=30d").await, 5);
    assert_eq!(count(&s, "range=365d").await, 6);
    assert_eq!(count(&s, "origin=blocklist").await, 1);
    assert_eq!(count(&s, "origin=selfblock").await, 5);
    assert_eq!(count(&s, "origin=all").await, 6);
    assert_eq!(count(&s, "jail=sshd").await, 4);
    assert_eq!(count(&s, "jail=nosuch").await, 0);
    assert_eq!(count(&s, "jail=sshd&range=7d").await, 3);
    assert_eq!(count(&s, "ip=192.0.2.1").await, 3, "192.0.2.1, .11, .12");
    assert_eq!(count(&s, "ip=2001:DB8:").await, 1);
    assert_eq!(count(&s, "ip=203.").await, 1);

    let b = get_ok(&s.agent, "/api/v1/history?origin=blocklist").await;
    assert_eq!(ips(&b), ["203.0.113.3"]);
    assert_eq!(b["items"][0]["origin"], "blocklist");
    assert_eq!(b["items"][0]["country_code"], Value::Null);

    // Newest first, paginated.
    let p = get_ok(&s.agent, "/api/v1/history?page=2&page_size=2").await;
    assert_eq!(ips(&p), ["192.0.2.12", "198.51.100.2"]);
    assert_eq!(p["pagination"]["total_pages"], 3);
    assert_eq!(p["pagination"]["has_next_page"], true);
    let first = get_ok(&s.agent, "/api/v1/history?page_size=1").await;
    assert_eq!(first["items"][0]["failures"], 5);
    assert_eq!(first["items"][0]["matches"], serde_json::json!(["a", "b"]));
}

#[tokio::test]
async fn dashboard_and_history_agree_on_every_range() {
    let s = seeded().await;
    for range in ["24h", "7d", "30d", "365d"] {
        for extra in ["", "&origin=selfblock", "&jail=sshd", "&ip=192."] {
            let q = format!("range={range}{extra}");
            let history = count(&s, &q).await;
            let dash = total(&get_ok(&s.agent, &format!("/api/v1/dashboard/bans?{q}")).await);
            assert_eq!(history, dash, "{q}");
            for agg in ["by-jail", "by-country", "trend"] {
                let body = get_ok(&s.agent, &format!("/api/v1/dashboard/bans/{agg}?{q}")).await;
                assert_eq!(body["total"], history, "{agg}?{q}: {body}");
            }
        }
    }
    // The dashboard's default range is 24h.
    assert_eq!(total(&get_ok(&s.agent, "/api/v1/dashboard/bans").await), 2);

    let c = get_ok(&s.agent, "/api/v1/dashboard/bans/by-country?range=365d").await;
    assert_eq!(c["countries"]["DE"], 3);
    assert_eq!(c["countries"]["FR"], 1);
    assert_eq!(c["countries"]["JP"], 1);
    assert_eq!(c["country_names"]["JP"], "Japan");
    assert_eq!(c["unknown"], 1);
    assert_eq!(c["items"][0]["country_code"], "DE", "most bans first: {c}");
    let j = get_ok(&s.agent, "/api/v1/dashboard/bans/by-jail?range=365d").await;
    assert_eq!(
        j["jails"][0],
        serde_json::json!({"jail": "sshd", "count": 4})
    );
    assert_eq!(j["jails"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn null_and_odd_data_do_not_break_the_sync() {
    let s = start(Options {
        seeded: true,
        ..Options::default()
    });
    let t = now();
    let odd = [
        None,
        Some("null"),
        Some("[]"),
        Some("{"),
        Some("\"text\""),
        Some(r#"{"matches": null, "failures": -3}"#),
    ];
    let rows: Vec<_> = odd
        .iter()
        .enumerate()
        .map(|(i, d)| ban("sshd", &format!("2001:db8:1::{i}"), t - 60 - i as i64, *d))
        .collect();
    s.seed.as_ref().unwrap().insert(&rows).unwrap();
    sync(&s.agent).await;
    let h = get_ok(&s.agent, "/api/v1/history").await;
    assert_eq!(total(&h), odd.len() as u64, "{h}");
    for item in h["items"].as_array().unwrap() {
        assert_eq!(item["failures"], 0, "{item}");
        assert_eq!(item["matches"], serde_json::json!([]), "{item}");
    }
}

#[tokio::test]
async fn archive_keeps_what_fail2ban_purged() {
    let s = seeded().await;
    let seed = s.seed.as_ref().unwrap();
    // fail2ban's hourly purge with a short dbpurgeage.
    seed.exec(&format!(
        "DELETE FROM bans WHERE timeofban < {}",
        now() - 600
    ));
    seed.insert(&[ban("sshd", "192.0.2.99", now() - 5, None)])
        .unwrap();
    sync(&s.agent).await;
    assert_eq!(count(&s, "").await, 7);
    let a = get_ok(&s.agent, "/api/v1/history/archive").await;
    assert_eq!(total(&a), 7);
    assert_status(&s.agent.get("/api/v1/history/2001:db8::4").await, 200);
}

#[tokio::test]
async fn a_locked_database_fails_the_sync_until_released() {
    let s = seeded().await;
    let seed = s.seed.as_ref().unwrap();
    let lock = seed.lock_exclusive();
    let r = s.agent.get("/api/v1/history?source=fail2ban").await;
    assert_error(&r, 502, "fail2ban_unreachable");
    assert!(
        r.json["detail"].as_str().unwrap().contains("locked"),
        "{}",
        r.text
    );
    let health = s.agent.get("/api/v1/health").await;
    assert_status(&health, 503);
    assert_eq!(archive_component(&health.json)["status"], "error");
    // The archive still answers while fail2ban's file is locked.
    assert_eq!(count(&s, "").await, 6);
    drop(lock);

    seed.insert(&[ban("f2btest", "198.51.100.77", now(), None)])
        .unwrap();
    sync(&s.agent).await;
    assert_eq!(count(&s, "").await, 7);
    let health = s.agent.get("/api/v1/health").await;
    assert_eq!(
        archive_component(&health.json)["status"],
        "ok",
        "{}",
        health.text
    );
}

#[tokio::test]
async fn corrupt_or_replaced_databases_lose_nothing() {
    let s = seeded().await;
    let path = s.seed.as_ref().unwrap().path().to_owned();
    std::fs::write(
        &path,
        b"garbage, not an SQLite database file at all.........",
    )
    .unwrap();
    assert_error(
        &s.agent.get("/api/v1/dashboard/bans?source=fail2ban").await,
        502,
        "fail2ban_unreachable",
    );
    assert_eq!(count(&s, "").await, 6, "the archive is intact");

    std::fs::remove_file(&path).unwrap();
    assert_error(
        &s.agent
            .get("/api/v1/dashboard/bans/trend?source=fail2ban")
            .await,
        502,
        "fail2ban_unreachable",
    );
    let fresh = bangui_agent::history::seed::Fail2banDb::create(&path);
    fresh
        .insert(&[ban("sshd", "192.0.2.200", now(), None)])
        .unwrap();
    sync(&s.agent).await;
    assert_eq!(count(&s, "").await, 7);
}

fn archive_component(health: &Value) -> Value {
    health["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "history_archive")
        .cloned()
        .unwrap_or_else(|| panic!("no history_archive component: {health}"))
}
