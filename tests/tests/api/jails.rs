//! `GET /api/v1/jails`, `GET /api/v1/jails/{name}` and `GET /api/v1/jails/{name}/banned`.

use bangui_tests::{assert_error, assert_status, Response};
use serde_json::{json, Value};

use crate::common::{
    assert_ban_times, assert_field_error, assert_unreachable, ban, field_of_items, items, sorted,
    start,
};

fn jail_item<'a>(r: &'a Response, name: &str) -> &'a Value {
    items(r)
        .iter()
        .find(|j| j["name"] == name)
        .unwrap_or_else(|| panic!("no jail {name} in {}", r.text))
}

// --- GET /jails ---

#[tokio::test]
async fn list_shows_running_jails_with_settings_and_counters() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.80");
    ban(&f2b, "sshd", "2001:db8::80");

    let r = agent.get("/api/v1/jails").await;
    assert_status(&r, 200);
    assert_eq!(field_of_items(&r, "name"), ["f2btest", "sshd"]);
    assert_eq!(
        r.json["pagination"],
        json!({"page": 1, "page_size": 100, "total": 2, "total_pages": 1,
               "has_next_page": false, "has_prev_page": false})
    );
    assert_eq!(
        *jail_item(&r, "sshd"),
        json!({"name": "sshd", "running": true, "idle": false,
               "currently_failed": 0, "total_failed": 0,
               "currently_banned": 2, "total_banned": 2,
               "ban_time": 600, "find_time": 600, "max_retry": 3}),
        "{}",
        r.text
    );
    assert_eq!(
        *jail_item(&r, "f2btest"),
        json!({"name": "f2btest", "running": true, "idle": false,
               "currently_failed": 0, "total_failed": 0,
               "currently_banned": 0, "total_banned": 0,
               "ban_time": 3600, "find_time": 600, "max_retry": 2}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn list_follows_runtime_changes() {
    let (f2b, agent) = start();
    f2b.client_ok(&["set", "sshd", "maxretry", "9"]);
    f2b.client_ok(&["set", "sshd", "bantime", "1234"]);
    let r = agent.get("/api/v1/jails").await;
    let sshd = jail_item(&r, "sshd");
    assert_eq!(sshd["max_retry"], 9, "{}", r.text);
    assert_eq!(sshd["ban_time"], 1234, "{}", r.text);
}

#[tokio::test]
async fn list_paginates() {
    let (_f2b, agent) = start();
    let first = agent.get("/api/v1/jails?page_size=1").await;
    assert_status(&first, 200);
    assert_eq!(items(&first).len(), 1, "{}", first.text);
    assert_eq!(
        first.json["pagination"],
        json!({"page": 1, "page_size": 1, "total": 2, "total_pages": 2,
               "has_next_page": true, "has_prev_page": false})
    );

    let second = agent.get("/api/v1/jails?page=2&page_size=1").await;
    assert_status(&second, 200);
    assert_eq!(items(&second).len(), 1, "{}", second.text);
    assert_eq!(
        second.json["pagination"],
        json!({"page": 2, "page_size": 1, "total": 2, "total_pages": 2,
               "has_next_page": false, "has_prev_page": true})
    );
    let mut names = field_of_items(&first, "name");
    names.extend(field_of_items(&second, "name"));
    names.sort();
    assert_eq!(
        names,
        ["f2btest", "sshd"],
        "the two pages hold both jails once"
    );

    let past = agent.get("/api/v1/jails?page=3&page_size=1").await;
    assert_status(&past, 200);
    assert!(items(&past).is_empty(), "{}", past.text);
    assert_eq!(past.json["pagination"]["total"], 2);

    let max = agent.get("/api/v1/jails?page_size=500").await;
    assert_status(&max, 200);
    assert_eq!(items(&max).len(), 2);
}

#[tokio::test]
async fn list_rejects_bad_paging_with_400() {
    let (_f2b, agent) = start();
    for (query, field) in [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("page=", "page"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
        ("page_size=1.5", "page_size"),
        ("page_size=99999999999", "page_size"),
    ] {
        let r = agent.get(&format!("/api/v1/jails?{query}")).await;
        assert_field_error(&r, 400, "invalid_input", field);
    }
}

// --- GET /jails/{name} ---

#[tokio::test]
async fn detail_reports_the_runtime_settings_of_f2btest() {
    let (f2b, agent) = start();
    ban(&f2b, "f2btest", "2001:db8::81");

    let r = agent.get("/api/v1/jails/f2btest").await;
    assert_status(&r, 200);
    let j = &r.json["jail"];
    assert_eq!(j["name"], "f2btest");
    assert_eq!(j["running"], true);
    assert_eq!(j["idle"], false);
    assert_eq!(j["currently_banned"], 1, "{}", r.text);
    assert_eq!(j["total_banned"], 1, "{}", r.text);
    assert_eq!(j["max_retry"], 2);
    assert_eq!(j["ban_time"], 3600);
    assert_eq!(j["find_time"], 600);
    assert_eq!(j["actions"], json!(["dummy"]));
    assert_eq!(j["ignore_self"], true);
    assert_eq!(j["use_dns"], "no");
    let log_paths = j["log_paths"].as_array().expect("log_paths");
    assert_eq!(log_paths.len(), 1, "{}", r.text);
    assert!(
        log_paths[0].as_str().unwrap().ends_with("/app.log"),
        "{}",
        r.text
    );
    let fail_regex = j["fail_regex"].as_array().expect("fail_regex");
    assert!(
        !fail_regex.is_empty()
            && fail_regex[0]
                .as_str()
                .unwrap()
                .contains("LOGIN FAILED for user"),
        "{}",
        r.text
    );
    assert!(j["journal_matches"].as_array().unwrap().is_empty());
    assert!(j["ignore_regex"].is_array());
    for key in [
        "pref_regex",
        "date_pattern",
        "log_encoding",
        "log_timezone",
        "ignore_command",
        "max_matches",
        "max_lines",
    ] {
        assert!(j.get(key).is_some(), "jail detail lacks {key}: {}", r.text);
    }
    let esc = &j["bantime_escalation"];
    assert_eq!(esc["increment"], true, "{}", r.text);
    assert_eq!(esc["max_time"], 86400, "{}", r.text);
    for key in [
        "factor",
        "formula",
        "multipliers",
        "rnd_time",
        "overall_jails",
    ] {
        assert!(esc.get(key).is_some(), "escalation lacks {key}: {}", r.text);
    }
    assert_eq!(r.json["ignore_list"], json!(["127.0.0.0/8", "::1"]));
}

#[tokio::test]
async fn detail_reports_sshd_and_follows_runtime_changes() {
    let (f2b, agent) = start();
    let r = agent.get("/api/v1/jails/sshd").await;
    assert_status(&r, 200);
    let j = &r.json["jail"];
    assert_eq!(j["max_retry"], 3);
    assert_eq!(j["ban_time"], 600);
    assert_eq!(j["bantime_escalation"]["increment"], false, "{}", r.text);
    assert!(j["log_paths"][0].as_str().unwrap().ends_with("/auth.log"));
    assert!(!j["fail_regex"].as_array().unwrap().is_empty());

    f2b.client_ok(&["set", "sshd", "maxretry", "7"]);
    f2b.client_ok(&["set", "sshd", "addignoreip", "2001:db8::/32"]);
    f2b.client_ok(&["set", "sshd", "ignoreself", "false"]);
    let r = agent.get("/api/v1/jails/sshd").await;
    assert_eq!(r.json["jail"]["max_retry"], 7, "{}", r.text);
    assert_eq!(r.json["jail"]["ignore_self"], false, "{}", r.text);
    let mut list: Vec<String> = serde_json::from_value(r.json["ignore_list"].clone()).unwrap();
    list.sort();
    assert_eq!(list, sorted(&["127.0.0.0/8", "::1", "2001:db8::/32"]));
}

#[tokio::test]
async fn detail_of_an_unknown_stopped_or_impossible_jail_is_404() {
    let (_f2b, agent) = start();
    let long = "a".repeat(65);
    for path in [
        "/api/v1/jails/nosuch".to_owned(),
        "/api/v1/jails/dormant".to_owned(),
        "/api/v1/jails/..%2Fetc".to_owned(),
        "/api/v1/jails/sshd%00".to_owned(),
        format!("/api/v1/jails/{long}"),
    ] {
        let r = agent.get(&path).await;
        assert_error(&r, 404, "jail_not_found");
    }
}

// --- GET /jails/{name}/banned ---

const FIVE: [&str; 5] = [
    "192.0.2.90",
    "192.0.2.91",
    "198.51.100.92",
    "2001:db8::93",
    "2001:db8:5::94",
];

#[tokio::test]
async fn banned_lists_a_jails_bans_page_by_page() {
    let (f2b, agent) = start();
    for ip in FIVE {
        ban(&f2b, "sshd", ip);
    }
    ban(&f2b, "f2btest", "203.0.113.95");

    let all = agent.get("/api/v1/jails/sshd/banned").await;
    assert_status(&all, 200);
    assert_eq!(all.json["jail"], "sshd");
    assert_eq!(
        field_of_items(&all, "ip"),
        sorted(&FIVE),
        "only sshd's bans"
    );
    for item in items(&all) {
        assert_ban_times(item, 600);
    }

    let mut seen = Vec::new();
    for (page, expected_len) in [(1, 2), (2, 2), (3, 1)] {
        let r = agent
            .get(&format!(
                "/api/v1/jails/sshd/banned?page={page}&page_size=2"
            ))
            .await;
        assert_status(&r, 200);
        assert_eq!(items(&r).len(), expected_len, "page {page}: {}", r.text);
        assert_eq!(
            r.json["pagination"],
            json!({"page": page, "page_size": 2, "total": 5, "total_pages": 3,
                   "has_next_page": page < 3, "has_prev_page": page > 1}),
            "{}",
            r.text
        );
        seen.extend(field_of_items(&r, "ip"));
    }
    seen.sort();
    assert_eq!(seen, sorted(&FIVE), "the pages hold every ban exactly once");

    let empty = agent.get("/api/v1/jails/dormant/banned").await;
    assert_error(&empty, 404, "jail_not_found");
}

#[tokio::test]
async fn banned_search_filters_by_address() {
    let (f2b, agent) = start();
    for ip in FIVE {
        ban(&f2b, "sshd", ip);
    }
    for (search, expected) in [
        ("2001%3Adb8", vec!["2001:db8::93", "2001:db8:5::94"]),
        ("2001:db8", vec!["2001:db8::93", "2001:db8:5::94"]),
        ("192.0.2.", vec!["192.0.2.90", "192.0.2.91"]),
        ("198.51.100.92", vec!["198.51.100.92"]),
        ("203.0.113", vec![]),
    ] {
        let r = agent
            .get(&format!("/api/v1/jails/sshd/banned?search={search}"))
            .await;
        assert_status(&r, 200);
        assert_eq!(
            field_of_items(&r, "ip"),
            sorted(&expected),
            "search={search}"
        );
        assert_eq!(
            r.json["pagination"]["total"],
            expected.len(),
            "search={search}"
        );
    }
    let r = agent
        .get("/api/v1/jails/sshd/banned?search=2001%3Adb8&page_size=1&page=2")
        .await;
    assert_eq!(items(&r).len(), 1, "{}", r.text);
    assert_eq!(r.json["pagination"]["total"], 2);
}

#[tokio::test]
async fn banned_rejects_bad_paging_and_unknown_jails() {
    let (_f2b, agent) = start();
    for (query, field) in [
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=0", "page_size"),
        ("page_size=501", "page_size"),
    ] {
        let r = agent
            .get(&format!("/api/v1/jails/sshd/banned?{query}"))
            .await;
        assert_field_error(&r, 400, "invalid_input", field);
    }
    for path in [
        "/api/v1/jails/nosuch/banned",
        "/api/v1/jails/..%2Fetc/banned",
    ] {
        assert_error(&agent.get(path).await, 404, "jail_not_found");
    }
}

// --- fail2ban down ---

#[tokio::test]
async fn jail_read_routes_are_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/jails").await, 200);
    f2b.kill();
    for path in [
        "/api/v1/jails",
        "/api/v1/jails?page=2&page_size=1",
        "/api/v1/jails/sshd",
        "/api/v1/jails/sshd/banned",
        "/api/v1/jails/f2btest/banned?search=2001",
    ] {
        assert_unreachable(&agent.get(path).await);
    }
}
