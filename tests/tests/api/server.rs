//! `/api/v1/server`: `GET`/`PUT /settings` and `POST /flush-logs`.

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};
use serde_json::{json, Value};

use crate::common::{
    assert_field_error, assert_unreachable, poll_until, server_value, start, POLL_TIMEOUT,
};

const SETTINGS: &str = "/api/v1/server/settings";

/// fail2ban's server settings as `fail2ban-client get` prints them.
fn f2b_settings(f2b: &Fail2ban) -> [String; 4] {
    [
        f2b.log_level(),
        server_value(f2b, "logtarget"),
        server_value(f2b, "dbpurgeage"),
        server_value(f2b, "dbmaxmatches"),
    ]
}

async fn settings(agent: &Agent) -> Value {
    let r = agent.get(SETTINGS).await;
    assert_status(&r, 200);
    r.json
}

#[tokio::test]
async fn get_reports_the_server_settings() {
    let (f2b, agent) = start();
    let r = agent.get(SETTINGS).await;
    assert_status(&r, 200);
    let s = &r.json["settings"];
    assert_eq!(s["log_level"], "INFO", "{}", r.text);
    assert_eq!(
        s["log_target"],
        f2b.server_log_path().display().to_string(),
        "{}",
        r.text
    );
    assert!(s["log_target"].as_str().unwrap().ends_with("fail2ban.log"));
    assert_eq!(s["syslog_socket"], "auto");
    assert_eq!(s["db_file"], f2b.db_path().display().to_string());
    assert!(s["db_file"].as_str().unwrap().ends_with(".sqlite3"));
    assert_eq!(s["db_purge_age"], 86400);
    assert_eq!(s["db_max_matches"], 10);
    assert_eq!(r.json["warnings"], json!([]));
}

#[tokio::test]
async fn put_log_level_changes_fail2ban() {
    let (f2b, agent) = start();
    for (sent, expected) in [("debug", "DEBUG"), ("WARNING", "WARNING"), ("Info", "INFO")] {
        let r = agent.put_json(SETTINGS, &json!({"log_level": sent})).await;
        assert_status(&r, 204);
        assert!(r.text.is_empty(), "204 has no body: {:?}", r.text);
        assert_eq!(settings(&agent).await["settings"]["log_level"], expected);
        assert_eq!(f2b.log_level(), expected);
    }
}

#[tokio::test]
async fn put_db_settings_changes_fail2ban_and_warns_about_short_purge_ages() {
    let (f2b, agent) = start();
    let r = agent
        .put_json(
            SETTINGS,
            &json!({"db_purge_age": 3600, "db_max_matches": 20}),
        )
        .await;
    assert_status(&r, 204);
    let body = settings(&agent).await;
    assert_eq!(body["settings"]["db_purge_age"], 3600);
    assert_eq!(body["settings"]["db_max_matches"], 20);
    let warnings = body["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert!(warnings[0].as_str().unwrap().contains("3600"), "{body}");
    assert!(server_value(&f2b, "dbpurgeage").starts_with("3600"));
    assert_eq!(server_value(&f2b, "dbmaxmatches"), "20");

    let r = agent
        .put_json(
            SETTINGS,
            &json!({"db_purge_age": 172800, "db_max_matches": 0}),
        )
        .await;
    assert_status(&r, 204);
    let body = settings(&agent).await;
    assert_eq!(body["warnings"], json!([]), "{body}");
    assert_eq!(body["settings"]["db_max_matches"], 0);
    assert!(server_value(&f2b, "dbpurgeage").starts_with("172800"));
}

#[tokio::test]
async fn put_log_target_moves_fail2bans_log() {
    let (f2b, agent) = start();
    let target = f2b.log_dir().join("moved.log");
    let target_text = target.display().to_string();
    let r = agent
        .put_json(
            SETTINGS,
            &json!({"log_target": target_text, "syslog_socket": "auto"}),
        )
        .await;
    assert_status(&r, 204);
    assert_eq!(
        settings(&agent).await["settings"]["log_target"],
        target_text
    );
    assert_eq!(server_value(&f2b, "logtarget"), target_text);

    // fail2ban really logs there now.
    let r = agent
        .put_json(SETTINGS, &json!({"log_level": "DEBUG"}))
        .await;
    assert_status(&r, 204);
    poll_until(
        "fail2ban to write to the new target",
        POLL_TIMEOUT,
        || async {
            let text = std::fs::read_to_string(&target).unwrap_or_default();
            (!text.is_empty()).then_some(())
        },
    )
    .await;

    let r = agent
        .put_json(SETTINGS, &json!({"log_target": "stderr"}))
        .await;
    assert_status(&r, 204);
    assert_eq!(server_value(&f2b, "logtarget"), "STDERR");
}

#[tokio::test]
async fn put_rejects_invalid_values_naming_the_field() {
    let (f2b, agent) = start();
    let log_dir = f2b.log_dir();
    let link = log_dir.join("link.log");
    std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
    let subdir = log_dir.join("sub");
    std::fs::create_dir(&subdir).unwrap();
    let before = f2b_settings(&f2b);

    let cases = [
        (json!({"log_level": "LOUD"}), "log_level"),
        (json!({"log_level": ""}), "log_level"),
        (json!({"db_purge_age": 10}), "db_purge_age"),
        (json!({"db_purge_age": -1}), "db_purge_age"),
        (json!({"db_max_matches": -1}), "db_max_matches"),
        (json!({"log_target": "/etc/passwd"}), "log_target"),
        (json!({"log_target": "fail2ban.log"}), "log_target"),
        (
            json!({"log_target": format!("{}/../escape.log", log_dir.display())}),
            "log_target",
        ),
        (
            json!({"log_target": link.display().to_string()}),
            "log_target",
        ),
        (
            json!({"log_target": subdir.display().to_string()}),
            "log_target",
        ),
        (
            json!({"log_target": format!("{}/missing/x.log", log_dir.display())}),
            "log_target",
        ),
        (json!({"syslog_socket": "relative/sock"}), "syslog_socket"),
        (json!({"syslog_socket": "/run/../etc/x"}), "syslog_socket"),
    ];
    for (body, field) in cases {
        let r = agent.put_json(SETTINGS, &body).await;
        assert_field_error(&r, 400, "config_validation_failed", field);
    }
    assert_eq!(f2b_settings(&f2b), before, "nothing changed in fail2ban");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("/etc/passwd")
    );
}

#[tokio::test]
async fn put_rejects_empty_and_malformed_bodies() {
    let (f2b, agent) = start();
    let before = f2b_settings(&f2b);
    assert_error(
        &agent.put_json(SETTINGS, &json!({})).await,
        400,
        "invalid_input",
    );
    for body in [
        "{\"db_max_matches\": \"x\"}",
        "{\"loglevel\": \"DEBUG\"}",
        "{\"log_level\": \"DEBUG\", \"extra\": 1}",
        "{\"db_purge_age\": \"1d\"}",
        "{\"log_level\": ",
        "",
    ] {
        let r = agent
            .raw(reqwest::Method::PUT, SETTINGS, body, "application/json")
            .await;
        assert_error(&r, 400, "invalid_input");
    }
    assert_eq!(f2b_settings(&f2b), before);
}

#[tokio::test]
async fn put_is_all_or_nothing() {
    let (f2b, agent) = start();
    let before = f2b_settings(&f2b);

    // Refused while validating: nothing is sent.
    let r = agent
        .put_json(
            SETTINGS,
            &json!({"log_level": "DEBUG", "log_target": "/etc/passwd"}),
        )
        .await;
    assert_field_error(&r, 400, "config_validation_failed", "log_target");
    assert_eq!(f2b.log_level(), "INFO");

    let r = agent
        .put_json(
            SETTINGS,
            &json!({"db_purge_age": 7200, "db_max_matches": -5}),
        )
        .await;
    assert_field_error(&r, 400, "config_validation_failed", "db_max_matches");

    // Refused while applying, after log_level was already set: it is put back.
    let r = agent
        .put_json(
            SETTINGS,
            &json!({"log_level": "DEBUG", "syslog_socket": "/x<F2B_END_COMMAND>"}),
        )
        .await;
    assert_status(&r, 400);
    assert_eq!(f2b.log_level(), "INFO", "log_level was rolled back");
    assert_eq!(server_value(&f2b, "syslogsocket"), "auto");
    assert_eq!(f2b_settings(&f2b), before);
}

#[tokio::test]
async fn flush_logs_rolls_fail2bans_log_over() {
    let (f2b, agent) = start();
    let log = f2b.server_log_path();
    let rotated = log.with_extension("log.1");
    std::fs::rename(&log, &rotated).unwrap();

    let r = agent.post("/api/v1/server/flush-logs").await;
    assert_status(&r, 200);
    assert_eq!(r.json, json!({"message": "rolled over"}));
    // fail2ban reopened its log at the configured path.
    poll_until("fail2ban to reopen its log", POLL_TIMEOUT, || async {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains("rollover performed").then_some(())
    })
    .await;
    assert!(rotated.is_file());

    // A stream target has nothing to roll over: fail2ban only flushes it.
    let r = agent
        .put_json(SETTINGS, &json!({"log_target": "STDERR"}))
        .await;
    assert_status(&r, 204);
    let r = agent.post("/api/v1/server/flush-logs").await;
    assert_status(&r, 200);
    assert_eq!(r.json, json!({"message": "flushed"}));
}

#[tokio::test]
async fn server_routes_are_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get(SETTINGS).await, 200);
    f2b.kill();
    assert_unreachable(&agent.get(SETTINGS).await);
    assert_unreachable(
        &agent
            .put_json(SETTINGS, &json!({"log_level": "DEBUG"}))
            .await,
    );
    assert_unreachable(&agent.post("/api/v1/server/flush-logs").await);
}
