//! `POST /api/v1/auth/login`, `GET /api/v1/auth/session`, `POST /api/v1/auth/logout`.

use bangui_tests::{assert_error, assert_status, TEST_PASSWORD};
use reqwest::Method;

use crate::common::{bearer, fresh, fresh_with, login, send, setup, token, with_cookie};

#[tokio::test]
async fn login_sets_a_hardened_cookie_and_the_token_works_both_ways() {
    let (_f2b, agent) = fresh();
    setup(&agent).await;
    let r = login(&agent, TEST_PASSWORD).await;
    assert_status(&r, 200);
    let token = r.json["token"].as_str().unwrap().to_owned();
    assert_eq!(r.json["token_type"], "Bearer");
    assert!(r.json["expires_at"].as_str().unwrap().ends_with('Z'));
    let cookie = r.header("set-cookie").expect("Set-Cookie");
    assert!(
        cookie.starts_with(&format!("bangui_session={token};")),
        "{cookie}"
    );
    for attr in [
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
        "Path=/",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(attr), "cookie lacks {attr}: {cookie}");
    }
    let by_bearer = send(
        &agent,
        bearer(&agent, Method::GET, "/api/v1/auth/session", &token),
    )
    .await;
    assert_status(&by_bearer, 200);
    assert_eq!(by_bearer.json["valid"], true);
    let by_cookie = send(
        &agent,
        with_cookie(&agent, Method::GET, "/api/v1/jails", &token),
    )
    .await;
    assert_status(&by_cookie, 200);
    assert_eq!(by_cookie.json["pagination"]["total"], 2);
}

#[tokio::test]
async fn cookie_is_not_secure_when_configured_for_plain_http() {
    let (_f2b, agent) = fresh_with(|c| c.extra_toml = "[auth]\ncookie_secure = false\n".into());
    setup(&agent).await;
    let r = login(&agent, TEST_PASSWORD).await;
    let cookie = r.header("set-cookie").unwrap();
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn wrong_password_and_bad_bodies() {
    let (_f2b, agent) = fresh();
    setup(&agent).await;
    let wrong = login(&agent, "Wrong-passw0rd!").await;
    assert_error(&wrong, 401, "invalid_credentials");
    assert!(wrong.header("set-cookie").is_none());
    for raw in ["", "{", r#"{"pass":"x"}"#, r#"{"password":1}"#] {
        let r = agent
            .post_raw("/api/v1/auth/login", raw, "application/json")
            .await;
        assert_error(&r, 422, "invalid_body");
    }
}

#[tokio::test]
async fn session_and_logout() {
    let (_f2b, agent) = fresh();
    setup(&agent).await;
    assert_error(
        &agent.get("/api/v1/auth/session").await,
        401,
        "authentication_required",
    );
    let token = token(&agent).await;
    let out = send(
        &agent,
        bearer(&agent, Method::POST, "/api/v1/auth/logout", &token),
    )
    .await;
    assert_status(&out, 200);
    let cleared = out.header("set-cookie").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = send(
        &agent,
        bearer(&agent, Method::GET, "/api/v1/auth/session", &token),
    )
    .await;
    assert_error(&after, 401, "authentication_required");
    // Logging out without (or with a dead) session still succeeds, silently.
    assert_status(&agent.post("/api/v1/auth/logout").await, 200);
    assert_status(
        &send(
            &agent,
            bearer(&agent, Method::POST, "/api/v1/auth/logout", &token),
        )
        .await,
        200,
    );
}
