//! Bans made by a real fail2ban-server's jails reach the archive, the dashboard and the
//! timeline; the archive keeps them after fail2ban deletes them.

use bangui_tests::assert_status;

use crate::common::{get_ok, ips, start, sync, total, Options, BAN_TIMEOUT};

#[tokio::test]
async fn jail_bans_reach_history_dashboard_timeline_and_lookup() {
    let s = start(Options::default());
    s.f2b.fail("sshd", "192.0.2.30", 3);
    s.f2b.fail("f2btest", "2001:db8::30", 2);
    s.f2b.wait_banned("sshd", "192.0.2.30", BAN_TIMEOUT);
    s.f2b.wait_banned("f2btest", "2001:db8::30", BAN_TIMEOUT);
    sync(&s.agent).await;

    let h = get_ok(&s.agent, "/api/v1/history").await;
    assert_eq!(total(&h), 2, "{h}");
    let mut seen = ips(&h);
    seen.sort();
    assert_eq!(seen, ["192.0.2.30", "2001:db8::30"]);
    let item = |ip: &str| {
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["ip"] == ip)
            .cloned()
            .unwrap()
    };
    let v4 = item("192.0.2.30");
    assert_eq!(v4["jail"], "sshd");
    assert_eq!(v4["country_code"], "DE");
    assert_eq!(v4["country_name"], "Germany");
    assert_eq!(v4["origin"], "selfblock");
    assert_eq!(v4["failures"], 3);
    assert_eq!(v4["ban_count"], 1);
    assert_eq!(v4["ban_seconds"], 600);
    let lines = v4["matches"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{v4}");
    assert!(lines[0].as_str().unwrap().contains("192.0.2.30"), "{v4}");
    let v6 = item("2001:db8::30");
    assert_eq!(
        (v6["jail"].as_str(), v6["country_code"].as_str()),
        (Some("f2btest"), Some("JP"))
    );
    assert_eq!(v6["failures"], 2);

    // The same range gives the same count on every route.
    for path in [
        "/api/v1/history?range=24h",
        "/api/v1/dashboard/bans?range=24h",
    ] {
        assert_eq!(total(&get_ok(&s.agent, path).await), 2, "{path}");
    }
    for path in [
        "/api/v1/dashboard/bans/by-jail",
        "/api/v1/dashboard/bans/by-country",
        "/api/v1/dashboard/bans/trend",
    ] {
        assert_eq!(get_ok(&s.agent, path).await["total"], 2, "{path}");
    }

    let t = get_ok(&s.agent, "/api/v1/history/2001:db8::30").await;
    assert_eq!(t["ip"], "2001:db8::30");
    assert_eq!(t["total_bans"], 1);
    assert_eq!(t["jails"], serde_json::json!(["f2btest"]));
    assert_eq!(t["geo"]["country_code"], "JP");
    assert_eq!(t["events"][0]["jail"], "f2btest");
    assert_eq!(t["events"][0]["failures"], 2);
    assert!(t["events"][0]["expires_at"].is_string(), "{t}");

    let l = get_ok(&s.agent, "/api/v1/geo/lookup/192.0.2.30").await;
    assert_eq!(l["currently_banned"], true);
    assert_eq!(l["jails"], serde_json::json!(["sshd"]));
    assert_eq!(l["ban_count"], 1);
    assert_eq!(l["geo"]["country_code"], "DE");
    assert_eq!(l["geo"]["continent_code"], "EU");
}

#[tokio::test]
async fn archive_keeps_bans_that_fail2ban_deleted() {
    let s = start(Options::default());
    for (jail, ip) in [("sshd", "192.0.2.31"), ("f2btest", "2001:db8:ff::31")] {
        let (code, out) = s.f2b.client(&["set", jail, "banip", ip]);
        assert_eq!(code, 0, "{out}");
    }
    sync(&s.agent).await;
    assert_eq!(total(&get_ok(&s.agent, "/api/v1/history").await), 2);

    // A manual unban deletes fail2ban's rows of that address.
    let (code, out) = s.f2b.client(&["set", "sshd", "unbanip", "192.0.2.31"]);
    assert_eq!(code, 0, "{out}");
    let f2b_rows: i64 = rusqlite::Connection::open_with_flags(
        s.f2b.db_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
    .query_row(
        "SELECT COUNT(*) FROM bans WHERE ip = '192.0.2.31'",
        [],
        |r| r.get(0),
    )
    .unwrap();
    assert_eq!(f2b_rows, 0, "fail2ban deleted the row");
    let (code, out) = s.f2b.client(&["set", "f2btest", "banip", "198.51.100.31"]);
    assert_eq!(code, 0, "{out}");
    sync(&s.agent).await;

    let h = get_ok(&s.agent, "/api/v1/history/archive").await;
    let mut seen = ips(&h);
    seen.sort();
    assert_eq!(seen, ["192.0.2.31", "198.51.100.31", "2001:db8:ff::31"]);
    let r = s.agent.get("/api/v1/history/192.0.2.31").await;
    assert_status(&r, 200);
    // A manual ban stores no matches and no failures.
    assert_eq!(r.json["events"][0]["matches"], serde_json::json!([]));
    assert_eq!(r.json["total_failures"], 0);
}
