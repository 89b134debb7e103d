//! The audit log records every write with its outcome, and never a password or a token.

use bangui_tests::{assert_status, TEST_PASSWORD};
use reqwest::Method;
use serde_json::json;

use crate::common::{bearer, database, fresh, login, send, setup, token, with_cookie};

#[tokio::test]
async fn writes_are_audited_without_secrets() {
    let (_f2b, agent) = fresh();
    setup(&agent).await;
    assert_eq!(login(&agent, "Wrong-passw0rd!").await.status, 401);
    let token = token(&agent).await;
    let ban = send(
        &agent,
        bearer(&agent, Method::POST, "/api/v1/bans", &token)
            .json(&json!({"ip": "192.0.2.40", "jail": "sshd"})),
    )
    .await;
    assert_status(&ban, 201);
    let bad = send(
        &agent,
        bearer(&agent, Method::POST, "/api/v1/bans", &token)
            .json(&json!({"ip": "nope", "jail": "sshd"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    let csrf = send(
        &agent,
        with_cookie(&agent, Method::POST, "/api/v1/jails/sshd/idle", &token),
    )
    .await;
    assert_eq!(csrf.status, 403);
    assert_status(
        &send(&agent, bearer(&agent, Method::GET, "/api/v1/jails", &token)).await,
        200,
    );

    let db = database(&agent);
    let mut stmt = db
        .prepare("SELECT actor, method, route, COALESCE(target, ''), status, COALESCE(code, '') FROM audit_log ORDER BY id")
        .unwrap();
    let rows: Vec<(String, String, String, String, i64, String)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let summary: Vec<(&str, &str, i64, &str)> = rows
        .iter()
        .map(|(_, m, r, _, s, c)| (m.as_str(), r.as_str(), *s, c.as_str()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("POST", "/api/v1/setup", 201, ""),
            ("POST", "/api/v1/auth/login", 401, "invalid_credentials"),
            ("POST", "/api/v1/auth/login", 200, ""),
            ("POST", "/api/v1/bans", 201, ""),
            ("POST", "/api/v1/bans", 400, "invalid_input"),
            (
                "POST",
                "/api/v1/jails/{name}/idle",
                403,
                "csrf_check_failed"
            ),
        ],
        "reads are not audited, every write is"
    );
    let ban_row = &rows[3];
    assert!(ban_row.0.starts_with("session:"), "actor {}", ban_row.0);
    assert_eq!(ban_row.3, "jail=sshd ip=192.0.2.40");
    assert_eq!(rows[5].3, "name=sshd");

    // No secret anywhere in the database files (tables, WAL, free pages).
    let sid = crate::common::claims(&token)["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    for file in ["bangui.db", "bangui.db-wal"] {
        let path = agent.state_dir().join(file);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for secret in [
            TEST_PASSWORD,
            "Wrong-passw0rd!",
            token.as_str(),
            sid.as_str(),
        ] {
            assert!(!text.contains(secret), "{file} contains a secret");
        }
    }
}
