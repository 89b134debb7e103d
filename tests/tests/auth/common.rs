//! Helpers for the auth tests: agents that are not set up yet, raw requests with chosen
//! credentials, and reading the agent's signing key and database.

use bangui_tests::{Agent, AgentConfig, Fail2ban, Response, TEST_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

/// A sandbox and an agent on which setup has not run.
pub fn fresh() -> (Fail2ban, Agent) {
    fresh_with(|_| {})
}

pub fn fresh_with(configure: impl FnOnce(&mut AgentConfig)) -> (Fail2ban, Agent) {
    let f2b = Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| {
        c.setup = false;
        configure(c);
    });
    (f2b, agent)
}

/// Runs setup with the test password (and nothing else).
pub async fn setup(agent: &Agent) {
    let r = agent
        .post_json(
            "/api/v1/setup",
            &json!({ "master_password": TEST_PASSWORD }),
        )
        .await;
    assert_eq!(r.status, 201, "setup: {}", r.text);
}

/// Logs in from this client; returns the response.
pub async fn login(agent: &Agent, password: &str) -> Response {
    send(
        agent,
        agent
            .http()
            .post(agent.url("/api/v1/auth/login"))
            .json(&json!({ "password": password })),
    )
    .await
}

/// Logs in (from the `X-Forwarded-For` client `ip` when given) and returns the token.
pub async fn token(agent: &Agent) -> String {
    let r = login(agent, TEST_PASSWORD).await;
    assert_eq!(r.status, 200, "login: {}", r.text);
    r.json["token"].as_str().expect("token").to_owned()
}

pub async fn send(agent: &Agent, request: reqwest::RequestBuilder) -> Response {
    agent.send(request).await
}

/// A request with `Authorization: Bearer token`.
pub fn bearer(agent: &Agent, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
    agent
        .http()
        .request(method, agent.url(path))
        .bearer_auth(token)
}

/// A request carrying the session cookie.
pub fn with_cookie(
    agent: &Agent,
    method: Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    agent
        .http()
        .request(method, agent.url(path))
        .header("cookie", format!("bangui_session={token}"))
}

/// The agent's session signing key (the text of `<state>/session.key`).
pub fn signing_key(agent: &Agent) -> Vec<u8> {
    std::fs::read_to_string(agent.state_dir().join("session.key"))
        .expect("session key")
        .trim()
        .as_bytes()
        .to_vec()
}

/// The claims inside a token (payload only; no verification).
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT payload");
    let bytes = base64_url_decode(payload);
    serde_json::from_slice(&bytes).expect("JWT claims")
}

fn base64_url_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64url") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Opens the agent's database read-only.
pub fn database(agent: &Agent) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        agent.state_dir().join("bangui.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("agent database")
}

/// Sends one raw HTTP/1.1 request over TLS to `addr` (server name `localhost`, trusting
/// `ca_pem`), presenting the client certificate `(cert_pem, key_pem)` if given; returns the
/// raw response, or the TLS/IO error text.
pub async fn https_request(
    addr: std::net::SocketAddr,
    ca_pem: &str,
    client: Option<(&str, &str)>,
    request: &str,
) -> Result<String, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots);
    let config = match client {
        Some((cert, key)) => {
            let chain = CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tls.write_all(request.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut response = String::new();
    tls.read_to_string(&mut response)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if response.is_empty() {
        return Err("connection closed without a response".into());
    }
    Ok(response)
}
