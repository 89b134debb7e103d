//! The agent's edge listener: mutual TLS against the fleet CA, the edge role in the
//! certificate, and requests authenticated by the certificate (audit and limits by the
//! forwarded client).

use std::net::SocketAddr;

use bangui_tests::{Agent, Fail2ban, TEST_PASSWORD};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};

use crate::common::{database, https_request};

struct Pki {
    ca_pem: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

fn ca(name: &str) -> Pki {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    Pki {
        ca_pem: issuer.pem(),
        issuer,
    }
}

/// (cert PEM, key PEM) signed by `pki`, with optional SAN URI and for client or server use.
fn leaf(pki: &Pki, uri: Option<&str>, server: bool) -> (String, String) {
    let mut params = CertificateParams::new(if server {
        vec!["localhost".to_owned()]
    } else {
        Vec::new()
    })
    .unwrap();
    if let Some(uri) = uri {
        params
            .subject_alt_names
            .push(SanType::URI(uri.to_owned().try_into().unwrap()));
    }
    params.extended_key_usages = vec![if server {
        ExtendedKeyUsagePurpose::ServerAuth
    } else {
        ExtendedKeyUsagePurpose::ClientAuth
    }];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &pki.issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn edge_addr(agent: &Agent) -> SocketAddr {
    let out = agent.stdout_text();
    out.lines()
        .find_map(|l| l.strip_prefix("bangui-agent edge listening on https://"))
        .unwrap_or_else(|| panic!("no edge listener line in {out}"))
        .parse()
        .unwrap()
}

fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (k, v) in headers {
        r += &format!("{k}: {v}\r\n");
    }
    if !body.is_empty() {
        r += &format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    r + "\r\n" + body
}

struct Setup {
    _f2b: Fail2ban,
    agent: Agent,
    fleet: Pki,
    _dir: tempfile::TempDir,
}

fn start() -> Setup {
    let f2b = Fail2ban::start();
    let fleet = ca("fleet CA");
    let (server_cert, server_key) = leaf(&fleet, Some("spiffe://bangui/agent/a1"), true);
    let dir = tempfile::tempdir().unwrap();
    let path = |n: &str| dir.path().join(n).display().to_string();
    std::fs::write(path("ca.pem"), &fleet.ca_pem).unwrap();
    std::fs::write(path("agent.pem"), server_cert).unwrap();
    std::fs::write(path("agent.key"), server_key).unwrap();
    let agent = Agent::start_with(&f2b, |c| {
        c.extra_toml = format!(
            "[edge]\naddress = \"127.0.0.1:0\"\nca = {:?}\ncert = {:?}\nkey = {:?}\n",
            path("ca.pem"),
            path("agent.pem"),
            path("agent.key")
        );
    });
    Setup {
        _f2b: f2b,
        agent,
        fleet,
        _dir: dir,
    }
}

#[tokio::test]
async fn only_the_fleet_edge_certificate_gets_in() {
    let s = start();
    let addr = edge_addr(&s.agent);
    let get = request("GET", "/api/v1/jails", &[], "");
    let (edge_cert, edge_key) = leaf(&s.fleet, Some("spiffe://bangui/edge"), false);
    let ok = https_request(addr, &s.fleet.ca_pem, Some((&edge_cert, &edge_key)), &get)
        .await
        .expect("edge request");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    assert!(ok.contains("\"total\":2"), "{ok}");

    // No client certificate, or one from another CA: the handshake fails.
    let none = https_request(addr, &s.fleet.ca_pem, None, &get).await;
    assert!(none.is_err(), "no client cert accepted: {none:?}");
    let other = ca("other CA");
    let (foreign_cert, foreign_key) = leaf(&other, Some("spiffe://bangui/edge"), false);
    let foreign = https_request(
        addr,
        &s.fleet.ca_pem,
        Some((&foreign_cert, &foreign_key)),
        &get,
    )
    .await;
    assert!(foreign.is_err(), "foreign CA accepted: {foreign:?}");

    // Right CA, wrong role: 403.
    let (plain_cert, plain_key) = leaf(&s.fleet, Some("spiffe://bangui/agent/a2"), false);
    let denied = https_request(addr, &s.fleet.ca_pem, Some((&plain_cert, &plain_key)), &get)
        .await
        .expect("role-less request");
    assert!(denied.starts_with("HTTP/1.1 403"), "{denied}");
    assert!(denied.contains("\"code\":\"forbidden\""), "{denied}");

    let stderr = s.agent.stderr_text();
    assert!(stderr.contains("TLS handshake failed"), "{stderr}");
}

#[tokio::test]
async fn edge_requests_are_audited_and_limited_by_the_forwarded_client() {
    let s = start();
    let addr = edge_addr(&s.agent);
    let (cert, key) = leaf(&s.fleet, Some("spiffe://bangui/edge"), false);
    let send = |req: String| {
        let (ca, cert, key) = (s.fleet.ca_pem.clone(), cert.clone(), key.clone());
        async move {
            https_request(addr, &ca, Some((&cert, &key)), &req)
                .await
                .expect("edge request")
        }
    };
    let ban = request(
        "POST",
        "/api/v1/bans",
        &[
            ("X-Forwarded-For", "198.51.100.5"),
            ("X-BanGUI-Session", "abcdef0123456789abcdef"),
        ],
        r#"{"ip":"192.0.2.50","jail":"sshd"}"#,
    );
    let r = send(ban).await;
    assert!(r.starts_with("HTTP/1.1 201"), "{r}");
    let (actor, client): (String, String) = database(&s.agent)
        .query_row(
            "SELECT actor, client_ip FROM audit_log WHERE route = '/api/v1/bans'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(actor, "edge:spiffe://bangui/edge session:abcdef012345");
    assert_eq!(client, "198.51.100.5");

    // The login limiter counts the forwarded client, not the edge.
    let login = |ip: &str| {
        request(
            "POST",
            "/api/v1/auth/login",
            &[("X-Forwarded-For", ip)],
            &format!(r#"{{"password":"{TEST_PASSWORD}"}}"#),
        )
    };
    for _ in 0..5 {
        let r = send(login("203.0.113.9")).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    }
    let limited = send(login("203.0.113.9")).await;
    assert!(limited.starts_with("HTTP/1.1 429"), "{limited}");
    let other = send(login("203.0.113.10")).await;
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
}
