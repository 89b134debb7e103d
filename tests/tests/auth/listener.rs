//! The user listener: HTTPS when a certificate is configured, a warning for plain HTTP beyond
//! loopback.

use std::sync::Arc;

use bangui_tests::{Agent, Fail2ban};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn https_get(agent: &Agent, ca_pem: &str, path: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(agent.addr()).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake with the agent");
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tls.read_to_string(&mut response).await.unwrap();
    response
}

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
    let response = https_get(&agent, &certified.cert.pem(), "/api/v1/health").await;
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
