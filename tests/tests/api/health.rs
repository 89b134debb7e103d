//! `GET /api/v1/health`: fail2ban and the agent's other components.

use bangui_tests::{assert_status, Agent, Fail2ban, Response};
use serde_json::Value;

use crate::common::start;

fn component<'a>(response: &'a Response, name: &str) -> &'a Value {
    response.json["components"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no component {name:?} in {}", response.text))
}

fn component_names(response: &Response) -> Vec<String> {
    response.json["components"]
        .as_array()
        .unwrap_or_else(|| panic!("no components in {}", response.text))
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[track_caller]
fn assert_component_error(response: &Response, name: &str, detail_contains: &str) {
    let c = component(response, name);
    assert_eq!(c["status"], "error", "{}", response.text);
    let detail = c["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(detail_contains),
        "detail of {name} should mention {detail_contains:?}: {}",
        response.text
    );
}

#[tokio::test]
async fn healthy_when_fail2ban_answers_and_everything_is_in_place() {
    let (f2b, agent) = start();
    let version = f2b.client_ok(&["version"]).trim().to_owned();

    let r = agent.get("/api/v1/health").await;
    assert_status(&r, 200);
    assert_eq!(r.json["status"], "ok", "{}", r.text);
    assert_eq!(r.json["fail2ban"], "online");
    assert_eq!(r.json["version"], version.as_str());
    assert_eq!(
        component_names(&r),
        [
            "fail2ban",
            "fail2ban_config",
            "fail2ban_client",
            "history_archive"
        ]
    );
    for c in r.json["components"].as_array().unwrap() {
        assert_eq!(c["status"], "ok", "{}", r.text);
    }
    // fail2ban's components are plainly healthy; the archive may carry a purge-age warning.
    for c in r.json["components"].as_array().unwrap().iter().take(3) {
        assert!(
            c.get("detail").is_none(),
            "a healthy component has no detail: {c}"
        );
    }
}

#[tokio::test]
async fn unavailable_503_when_fail2ban_is_killed() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/health").await, 200);

    f2b.kill();
    let r = agent.get("/api/v1/health").await;
    assert_status(&r, 503);
    assert_eq!(r.json["status"], "unavailable", "{}", r.text);
    assert_eq!(r.json["fail2ban"], "offline");
    assert!(r.json["version"].is_null(), "{}", r.text);
    assert_component_error(&r, "fail2ban", &f2b.socket().display().to_string());
    assert_eq!(component(&r, "fail2ban_config")["status"], "ok");
    assert_eq!(component(&r, "fail2ban_client")["status"], "ok");
    assert!(
        r.header("x-correlation-id")
            .is_some_and(|id| !id.is_empty()),
        "a 503 health answer still carries a correlation id"
    );
}

#[tokio::test]
async fn degraded_503_when_fail2ban_client_is_missing() {
    let f2b = Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| {
        c.client = Some("/nonexistent/fail2ban-client".into())
    });

    let version = f2b.client_ok(&["version"]).trim().to_owned();

    let r = agent.get("/api/v1/health").await;
    assert_status(&r, 503);
    assert_eq!(r.json["status"], "degraded", "{}", r.text);
    assert_eq!(r.json["fail2ban"], "online");
    assert_eq!(
        r.json["version"],
        version.as_str(),
        "fail2ban still answers"
    );
    assert_eq!(component(&r, "fail2ban")["status"], "ok");
    assert_eq!(component(&r, "fail2ban_config")["status"], "ok");
    assert_component_error(&r, "fail2ban_client", "/nonexistent/fail2ban-client");

    // The routes that only use the socket keep working.
    assert_status(&agent.get("/api/v1/jails").await, 200);
}

#[tokio::test]
async fn degraded_503_when_the_config_dir_has_no_jail_conf() {
    let f2b = Fail2ban::start();
    let empty = tempfile::tempdir().unwrap();
    let agent = Agent::start_with(&f2b, |c| c.config_dir = empty.path().to_owned());

    let r = agent.get("/api/v1/health").await;
    assert_status(&r, 503);
    assert_eq!(r.json["status"], "degraded", "{}", r.text);
    assert_eq!(r.json["fail2ban"], "online");
    assert_component_error(&r, "fail2ban_config", &empty.path().display().to_string());
    assert_eq!(component(&r, "fail2ban_client")["status"], "ok");
}
