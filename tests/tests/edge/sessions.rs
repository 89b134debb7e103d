//! Sessions at the edge: verified locally, revalidated with the control agent after
//! `session_revalidate_seconds`, so logout and a newer login end them at the edge too.

use std::time::Duration;

use bangui_tests::{assert_error, assert_status, Fleet};

/// Where the edge hands a bearer client its re-signed token.
const TOKEN_HEADER: &str = "x-bangui-session-token";

#[tokio::test]
async fn logout_ends_the_session_at_the_edge_within_the_window() {
    let fleet = Fleet::start_with(2, &[("session_revalidate_seconds", "1")]);
    let edge = &fleet.devhost;
    assert_status(&edge.get("/api/v1/jails").await, 200);

    // No token, a garbage token: 401 at the edge, without asking an agent.
    let token = edge.token();
    edge.set_token(None);
    assert_error(
        &edge.get("/api/v1/jails").await,
        401,
        "authentication_required",
    );
    edge.set_token(Some("garbage".into()));
    assert_error(
        &edge.get("/api/v1/jails").await,
        401,
        "authentication_required",
    );
    edge.set_token(token);

    // Log out through the edge; once the token is older than the window the edge asks the
    // control agent, which says no.
    assert_status(&edge.post("/api/v1/auth/logout").await, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_error(
        &edge.get("/api/v1/jails").await,
        401,
        "authentication_required",
    );
}

#[tokio::test]
async fn login_through_the_edge_sets_the_cookie() {
    let fleet = Fleet::start(2);
    let edge = &fleet.devhost;
    let r = edge
        .http()
        .post(edge.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": bangui_tests::TEST_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("bangui_session="), "{cookie}");
    let token = cookie
        .trim_start_matches("bangui_session=")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    // The cookie works for reads at the edge; writes need the CSRF header.
    let read = edge
        .send(
            edge.http()
                .get(edge.url("/api/v1/jails"))
                .header("cookie", format!("bangui_session={token}")),
        )
        .await;
    assert_status(&read, 200);
    let write = edge
        .send(
            edge.http()
                .post(edge.url("/api/v1/jails/sshd/idle?host=agent1"))
                .header("cookie", format!("bangui_session={token}")),
        )
        .await;
    assert_error(&write, 403, "csrf_check_failed");
}

#[tokio::test]
async fn the_signing_key_is_not_on_the_dev_host_command_line() {
    let fleet = Fleet::start(1);
    let edge = &fleet.devhost;
    // The edge verifies sessions signed with the key, so it has it...
    assert_status(&edge.get("/api/v1/jails").await, 200);
    // ...from the key file (`--variable session_signing_key=@FILE`): every local user can
    // read a command line.
    let key = std::fs::read_to_string(fleet.certs_dir.join("session.key")).unwrap();
    let pid = edge.pid().expect("the dev host runs");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(cmdline.contains("--variable control_agent="), "{cmdline}");
    assert!(!cmdline.contains(key.trim()), "the key is in: {cmdline}");
    let log = edge.stderr_text();
    assert!(
        !log.contains(key.trim()) && !log.contains("with --variable"),
        "{log}"
    );
}

#[tokio::test]
async fn a_bearer_client_gets_the_re_signed_token_after_the_window() {
    // Issue times are whole seconds: a 5 s window keeps the fresh token's next request inside
    // it even on a loaded machine.
    let fleet = Fleet::start_with(2, &[("session_revalidate_seconds", "5")]);
    let edge = &fleet.devhost;
    let issued = edge.token().expect("logged in");
    tokio::time::sleep(Duration::from_millis(5100)).await;

    // Older than the window: the edge asks the control agent, then hands out a fresh token.
    let r = edge.get("/api/v1/jails").await;
    assert_status(&r, 200);
    let fresh = r
        .header(TOKEN_HEADER)
        .unwrap_or_else(|| panic!("no {TOKEN_HEADER}: {:?}", r.headers))
        .to_owned();
    assert_ne!(fresh, issued);

    // The fresh token starts a new window: no check, no new token.
    edge.set_token(Some(fresh.clone()));
    let r = edge.get("/api/v1/jails").await;
    assert_status(&r, 200);
    assert_eq!(
        r.header(TOKEN_HEADER),
        None,
        "checked again within the window"
    );

    // It is the same session: a logout through it ends the old token too.
    assert_status(&edge.post("/api/v1/auth/logout").await, 200);
    edge.set_token(Some(issued));
    assert_error(
        &edge.get("/api/v1/jails").await,
        401,
        "authentication_required",
    );
}
