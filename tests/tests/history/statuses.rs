//! Each route's statuses: 400 for bad query values and addresses, 404 for an address never
//! seen, 502 when fail2ban (or its database) cannot be read; the health component.

use bangui_tests::{assert_error, assert_status};

use crate::common::{get_ok, start, Options};

const LISTS: [&str; 6] = [
    "/api/v1/dashboard/bans",
    "/api/v1/dashboard/bans/by-country",
    "/api/v1/dashboard/bans/trend",
    "/api/v1/dashboard/bans/by-jail",
    "/api/v1/history",
    "/api/v1/history/archive",
];

#[tokio::test]
async fn bad_query_values_are_400_naming_the_field() {
    let s = start(Options::default());
    for path in LISTS {
        assert_status(&s.agent.get(path).await, 200);
        for (query, field) in [
            ("range=1y", "range"),
            ("range=", "range"),
            ("origin=everyone", "origin"),
            ("jail=..%2Fetc", "jail"),
            ("ip=192.0.2.0%2F24", "ip"),
            ("ip=zz", "ip"),
        ] {
            let r = s.agent.get(&format!("{path}?{query}")).await;
            assert_error(&r, 400, "invalid_input");
            assert_eq!(r.json["metadata"]["field"], field, "{path}?{query}");
        }
    }
    for path in ["/api/v1/history", "/api/v1/dashboard/bans/by-jail"] {
        let r = s.agent.get(&format!("{path}?source=both")).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["field"], "source");
    }
    for (query, field) in [
        ("page=0", "page"),
        ("page_size=501", "page_size"),
        ("page=x", "page"),
    ] {
        for path in [
            "/api/v1/dashboard/bans",
            "/api/v1/history",
            "/api/v1/history/archive",
        ] {
            let r = s.agent.get(&format!("{path}?{query}")).await;
            assert_error(&r, 400, "invalid_input");
            assert_eq!(r.json["metadata"]["field"], field);
        }
    }
}

#[tokio::test]
async fn ip_history_is_400_for_bad_and_404_for_unknown_addresses() {
    let s = start(Options::default());
    for bad in ["nope", "192.0.2", "2001:db8:::1"] {
        let r = s.agent.get(&format!("/api/v1/history/{bad}")).await;
        assert_error(&r, 400, "invalid_input");
    }
    for unknown in ["192.0.2.123", "2001:db8::123"] {
        let r = s.agent.get(&format!("/api/v1/history/{unknown}")).await;
        assert_error(&r, 404, "not_found");
        assert_eq!(r.json["metadata"]["ip"], unknown);
    }
}

#[tokio::test]
async fn source_fail2ban_is_502_when_the_database_cannot_be_read() {
    let s = start(Options {
        history_toml: "fail2ban_db = \"/nonexistent/fail2ban.sqlite3\"\n",
        ..Options::default()
    });
    for path in LISTS.iter().take(5) {
        let r = s.agent.get(&format!("{path}?source=fail2ban")).await;
        assert_error(&r, 502, "fail2ban_unreachable");
        assert!(
            r.json["detail"].as_str().unwrap().contains("/nonexistent"),
            "{}",
            r.text
        );
    }
    // The archive itself still answers.
    assert_status(&s.agent.get("/api/v1/history").await, 200);
    let h = s.agent.get("/api/v1/health").await;
    assert_status(&h, 503);
    let c = h.json["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "history_archive")
        .cloned()
        .unwrap();
    assert_eq!(c["status"], "error", "{c}");
}

#[tokio::test]
async fn health_warns_when_fail2ban_purges_sooner_than_the_longest_range() {
    let s = start(Options::default());
    crate::common::sync(&s.agent).await;
    let h = get_ok(&s.agent, "/api/v1/health").await;
    let c = h["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "history_archive")
        .cloned()
        .unwrap();
    assert_eq!(c["status"], "ok", "{c}");
    let detail = c["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("dbpurgeage (1d)") && detail.contains("365d"),
        "{c}"
    );

    let (code, out) = s.f2b.client(&["set", "dbpurgeage", "400d"]);
    assert_eq!(code, 0, "{out}");
    crate::common::sync(&s.agent).await;
    let h = get_ok(&s.agent, "/api/v1/health").await;
    let c = h["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "history_archive")
        .cloned()
        .unwrap();
    assert!(c.get("detail").is_none(), "{c}");
}
