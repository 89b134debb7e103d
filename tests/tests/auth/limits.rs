//! Login limits (attempts per window, growing delays per client) and write-bucket limits.

use std::time::{Duration, Instant};

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban, Response, TEST_PASSWORD};
use serde_json::json;

use crate::common::{fresh_with, send, setup};

/// Agents behind a "proxy" on 127.0.0.1, so `X-Forwarded-For` picks the client address.
const TRUST_LOOPBACK: &str = "[auth]\ntrusted_proxies = [\"127.0.0.1/32\"]\n";

async fn login_as(agent: &Agent, client: &str, password: &str) -> Response {
    send(
        agent,
        agent
            .http()
            .post(agent.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", client)
            .json(&json!({ "password": password })),
    )
    .await
}

#[tokio::test]
async fn sixth_attempt_in_a_minute_is_429_and_survives_a_restart() {
    let (_f2b, mut agent) = fresh_with(|c| c.extra_toml = TRUST_LOOPBACK.into());
    setup(&agent).await;
    let client = "198.51.100.60";
    for n in 1..=5 {
        let r = login_as(&agent, client, TEST_PASSWORD).await;
        assert_eq!(r.status, 200, "attempt {n}: {}", r.text);
    }
    let sixth = login_as(&agent, client, TEST_PASSWORD).await;
    assert_error(&sixth, 429, "rate_limit_exceeded");
    let retry: u64 = sixth
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(sixth.json["metadata"]["retry_after_seconds"], retry);
    // Another client is not affected.
    assert_status(&login_as(&agent, "198.51.100.61", TEST_PASSWORD).await, 200);
    // The count is kept in the database: a restart does not reset it.
    agent.restart();
    assert_error(
        &login_as(&agent, client, TEST_PASSWORD).await,
        429,
        "rate_limit_exceeded",
    );
}

#[tokio::test]
async fn failure_delays_grow_per_client_and_never_slow_others() {
    let (_f2b, agent) = fresh_with(|c| c.extra_toml = TRUST_LOOPBACK.into());
    setup(&agent).await;
    let attacker = "203.0.113.66";
    let mut took = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let r = login_as(&agent, attacker, "Wrong-passw0rd!").await;
        assert_error(&r, 401, "invalid_credentials");
        took.push(t.elapsed());
    }
    assert!(took[0] >= Duration::from_millis(500), "{took:?}");
    assert!(took[1] >= Duration::from_secs(1), "{took:?}");
    assert!(took[2] >= Duration::from_secs(2), "{took:?}");

    // The 4th failure waits 4 s; meanwhile another client logs in at full speed.
    let slow = async {
        let t = Instant::now();
        let r = login_as(&agent, attacker, "Wrong-passw0rd!").await;
        (r, t.elapsed())
    };
    let fast = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let t = Instant::now();
        let r = login_as(&agent, "198.51.100.77", TEST_PASSWORD).await;
        (r, t.elapsed())
    };
    let ((slow_r, slow_t), (fast_r, fast_t)) = tokio::join!(slow, fast);
    assert_error(&slow_r, 401, "invalid_credentials");
    assert!(
        slow_t >= Duration::from_secs(4),
        "4th failure took {slow_t:?}"
    );
    assert_status(&fast_r, 200);
    assert!(
        fast_t < Duration::from_secs(2),
        "other client slowed: {fast_t:?}"
    );
}

#[tokio::test]
async fn write_buckets_limit_per_client() {
    let f2b = Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| c.extra_toml = "[limits]\nban = 2\n".into());
    for ip in ["192.0.2.31", "192.0.2.32"] {
        let r = agent
            .post_json("/api/v1/bans", &json!({"ip": ip, "jail": "sshd"}))
            .await;
        assert_status(&r, 201);
    }
    let third = agent
        .post_json("/api/v1/bans", &json!({"ip": "192.0.2.33", "jail": "sshd"}))
        .await;
    assert_error(&third, 429, "rate_limit_exceeded");
    assert_eq!(third.json["metadata"]["bucket"], "ban");
    let retry: u64 = third.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert!(
        !f2b.is_banned("sshd", "192.0.2.33"),
        "limited write reached fail2ban"
    );
    // Other buckets are separate.
    let unban = agent
        .delete_json("/api/v1/bans", &json!({"ip": "192.0.2.31", "jail": "sshd"}))
        .await;
    assert_status(&unban, 200);
}
