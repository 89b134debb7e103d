//! The user listener: HTTPS when a certificate is configured, a warning for plain HTTP beyond
//! loopback.

use bangui_tests::{Agent, Fail2ban};

use crate::common::https_request;

#[tokio::test]
async fn tls_listener_serves_https_only() {
    let f2b = Fail2ban::start();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let agent = Agent::start_with(&f2b, |c| {
        c.setup = false;
        c.tls = Some((cert.clone(), key.clone()));
    });
    assert!(agent.base_url().starts_with("https://"));
    let response = https_request(
        agent.addr(),
        &certified.cert.pem(),
        None,
        "GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await
    .expect("HTTPS request");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"fail2ban\":\"online\""), "{response}");

    // Plain HTTP on the TLS port gets no API answer.
    let plain = agent
        .http()
        .get(format!("http://{}/api/v1/health", agent.addr()))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
}

#[tokio::test]
async fn plain_http_beyond_loopback_warns_at_start() {
    let f2b = Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| {
        c.setup = false;
        c.listen = "0.0.0.0:0".into();
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !agent.stderr_text().contains("plain HTTP beyond loopback") {
        assert!(
            std::time::Instant::now() < deadline,
            "no warning in: {}",
            agent.stderr_text()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let loopback = Agent::start_with(&f2b, |c| c.setup = false);
    assert!(!loopback.stderr_text().contains("beyond loopback"));
}
