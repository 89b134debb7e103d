//! `/api/v1/bans`: active bans over all jails, ban, unban, unban everything.

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};
use serde_json::{json, Value};

use crate::common::{
    assert_ban_times, assert_command_ok, assert_field_error, assert_unreachable, ban, items, start,
    BAN_TIMEOUT,
};

/// The active ban of `ip` in `jail`, if listed.
fn find_ban<'a>(list: &'a [Value], jail: &str, ip: &str) -> Option<&'a Value> {
    list.iter().find(|b| b["jail"] == jail && b["ip"] == ip)
}

/// Nothing is banned anywhere.
#[track_caller]
fn assert_no_bans(f2b: &Fail2ban) {
    assert!(
        f2b.banned("sshd").is_empty(),
        "sshd: {:?}",
        f2b.banned("sshd")
    );
    assert!(
        f2b.banned("f2btest").is_empty(),
        "f2btest: {:?}",
        f2b.banned("f2btest")
    );
}

async fn post_ban(agent: &Agent, ip: &str, jail: &str) -> bangui_tests::Response {
    agent
        .post_json("/api/v1/bans", &json!({"ip": ip, "jail": jail}))
        .await
}

// --- GET /bans/active ---

#[tokio::test]
async fn active_is_empty_without_bans() {
    let (_f2b, agent) = start();
    let r = agent.get("/api/v1/bans/active").await;
    assert_status(&r, 200);
    assert_eq!(r.json, json!({"items": [], "total": 0}));
}

#[tokio::test]
async fn active_lists_the_bans_of_every_jail_with_their_times() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.31");
    ban(&f2b, "sshd", "2001:db8::31");
    ban(&f2b, "f2btest", "198.51.100.31");

    let r = agent.get("/api/v1/bans/active").await;
    assert_status(&r, 200);
    assert_eq!(r.json["total"], 3, "{}", r.text);
    let list = items(&r);
    assert_eq!(list.len(), 3, "{}", r.text);
    for (jail, ip, seconds) in [
        ("sshd", "192.0.2.31", 600),
        ("sshd", "2001:db8::31", 600),
        ("f2btest", "198.51.100.31", 3600),
    ] {
        let item = find_ban(list, jail, ip).unwrap_or_else(|| panic!("{ip} in {jail}: {}", r.text));
        assert_ban_times(item, seconds);
    }
}

#[tokio::test]
async fn active_comes_gzipped_to_a_client_that_reads_gzip() {
    let (f2b, agent) = start();
    // 60 bans: about 8 KB of JSON.
    let ips: Vec<String> = (1..=60).map(|i| format!("192.0.2.{i}")).collect();
    let mut args = vec!["set", "sshd", "banip"];
    args.extend(ips.iter().map(String::as_str));
    f2b.client_ok(&args);

    let plain = agent.get("/api/v1/bans/active").await;
    assert_status(&plain, 200);
    assert_eq!(plain.json["total"], 60, "{}", plain.text);
    assert_eq!(plain.header("content-encoding"), None);
    let browser = agent
        .get_accepting("/api/v1/bans/active", "gzip, deflate, br, zstd")
        .await;
    assert_status(&browser, 200);
    assert_eq!(browser.header("content-encoding"), Some("gzip"));
    assert_eq!(browser.header("vary"), Some("accept-encoding"));
    assert_eq!(browser.json, plain.json, "gzip changed the answer");
    assert!(
        browser.wire_len * 4 < plain.wire_len,
        "{} bytes gzipped, {} plain",
        browser.wire_len,
        plain.wire_len
    );

    // A client that refuses gzip, and an answer too small to gain from it, come as they are.
    for (path, codings) in [
        ("/api/v1/bans/active", "*, gzip;q=0"),
        ("/api/v1/bans/active", "br"),
        ("/api/v1/server/settings", "gzip"),
    ] {
        let r = agent.get_accepting(path, codings).await;
        assert_status(&r, 200);
        assert_eq!(r.header("content-encoding"), None, "{path} {codings}");
        assert_eq!(r.header("vary"), Some("accept-encoding"), "{path}");
    }
    // Login answers carry a token: never compressed, whatever the client reads.
    let login = agent
        .send(
            agent
                .request(reqwest::Method::POST, "/api/v1/auth/login")
                .header("accept-encoding", "gzip")
                .json(&json!({"password": bangui_tests::TEST_PASSWORD})),
        )
        .await;
    assert_status(&login, 200);
    assert_eq!(login.header("content-encoding"), None);
    assert_eq!(login.header("vary"), None);
}

#[tokio::test]
async fn active_marks_permanent_bans() {
    let (f2b, agent) = start();
    f2b.client_ok(&["set", "f2btest", "bantime", "-1"]);
    ban(&f2b, "f2btest", "203.0.113.32");
    ban(&f2b, "f2btest", "2001:db8::32");
    ban(&f2b, "sshd", "192.0.2.32");

    let r = agent.get("/api/v1/bans/active").await;
    assert_status(&r, 200);
    assert_eq!(r.json["total"], 3, "{}", r.text);
    for ip in ["203.0.113.32", "2001:db8::32"] {
        let item = find_ban(items(&r), "f2btest", ip).unwrap_or_else(|| panic!("{}", r.text));
        assert_ban_times(item, -1);
    }
    let timed = find_ban(items(&r), "sshd", "192.0.2.32").unwrap();
    assert_ban_times(timed, 600);
}

#[tokio::test]
async fn active_includes_bans_from_log_failures() {
    let (f2b, agent) = start();
    f2b.fail("sshd", "198.51.100.33", 3);
    f2b.fail("f2btest", "2001:db8:3::33", 2);
    f2b.wait_banned("sshd", "198.51.100.33", BAN_TIMEOUT);
    f2b.wait_banned("f2btest", "2001:db8:3::33", BAN_TIMEOUT);

    let r = agent.get("/api/v1/bans/active").await;
    assert_status(&r, 200);
    assert_eq!(r.json["total"], 2, "{}", r.text);
    assert_ban_times(find_ban(items(&r), "sshd", "198.51.100.33").unwrap(), 600);
    assert_ban_times(
        find_ban(items(&r), "f2btest", "2001:db8:3::33").unwrap(),
        3600,
    );
}

// --- POST /bans ---

#[tokio::test]
async fn ban_bans_ipv4_and_ipv6_in_fail2ban() {
    let (f2b, agent) = start();
    for (ip, jail) in [("192.0.2.40", "sshd"), ("2001:db8::40", "f2btest")] {
        let r = post_ban(&agent, ip, jail).await;
        assert_command_ok(&r, 201);
        assert_eq!(r.json["jail"], jail, "{}", r.text);
        assert_eq!(r.json["ip"], ip, "{}", r.text);
        assert_eq!(r.json["count"], 1, "{}", r.text);
        assert!(f2b.is_banned(jail, ip), "{ip} not banned in {jail}");
    }
    assert!(
        !f2b.is_banned("f2btest", "192.0.2.40"),
        "only the named jail"
    );
    assert!(
        !f2b.is_banned("sshd", "2001:db8::40"),
        "only the named jail"
    );

    let r = agent.get("/api/v1/bans/active").await;
    assert_ban_times(find_ban(items(&r), "sshd", "192.0.2.40").unwrap(), 600);
    assert_ban_times(
        find_ban(items(&r), "f2btest", "2001:db8::40").unwrap(),
        3600,
    );
}

#[tokio::test]
async fn ban_rejects_bad_ips_and_impossible_jails_with_400() {
    let (f2b, agent) = start();
    for ip in [
        "not-an-ip",
        "192.0.2.256",
        "192.0.2.0/24",
        "2001:db8::zz",
        " 192.0.2.1",
        "",
    ] {
        let r = post_ban(&agent, ip, "sshd").await;
        assert_field_error(&r, 400, "invalid_input", "ip");
    }
    for jail in ["../x", "", "a b", "-x"] {
        let r = post_ban(&agent, "192.0.2.41", jail).await;
        assert_field_error(&r, 400, "invalid_input", "jail");
    }
    assert_no_bans(&f2b);
}

#[tokio::test]
async fn ban_in_an_unknown_or_stopped_jail_is_404() {
    let (f2b, agent) = start();
    for jail in ["nosuch", "dormant"] {
        for ip in ["192.0.2.42", "2001:db8::42"] {
            let r = post_ban(&agent, ip, jail).await;
            assert_error(&r, 404, "jail_not_found");
        }
    }
    assert_no_bans(&f2b);
}

#[tokio::test]
async fn ban_of_a_banned_address_is_409() {
    let (f2b, agent) = start();
    for ip in ["192.0.2.43", "2001:db8::43"] {
        assert_status(&post_ban(&agent, ip, "sshd").await, 201);
        let r = post_ban(&agent, ip, "sshd").await;
        assert_error(&r, 409, "conflict");
        assert_eq!(r.json["metadata"]["ip"], ip, "{}", r.text);
        assert!(f2b.is_banned("sshd", ip));
    }
    assert_eq!(f2b.banned("sshd").len(), 2);
}

#[tokio::test]
async fn ban_rejects_malformed_bodies_with_400_as_its_contract_lists() {
    let (f2b, agent) = start();
    let bodies = [
        "{\"ip\": \"192.0.2.44\",",
        "",
        "   ",
        "not json",
        "{\"ip\": \"192.0.2.44\"}",
        "{\"jail\": \"sshd\"}",
        "{\"ip\": \"192.0.2.44\", \"jail\": \"sshd\", \"reason\": \"x\"}",
        "{\"ip\": 1, \"jail\": \"sshd\"}",
        "{\"ip\": \"192.0.2.44\", \"jail\": null}",
    ];
    for body in bodies {
        let r = agent
            .post_raw("/api/v1/bans", body, "application/json")
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["reason"], "invalid_body");
    }
    assert_no_bans(&f2b);
}

// --- DELETE /bans ---

#[tokio::test]
async fn unban_with_a_jail_lifts_only_that_ban() {
    let (f2b, agent) = start();
    for ip in ["192.0.2.50", "2001:db8::50"] {
        ban(&f2b, "sshd", ip);
        ban(&f2b, "f2btest", ip);
        let r = agent
            .delete_json("/api/v1/bans", &json!({"ip": ip, "jail": "sshd"}))
            .await;
        assert_command_ok(&r, 200);
        assert_eq!(r.json["jail"], "sshd", "{}", r.text);
        assert_eq!(r.json["ip"], ip, "{}", r.text);
        assert_eq!(r.json["count"], 1, "{}", r.text);
        assert!(!f2b.is_banned("sshd", ip), "{ip} still banned in sshd");
        assert!(f2b.is_banned("f2btest", ip), "{ip} lost in f2btest");
    }
}

#[tokio::test]
async fn unban_without_a_jail_lifts_the_ban_everywhere() {
    let (f2b, agent) = start();
    let bodies = [
        json!({"ip": "192.0.2.51"}),
        json!({"ip": "2001:db8::51", "jail": null}),
        // unban_all wins over a jail.
        json!({"ip": "198.51.100.51", "jail": "sshd", "unban_all": true}),
    ];
    for body in bodies {
        let ip = body["ip"].as_str().unwrap();
        ban(&f2b, "sshd", ip);
        ban(&f2b, "f2btest", ip);
        let r = agent.delete_json("/api/v1/bans", &body).await;
        assert_command_ok(&r, 200);
        assert_eq!(r.json["ip"], ip, "{}", r.text);
        assert_eq!(r.json["count"], 2, "{}", r.text);
        assert!(!f2b.is_banned("sshd", ip), "{ip} still banned in sshd");
        assert!(
            !f2b.is_banned("f2btest", ip),
            "{ip} still banned in f2btest"
        );
    }
}

#[tokio::test]
async fn unban_of_an_address_that_is_not_banned_is_409() {
    let (f2b, agent) = start();
    ban(&f2b, "f2btest", "192.0.2.52");
    for body in [
        json!({"ip": "192.0.2.52", "jail": "sshd"}),
        json!({"ip": "2001:db8::52", "jail": "sshd"}),
        json!({"ip": "192.0.2.53"}),
        json!({"ip": "2001:db8::53"}),
    ] {
        let r = agent.delete_json("/api/v1/bans", &body).await;
        assert_error(&r, 409, "conflict");
        assert_eq!(r.json["metadata"]["ip"], body["ip"], "{}", r.text);
    }
    assert!(
        f2b.is_banned("f2btest", "192.0.2.52"),
        "other jails untouched"
    );
}

#[tokio::test]
async fn unban_rejects_unknown_jails_bad_ips_and_bad_bodies() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.54");

    for jail in ["nosuch", "dormant"] {
        let r = agent
            .delete_json("/api/v1/bans", &json!({"ip": "192.0.2.54", "jail": jail}))
            .await;
        assert_error(&r, 404, "jail_not_found");
    }
    for ip in ["nope", "192.0.2.300", "2001:db8:::1", "192.0.2.0/24"] {
        for body in [json!({"ip": ip}), json!({"ip": ip, "jail": "sshd"})] {
            let r = agent.delete_json("/api/v1/bans", &body).await;
            assert_field_error(&r, 400, "invalid_input", "ip");
        }
    }
    let r = agent
        .delete_json("/api/v1/bans", &json!({"ip": "192.0.2.54", "jail": "../x"}))
        .await;
    assert_field_error(&r, 400, "invalid_input", "jail");
    for body in [
        "",
        "{\"ip\":",
        "{}",
        "{\"jail\": \"sshd\"}",
        "{\"ip\": \"192.0.2.54\", \"everywhere\": true}",
        "{\"ip\": 5}",
        "{\"ip\": \"192.0.2.54\", \"unban_all\": \"yes\"}",
    ] {
        let r = agent
            .raw(
                reqwest::Method::DELETE,
                "/api/v1/bans",
                body,
                "application/json",
            )
            .await;
        assert_error(&r, 400, "invalid_input");
    }
    assert!(
        f2b.is_banned("sshd", "192.0.2.54"),
        "no request lifted the ban"
    );
}

// --- DELETE /bans/all ---

#[tokio::test]
async fn unban_all_lifts_every_ban_and_counts_them() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.60");
    ban(&f2b, "sshd", "2001:db8::60");
    ban(&f2b, "f2btest", "198.51.100.60");
    ban(&f2b, "f2btest", "2001:db8::61");

    let r = agent.delete("/api/v1/bans/all").await;
    assert_status(&r, 200);
    assert_eq!(r.json["count"], 4, "{}", r.text);
    assert!(r.json["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_no_bans(&f2b);

    let r = agent.delete("/api/v1/bans/all").await;
    assert_status(&r, 200);
    assert_eq!(r.json["count"], 0, "nothing left to lift: {}", r.text);

    let r = agent.get("/api/v1/bans/active").await;
    assert_eq!(r.json["total"], 0, "{}", r.text);
}

// --- fail2ban down ---

#[tokio::test]
async fn every_bans_route_is_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/bans/active").await, 200);
    f2b.kill();

    assert_unreachable(&agent.get("/api/v1/bans/active").await);
    assert_unreachable(&post_ban(&agent, "192.0.2.70", "sshd").await);
    assert_unreachable(&post_ban(&agent, "2001:db8::70", "sshd").await);
    for body in [
        json!({"ip": "192.0.2.70", "jail": "sshd"}),
        json!({"ip": "2001:db8::70"}),
    ] {
        assert_unreachable(&agent.delete_json("/api/v1/bans", &body).await);
    }
    assert_unreachable(&agent.delete("/api/v1/bans/all").await);

    // Validation still comes first: a bad request is a 4xx even with fail2ban down.
    assert_field_error(
        &post_ban(&agent, "nope", "sshd").await,
        400,
        "invalid_input",
        "ip",
    );
}
