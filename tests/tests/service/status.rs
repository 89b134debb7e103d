//! `GET /api/v1/config/service-status`, `GET`/`PUT /api/v1/config/map-color-thresholds`, and
//! the session every route of this group requires.

use bangui_tests::{assert_error, assert_status, Fail2ban};
use reqwest::Method;
use serde_json::json;

use crate::common::{assert_field_error, pid_file, read, start};

const STATUS: &str = "/api/v1/config/service-status";
const THRESHOLDS: &str = "/api/v1/config/map-color-thresholds";

#[tokio::test]
async fn service_status_describes_the_running_server() {
    let (f2b, agent) = start();
    f2b.client(&["set", "sshd", "banip", "192.0.2.9"]);
    let r = agent.get(STATUS).await;
    assert_status(&r, 200);
    let s = &r.json;
    assert_eq!(s["running"], true);
    let pid: u32 = read(&pid_file(&f2b)).trim().parse().unwrap();
    assert_eq!(s["pid"], pid, "{}", r.text);
    assert_eq!(Some(pid), f2b.pid());
    let uptime = s["uptime_seconds"].as_u64().unwrap();
    assert!(uptime < 300, "{uptime}");
    assert!(s["started_at"].as_str().unwrap().ends_with('Z'));
    let (_, version) = f2b.client(&["version"]);
    assert_eq!(s["version"], version.trim());
    assert_eq!(s["socket"], f2b.socket().display().to_string());
    assert_eq!(s["db_file"], f2b.db_path().display().to_string());
    assert_eq!(s["db_purge_age"], 86400);
    assert_eq!(s["log_target"], f2b.server_log_path().display().to_string());
    assert_eq!(s["log_level"], "INFO");
    // sshd and f2btest are enabled and running; dormant is configured but disabled.
    assert_eq!(s["jails"], json!({"total": 2, "active": 2}));
    assert_eq!(s["currently_banned"], 1);
    assert!(!s["agent"]["version"].as_str().unwrap().is_empty());
    assert_eq!(s["agent"]["store"]["ok"], true, "{}", r.text);
    assert_eq!(s["agent"]["store"]["quick_check"], "ok");
    assert!(s["agent"]["store"]["schema_version"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn service_status_counts_a_stopped_jail_as_inactive() {
    let (f2b, agent) = start();
    f2b.client(&["stop", "f2btest"]);
    let r = agent.get(STATUS).await;
    assert_eq!(
        r.json["jails"],
        json!({"total": 2, "active": 1}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn service_status_is_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    f2b.stop();
    assert_error(&agent.get(STATUS).await, 502, "fail2ban_unreachable");
}

#[tokio::test]
async fn map_thresholds_start_as_defaults_and_keep_what_is_saved() {
    let f2b = Fail2ban::start();
    let mut agent = bangui_tests::Agent::start(&f2b);
    let r = agent.get(THRESHOLDS).await;
    assert_status(&r, 200);
    assert_eq!(r.json["is_default"], true);
    let defaults = r.json["thresholds"].as_array().unwrap();
    assert!(defaults.len() >= 2);
    assert!(defaults
        .windows(2)
        .all(|w| w[0]["min_bans"].as_u64() < w[1]["min_bans"].as_u64()));

    let body = json!({"thresholds": [
        {"min_bans": 1, "color": "#00FF00"},
        {"min_bans": 20, "color": "#ffaa00"},
        {"min_bans": 500, "color": "#ff0000"}
    ]});
    let r = agent.put_json(THRESHOLDS, &body).await;
    assert_status(&r, 200);
    assert_eq!(r.json["is_default"], false);
    assert_eq!(r.json["thresholds"][0]["color"], "#00ff00");
    assert_eq!(r.json["thresholds"][2]["min_bans"], 500);
    let saved = r.json.clone();
    assert_eq!(agent.get(THRESHOLDS).await.json, saved);

    // Kept in the agent's database across a restart.
    agent.restart();
    assert_eq!(agent.get(THRESHOLDS).await.json, saved);
}

#[tokio::test]
async fn map_thresholds_must_be_valid_and_strictly_increasing() {
    let (_f2b, agent) = start();
    for (thresholds, field) in [
        (json!([]), "thresholds"),
        (
            json!([{"min_bans": 10, "color": "#000000"}, {"min_bans": 10, "color": "#111111"}]),
            "thresholds[1].min_bans",
        ),
        (
            json!([{"min_bans": 50, "color": "#000000"}, {"min_bans": 5, "color": "#111111"}]),
            "thresholds[1].min_bans",
        ),
        (
            json!([{"min_bans": 0, "color": "#000000"}]),
            "thresholds[0].min_bans",
        ),
        (
            json!([{"min_bans": 1, "color": "red"}]),
            "thresholds[0].color",
        ),
        (
            json!([{"min_bans": 1, "color": "#12345g"}]),
            "thresholds[0].color",
        ),
    ] {
        let r = agent
            .put_json(THRESHOLDS, &json!({ "thresholds": thresholds }))
            .await;
        assert_field_error(&r, 400, "invalid_input", field);
    }
    for body in [
        json!({"thresholds": [{"min_bans": -1, "color": "#000000"}]}),
        json!({"thresholds": [{"min_bans": 1, "colour": "#000000"}]}),
        json!({"steps": []}),
    ] {
        // Not the schema: the route's spec has no 422, so 400 (reason says why).
        let r = agent.put_json(THRESHOLDS, &body).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["reason"], "invalid_body", "{}", r.text);
    }
    assert_eq!(
        agent.get(THRESHOLDS).await.json["is_default"],
        true,
        "nothing was saved"
    );
}

#[tokio::test]
async fn every_route_needs_a_session() {
    let (f2b, agent) = start();
    let jail_local = read(&f2b.config_dir().join("jail.local"));
    agent.set_token(None);
    for (method, path) in [
        (Method::GET, "/api/v1/config/global"),
        (Method::PUT, "/api/v1/config/global"),
        (Method::POST, "/api/v1/config/reload"),
        (Method::POST, "/api/v1/config/restart"),
        (Method::GET, "/api/v1/config/fail2ban-log"),
        (Method::GET, STATUS),
        (Method::GET, THRESHOLDS),
        (Method::PUT, THRESHOLDS),
    ] {
        let r = agent
            .send(
                agent
                    .request(method.clone(), path)
                    .json(&json!({"max_retry": 9})),
            )
            .await;
        assert_error(&r, 401, "authentication_required");
    }
    assert_eq!(read(&f2b.config_dir().join("jail.local")), jail_local);
    assert!(f2b.pid().is_some());
}

#[tokio::test]
async fn config_writes_share_the_config_rate_limit() {
    let f2b = Fail2ban::start();
    let agent =
        bangui_tests::Agent::start_with(&f2b, |c| c.extra_toml = "[limits]\nconfig = 2\n".into());
    let body = json!({"thresholds": [{"min_bans": 5, "color": "#abcdef"}]});
    for _ in 0..2 {
        assert_status(&agent.put_json(THRESHOLDS, &body).await, 200);
    }
    for r in [
        agent.put_json(THRESHOLDS, &body).await,
        agent
            .put_json("/api/v1/config/global", &json!({"max_retry": 4}))
            .await,
    ] {
        assert_error(&r, 429, "rate_limit_exceeded");
        assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
    }
    // Reads are not limited.
    assert_status(&agent.get(THRESHOLDS).await, 200);
}
