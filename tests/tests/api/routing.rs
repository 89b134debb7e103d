//! Routing and request handling shared by all routes: 404, 405, correlation ids, body size
//! limit. (That every route of the table is served, with a status its spec lists, is the edge
//! sweep's `every_route_answers_like_agent_only`, in agent-only mode and through the edge.)

use bangui_tests::{assert_error, assert_status, Fail2ban};
use reqwest::Method;

use crate::common::start;

/// The agent's default `listen.max_body_bytes`.
const MAX_BODY: usize = 1024 * 1024;

#[tokio::test]
async fn unknown_paths_are_404_not_found() {
    let (_f2b, agent) = start();
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/api/v1/nope"),
        (Method::GET, "/api/v2/health"),
        (Method::GET, "/api/v1/health/extra"),
        (Method::POST, "/api/v1/jails/sshd/explode"),
        (Method::DELETE, "/api/v1/nothing/here"),
    ] {
        let r = agent.send(agent.request(method, path)).await;
        assert_error(&r, 404, "not_found");
    }
}

#[tokio::test]
async fn known_paths_with_the_wrong_method_are_405() {
    let (f2b, agent) = start();
    for (method, path) in [
        (Method::DELETE, "/api/v1/health"),
        (Method::PATCH, "/api/v1/health"),
        (Method::POST, "/api/v1/jails"),
        (Method::PUT, "/api/v1/bans"),
        (Method::GET, "/api/v1/jails/sshd/stop"),
        (Method::DELETE, "/api/v1/jails/sshd"),
    ] {
        let r = agent.send(agent.request(method, path)).await;
        assert_error(&r, 405, "method_not_allowed");
    }
    assert_eq!(
        f2b.running_jails(),
        Ok(Fail2ban::builtin_jails()),
        "nothing was stopped"
    );
}

#[tokio::test]
async fn a_callers_correlation_id_is_echoed() {
    let (_f2b, agent) = start();
    let with_id = |method: Method, path: &str| {
        agent
            .request(method, path)
            .header("X-Correlation-ID", "abc-123")
    };

    let r = agent.send(with_id(Method::GET, "/api/v1/nope")).await;
    assert_error(&r, 404, "not_found");
    assert_eq!(r.header("x-correlation-id"), Some("abc-123"));
    assert_eq!(r.json["correlation_id"], "abc-123");

    let r = agent
        .send(with_id(Method::GET, "/api/v1/jails/nosuch"))
        .await;
    assert_error(&r, 404, "jail_not_found");
    assert_eq!(r.json["correlation_id"], "abc-123");

    let r = agent.send(with_id(Method::GET, "/api/v1/health")).await;
    assert_status(&r, 200);
    assert_eq!(
        r.header("x-correlation-id"),
        Some("abc-123"),
        "also on success"
    );
}

#[tokio::test]
async fn a_missing_or_unsafe_correlation_id_is_replaced() {
    let (_f2b, agent) = start();
    let a = agent.get("/api/v1/nope").await;
    let b = agent.get("/api/v1/nope").await;
    assert_error(&a, 404, "not_found");
    assert_error(&b, 404, "not_found");
    assert_ne!(
        a.json["correlation_id"], b.json["correlation_id"],
        "fresh per request"
    );

    let long = "x".repeat(129);
    for bad in ["has space", "semi;colon", "<script>", long.as_str()] {
        let r = agent
            .send(
                agent
                    .request(Method::GET, "/api/v1/nope")
                    .header("X-Correlation-ID", bad),
            )
            .await;
        assert_error(&r, 404, "not_found");
        assert_ne!(r.json["correlation_id"], bad, "an unsafe id is not echoed");
    }
}

#[tokio::test]
async fn bodies_over_one_mib_are_413() {
    let (f2b, agent) = start();
    let over = format!(
        "{{\"ip\": \"192.0.2.140\", \"jail\": \"sshd\"}}{}",
        " ".repeat(MAX_BODY)
    );
    let r = agent
        .post_raw("/api/v1/bans", &over, "application/json")
        .await;
    assert_error(&r, 413, "payload_too_large");
    assert!(!f2b.is_banned("sshd", "192.0.2.140"));

    // Exactly at the limit is fine.
    let body = "{\"ip\": \"192.0.2.140\", \"jail\": \"sshd\"}";
    let at_limit = format!("{body}{}", " ".repeat(MAX_BODY - body.len()));
    assert_eq!(at_limit.len(), MAX_BODY);
    let r = agent
        .post_raw("/api/v1/bans", &at_limit, "application/json")
        .await;
    assert_status(&r, 201);
    assert!(f2b.is_banned("sshd", "192.0.2.140"));
}
