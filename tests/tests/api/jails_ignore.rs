//! Ignore lists: `GET`/`POST`/`DELETE /api/v1/jails/{name}/ignoreip` and
//! `POST /api/v1/jails/{name}/ignoreself`.

use bangui_tests::{assert_error, assert_status, Agent, Response};
use serde_json::json;

use crate::common::{
    assert_command_ok, assert_field_error, assert_unreachable, ignore_list, ignore_self, sorted,
    start,
};

const DEFAULTS: [&str; 2] = ["127.0.0.0/8", "::1"];

async fn add(agent: &Agent, jail: &str, ip: &str) -> Response {
    agent
        .post_json(
            &format!("/api/v1/jails/{jail}/ignoreip"),
            &json!({"ip": ip}),
        )
        .await
}

async fn remove(agent: &Agent, jail: &str, ip: &str) -> Response {
    agent
        .delete_json(
            &format!("/api/v1/jails/{jail}/ignoreip"),
            &json!({"ip": ip}),
        )
        .await
}

// --- GET ignoreip ---

#[tokio::test]
async fn ignore_list_shows_the_configured_entries() {
    let (f2b, agent) = start();
    for jail in ["sshd", "f2btest"] {
        let r = agent.get(&format!("/api/v1/jails/{jail}/ignoreip")).await;
        assert_status(&r, 200);
        assert_eq!(
            r.json,
            json!({"jail": jail, "ignore_list": DEFAULTS, "ignore_self": true}),
            "{}",
            r.text
        );
    }
    f2b.client_ok(&["set", "sshd", "addignoreip", "203.0.113.0/24"]);
    f2b.client_ok(&["set", "sshd", "ignoreself", "false"]);
    let r = agent.get("/api/v1/jails/sshd/ignoreip").await;
    let mut list: Vec<String> = serde_json::from_value(r.json["ignore_list"].clone()).unwrap();
    list.sort();
    assert_eq!(list, sorted(&["127.0.0.0/8", "::1", "203.0.113.0/24"]));
    assert_eq!(r.json["ignore_self"], false);
}

#[tokio::test]
async fn ignore_list_of_an_unknown_jail_is_404() {
    let (_f2b, agent) = start();
    for path in [
        "/api/v1/jails/nosuch/ignoreip",
        "/api/v1/jails/dormant/ignoreip",
        "/api/v1/jails/..%2Fetc/ignoreip",
    ] {
        assert_error(&agent.get(path).await, 404, "jail_not_found");
    }
}

// --- POST ignoreip ---

#[tokio::test]
async fn add_puts_addresses_and_networks_on_the_list() {
    let (f2b, agent) = start();
    let entries = [
        "192.0.2.110",
        "2001:db8::110",
        "198.51.100.0/24",
        "2001:db8:1::/48",
    ];
    for (n, ip) in entries.iter().enumerate() {
        let r = add(&agent, "sshd", ip).await;
        assert_command_ok(&r, 201);
        assert_eq!(r.json["jail"], "sshd");
        assert_eq!(r.json["ip"], *ip, "{}", r.text);
        assert_eq!(r.json["count"], DEFAULTS.len() + n + 1, "{}", r.text);
    }
    let mut expected: Vec<&str> = DEFAULTS.to_vec();
    expected.extend(entries);
    assert_eq!(ignore_list(&f2b, "sshd"), sorted(&expected));
    assert_eq!(
        ignore_list(&f2b, "f2btest"),
        sorted(&DEFAULTS),
        "other jail untouched"
    );

    let r = agent.get("/api/v1/jails/sshd/ignoreip").await;
    let mut listed: Vec<String> = serde_json::from_value(r.json["ignore_list"].clone()).unwrap();
    listed.sort();
    assert_eq!(listed, sorted(&expected));
}

#[tokio::test]
async fn add_rejects_invalid_entries_with_400() {
    let (f2b, agent) = start();
    for ip in [
        "nope",
        "10.0.0.0/33",
        "2001:db8::/129",
        "192.0.2.1/",
        "192.0.2.1/x",
        "192.0.2.256",
        "",
        "example.com",
    ] {
        let r = add(&agent, "sshd", ip).await;
        assert_field_error(&r, 400, "invalid_input", "ip");
    }
    assert_eq!(ignore_list(&f2b, "sshd"), sorted(&DEFAULTS));
}

#[tokio::test]
async fn add_of_an_existing_entry_is_409() {
    let (f2b, agent) = start();
    for ip in ["127.0.0.0/8", "::1"] {
        assert_error(&add(&agent, "sshd", ip).await, 409, "conflict");
    }
    for ip in ["192.0.2.111", "2001:db8::111"] {
        assert_status(&add(&agent, "sshd", ip).await, 201);
        let r = add(&agent, "sshd", ip).await;
        assert_error(&r, 409, "conflict");
        assert_eq!(r.json["metadata"]["ip"], ip, "{}", r.text);
    }
    assert_eq!(
        ignore_list(&f2b, "sshd"),
        sorted(&["127.0.0.0/8", "::1", "192.0.2.111", "2001:db8::111"])
    );
}

#[tokio::test]
async fn add_rejects_unknown_jails_and_bad_bodies() {
    let (f2b, agent) = start();
    for jail in ["nosuch", "dormant"] {
        assert_error(
            &add(&agent, jail, "192.0.2.112").await,
            404,
            "jail_not_found",
        );
    }
    let r = agent.post("/api/v1/jails/sshd/ignoreip").await;
    assert_error(&r, 400, "invalid_input");
    for body in [
        "{}",
        "{\"ip\": 5}",
        "{\"ip\": \"192.0.2.112\", \"x\": 1}",
        "{\"ip\"",
    ] {
        let r = agent
            .post_raw("/api/v1/jails/sshd/ignoreip", body, "application/json")
            .await;
        assert_error(&r, 400, "invalid_input");
    }
    assert_eq!(ignore_list(&f2b, "sshd"), sorted(&DEFAULTS));
}

// --- DELETE ignoreip ---

#[tokio::test]
async fn remove_takes_entries_off_the_list() {
    let (f2b, agent) = start();
    f2b.client_ok(&["set", "sshd", "addignoreip", "192.0.2.120"]);
    f2b.client_ok(&["set", "sshd", "addignoreip", "2001:db8::120"]);
    f2b.client_ok(&["set", "sshd", "addignoreip", "198.51.100.0/24"]);

    let mut left = sorted(&[
        "127.0.0.0/8",
        "::1",
        "192.0.2.120",
        "2001:db8::120",
        "198.51.100.0/24",
    ]);
    for ip in ["192.0.2.120", "2001:db8::120", "198.51.100.0/24", "::1"] {
        let r = remove(&agent, "sshd", ip).await;
        assert_command_ok(&r, 200);
        assert_eq!(r.json["ip"], ip, "{}", r.text);
        left.retain(|e| e != ip);
        assert_eq!(r.json["count"], left.len(), "{}", r.text);
        assert_eq!(ignore_list(&f2b, "sshd"), left, "after removing {ip}");
    }
    assert_eq!(
        ignore_list(&f2b, "f2btest"),
        sorted(&DEFAULTS),
        "other jail untouched"
    );
}

#[tokio::test]
async fn remove_of_an_absent_entry_is_409() {
    let (f2b, agent) = start();
    for ip in ["192.0.2.121", "2001:db8::121", "10.0.0.0/8"] {
        let r = remove(&agent, "sshd", ip).await;
        assert_error(&r, 409, "conflict");
        assert_eq!(r.json["metadata"]["ip"], ip, "{}", r.text);
    }
    assert_status(&remove(&agent, "sshd", "::1").await, 200);
    assert_error(&remove(&agent, "sshd", "::1").await, 409, "conflict");
    assert_eq!(ignore_list(&f2b, "sshd"), ["127.0.0.0/8"]);
}

#[tokio::test]
async fn remove_rejects_invalid_entries_unknown_jails_and_bad_bodies() {
    let (f2b, agent) = start();
    for ip in ["nope", "10.0.0.0/33", "2001:db8::/129", ""] {
        assert_field_error(
            &remove(&agent, "sshd", ip).await,
            400,
            "invalid_input",
            "ip",
        );
    }
    for jail in ["nosuch", "dormant"] {
        assert_error(&remove(&agent, jail, "::1").await, 404, "jail_not_found");
    }
    assert_error(
        &agent.delete("/api/v1/jails/sshd/ignoreip").await,
        422,
        "invalid_body",
    );
    assert_eq!(ignore_list(&f2b, "sshd"), sorted(&DEFAULTS));
}

// --- POST ignoreself ---

#[tokio::test]
async fn ignoreself_toggles_without_a_body_and_sets_with_one() {
    let (f2b, agent) = start();
    assert!(ignore_self(&f2b, "sshd"));

    let r = agent.post("/api/v1/jails/sshd/ignoreself").await;
    assert_command_ok(&r, 200);
    assert_eq!(r.json["jail"], "sshd");
    assert_eq!(r.json["enabled"], false, "{}", r.text);
    assert!(!ignore_self(&f2b, "sshd"));
    assert!(ignore_self(&f2b, "f2btest"), "other jail untouched");
    let listed = agent.get("/api/v1/jails/sshd/ignoreip").await;
    assert_eq!(listed.json["ignore_self"], false);

    let r = agent.post("/api/v1/jails/sshd/ignoreself").await;
    assert_eq!(r.json["enabled"], true, "{}", r.text);
    assert!(ignore_self(&f2b, "sshd"));

    for enabled in [false, false, true, true] {
        let r = agent
            .post_json(
                "/api/v1/jails/sshd/ignoreself",
                &json!({"enabled": enabled}),
            )
            .await;
        assert_command_ok(&r, 200);
        assert_eq!(r.json["enabled"], enabled, "{}", r.text);
        assert_eq!(ignore_self(&f2b, "sshd"), enabled);
    }
}

#[tokio::test]
async fn ignoreself_rejects_unknown_jails_and_bad_bodies() {
    let (f2b, agent) = start();
    for path in [
        "/api/v1/jails/nosuch/ignoreself",
        "/api/v1/jails/dormant/ignoreself",
    ] {
        assert_error(&agent.post(path).await, 404, "jail_not_found");
        let r = agent.post_json(path, &json!({"enabled": true})).await;
        assert_error(&r, 404, "jail_not_found");
    }
    for body in ["{\"enabled\": \"no\"}", "{\"on\": true}", "{\"enabled\":"] {
        let r = agent
            .post_raw("/api/v1/jails/sshd/ignoreself", body, "application/json")
            .await;
        assert_error(&r, 422, "invalid_body");
    }
    assert!(ignore_self(&f2b, "sshd"));
}

// --- fail2ban down ---

#[tokio::test]
async fn ignore_routes_are_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/jails/sshd/ignoreip").await, 200);
    f2b.kill();
    assert_unreachable(&agent.get("/api/v1/jails/sshd/ignoreip").await);
    assert_unreachable(&add(&agent, "sshd", "192.0.2.130").await);
    assert_unreachable(&add(&agent, "sshd", "2001:db8::/64").await);
    assert_unreachable(&remove(&agent, "sshd", "::1").await);
    assert_unreachable(&agent.post("/api/v1/jails/sshd/ignoreself").await);
    let r = agent
        .post_json("/api/v1/jails/sshd/ignoreself", &json!({"enabled": false}))
        .await;
    assert_unreachable(&r);
}
