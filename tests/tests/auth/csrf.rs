//! Cookie-authenticated writes need `X-BanGUI-Request: 1`; Bearer requests do not.

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};
use reqwest::Method;
use serde_json::json;

use crate::common::{bearer, send, with_cookie};

#[tokio::test]
async fn cookie_writes_need_the_csrf_header() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    let token = agent.token().unwrap();
    let ban = json!({"ip": "192.0.2.20", "jail": "sshd"});

    let refused = send(
        &agent,
        with_cookie(&agent, Method::POST, "/api/v1/bans", &token).json(&ban),
    )
    .await;
    assert_error(&refused, 403, "csrf_check_failed");
    assert!(
        !f2b.is_banned("sshd", "192.0.2.20"),
        "refused write reached fail2ban"
    );

    let wrong_value = send(
        &agent,
        with_cookie(&agent, Method::POST, "/api/v1/bans", &token)
            .header("X-BanGUI-Request", "yes")
            .json(&ban),
    )
    .await;
    assert_error(&wrong_value, 403, "csrf_check_failed");

    let allowed = send(
        &agent,
        with_cookie(&agent, Method::POST, "/api/v1/bans", &token)
            .header("X-BanGUI-Request", "1")
            .json(&ban),
    )
    .await;
    assert_status(&allowed, 201);
    assert!(f2b.is_banned("sshd", "192.0.2.20"));

    // Reads with the cookie need no header.
    assert_status(
        &send(
            &agent,
            with_cookie(&agent, Method::GET, "/api/v1/bans/active", &token),
        )
        .await,
        200,
    );
    // The state-changing GET (config rollback) is a write for CSRF purposes.
    let rollback = send(
        &agent,
        with_cookie(
            &agent,
            Method::GET,
            "/api/v1/config/jails/sshd/rollback",
            &token,
        ),
    )
    .await;
    assert_error(&rollback, 403, "csrf_check_failed");
}

#[tokio::test]
async fn bearer_writes_are_exempt() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    let token = agent.token().unwrap();
    let r = send(
        &agent,
        bearer(&agent, Method::DELETE, "/api/v1/bans", &token).json(&json!({"ip": "192.0.2.21"})),
    )
    .await;
    // Not banned anywhere: the request got past the gate to fail2ban.
    assert_error(&r, 409, "conflict");
    let ban = send(
        &agent,
        bearer(&agent, Method::POST, "/api/v1/bans", &token)
            .json(&json!({"ip": "2001:db8::21", "jail": "f2btest"})),
    )
    .await;
    assert_status(&ban, 201);
    assert!(f2b.is_banned("f2btest", "2001:db8::21"));
}
