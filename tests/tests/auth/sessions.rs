//! Which tokens the gate refuses: missing, malformed, tampered, foreign, expired, logged out,
//! replaced — on every protected route of the route table — and what survives a restart.

use bangui_shared::routes::{Method as RouteMethod, ROUTES};
use bangui_shared::session::{sign, Claims};
use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};
use reqwest::Method;

use crate::common::{bearer, claims, send, signing_key, token};

fn method(m: RouteMethod) -> Method {
    match m {
        RouteMethod::Get => Method::GET,
        RouteMethod::Post => Method::POST,
        RouteMethod::Put => Method::PUT,
        RouteMethod::Delete => Method::DELETE,
    }
}

/// A concrete path for a route pattern (`{name}` → `sshd`, `{ip}` → an address, ...).
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{name}", "sshd")
        .replace("{ip}", "192.0.2.1")
        .replace("{source_id}", "1")
}

#[tokio::test]
async fn every_protected_route_refuses_missing_and_bad_tokens() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    let protected: Vec<_> = ROUTES
        .iter()
        .filter(|r| !r.public && r.pattern != "/api/v1/auth/logout")
        .collect();
    assert!(
        protected.len() > 60,
        "route table shrank: {}",
        protected.len()
    );
    for route in protected {
        let path = concrete(route.pattern);
        let none = send(
            &agent,
            agent.http().request(method(route.method), agent.url(&path)),
        )
        .await;
        assert_error(&none, 401, "authentication_required");
        let bad = send(
            &agent,
            bearer(&agent, method(route.method), &path, "not-a-token"),
        )
        .await;
        assert_error(&bad, 401, "authentication_required");
    }
}

#[tokio::test]
async fn expired_tampered_and_foreign_tokens_are_refused() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    let good = agent.token().unwrap();
    let key = signing_key(&agent);
    let c = claims(&good);
    let sid = c["sid"].as_str().unwrap().to_owned();
    let now = c["iat"].as_i64().unwrap();
    let ok = send(&agent, bearer(&agent, Method::GET, "/api/v1/jails", &good)).await;
    assert_status(&ok, 200);

    // Same live session, right key, but already expired.
    let expired = sign(
        &Claims {
            sid: sid.clone(),
            iat: now - 7200,
            exp: now - 60,
        },
        &key,
    )
    .unwrap();
    // Same session with a later expiry, signed with another key.
    let foreign_key = b"another-key-another-key-another-key!!";
    let foreign = sign(
        &Claims {
            sid: sid.clone(),
            iat: now,
            exp: now + 86_400,
        },
        foreign_key,
    )
    .unwrap();
    // The good token's signature on a payload with a later expiry.
    let longer = sign(
        &Claims {
            sid,
            iat: now,
            exp: now + 86_400,
        },
        &key,
    )
    .unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        longer.split('.').nth(1).unwrap(),
        parts[2]
    );
    // An unsigned token (alg none).
    let none = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.", parts[1]);

    for (what, token) in [
        ("expired", expired),
        ("foreign key", foreign),
        ("tampered", tampered),
        ("alg none", none),
    ] {
        let r = send(&agent, bearer(&agent, Method::GET, "/api/v1/jails", &token)).await;
        assert_eq!(r.status, 401, "{what} token accepted: {}", r.text);
        assert_error(&r, 401, "authentication_required");
    }
    // A correctly signed token whose session never existed.
    let invented = sign(
        &Claims {
            sid: "0".repeat(64),
            iat: now,
            exp: now + 60,
        },
        &key,
    )
    .unwrap();
    let r = send(
        &agent,
        bearer(&agent, Method::GET, "/api/v1/jails", &invented),
    )
    .await;
    assert_error(&r, 401, "authentication_required");
}

#[tokio::test]
async fn logout_and_a_newer_login_end_sessions() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    let first = agent.token().unwrap();
    let second = token(&agent).await;
    let old = send(&agent, bearer(&agent, Method::GET, "/api/v1/jails", &first)).await;
    assert_error(&old, 401, "authentication_required");
    assert_status(
        &send(
            &agent,
            bearer(&agent, Method::GET, "/api/v1/jails", &second),
        )
        .await,
        200,
    );
    assert_status(
        &send(
            &agent,
            bearer(&agent, Method::POST, "/api/v1/auth/logout", &second),
        )
        .await,
        200,
    );
    let gone = send(
        &agent,
        bearer(&agent, Method::GET, "/api/v1/jails", &second),
    )
    .await;
    assert_error(&gone, 401, "authentication_required");
}

#[tokio::test]
async fn restart_keeps_setup_and_live_sessions() {
    let f2b = Fail2ban::start();
    let mut agent = Agent::start(&f2b);
    let token = agent.token().unwrap();
    let key_before = signing_key(&agent);
    agent.restart();
    assert_eq!(agent.get("/api/v1/setup").await.json["completed"], true);
    assert_eq!(signing_key(&agent), key_before);
    let r = send(&agent, bearer(&agent, Method::GET, "/api/v1/jails", &token)).await;
    assert_status(&r, 200);
}
