//! `GET`/`PUT /api/v1/config/global` and the jail defaults reaching fail2ban at reload.

use bangui_tests::{assert_error, assert_status};
use serde_json::json;

use crate::common::{assert_field_error, read, start};

const GLOBAL: &str = "/api/v1/config/global";
const RELOAD: &str = "/api/v1/config/reload";

#[tokio::test]
async fn get_shows_the_files_and_the_running_server() {
    let (f2b, agent) = start();
    let r = agent.get(GLOBAL).await;
    assert_status(&r, 200);
    let c = &r.json["config"];
    assert_eq!(c["log_level"], "INFO", "{}", r.text);
    assert_eq!(c["log_target"], f2b.server_log_path().display().to_string());
    assert_eq!(c["db_file"], f2b.db_path().display().to_string());
    assert_eq!(c["db_purge_age"], "1d");
    assert_eq!(c["db_max_matches"], 10);
    assert_eq!(c["ban_time"], "10m");
    assert_eq!(c["find_time"], "10m");
    assert_eq!(c["max_retry"], 3);
    assert_eq!(c["ban_action"], "dummy");
    assert_eq!(c["ignore_ip"], json!(["127.0.0.1/8", "::1"]));
    let rt = &r.json["runtime"];
    assert_eq!(rt["log_level"], "INFO");
    assert_eq!(rt["db_purge_age"], 86400);
    assert_eq!(rt["db_max_matches"], 10);
    assert!(r.json["applies_at_reload"]
        .as_array()
        .unwrap()
        .contains(&json!("ban_time")));
}

#[tokio::test]
async fn put_writes_both_files_applies_the_server_settings_and_reload_applies_the_defaults() {
    let (f2b, agent) = start();
    let jail_local = f2b.config_dir().join("jail.local");
    let before_jails = read(&jail_local);
    let r = agent
        .put_json(
            GLOBAL,
            &json!({
                "log_level": "debug", "db_purge_age": "2d", "db_max_matches": 20,
                "ban_time": "1h", "max_retry": 5, "ignore_ip": ["127.0.0.1/8", "::1", "192.0.2.0/24"]
            }),
        )
        .await;
    assert_status(&r, 204);
    assert!(r.text.is_empty(), "{}", r.text);
    let needs_reload = r.header("x-fail2ban-reload-required").unwrap_or_default();
    assert!(
        needs_reload.contains("ban_time") && needs_reload.contains("max_retry"),
        "{needs_reload:?}"
    );
    assert!(!needs_reload.contains("log_level"), "{needs_reload:?}");

    // The running server has the server settings now.
    assert_eq!(f2b.log_level(), "DEBUG");
    assert!(f2b.get_value(&["get", "dbpurgeage"]).starts_with("172800"));
    assert_eq!(f2b.get_value(&["get", "dbmaxmatches"]), "20");
    // Both files carry the change; everything else in jail.local is still there.
    let server_local = read(&f2b.config_dir().join("fail2ban.local"));
    assert!(server_local.contains("loglevel = DEBUG"), "{server_local}");
    assert!(server_local.contains("dbpurgeage = 2d"), "{server_local}");
    assert!(server_local.contains("socket = "), "{server_local}");
    let jails = read(&jail_local);
    assert!(jails.contains("bantime = 1h\n"), "{jails}");
    assert!(jails.contains("maxretry = 5\n"), "{jails}");
    assert!(
        jails.contains("ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24\n"),
        "{jails}"
    );
    let sections = |t: &str| t.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(sections(&jails), sections(&before_jails), "{jails}");
    assert!(jails.contains("[sshd]\nenabled = true\n"), "{jails}");

    // Jail defaults wait for a reload.
    assert_eq!(f2b.get_value(&["get", "sshd", "bantime"]), "600");
    let g = agent.get(GLOBAL).await;
    assert_eq!(g.json["config"]["ban_time"], "1h");
    assert_eq!(g.json["runtime"]["log_level"], "DEBUG");

    let r = agent.post(RELOAD).await;
    assert_status(&r, 204);
    assert_eq!(f2b.get_value(&["get", "sshd", "bantime"]), "3600");
    assert_eq!(f2b.get_value(&["get", "sshd", "maxretry"]), "5");
    // f2btest sets its own bantime, which still wins.
    assert_eq!(f2b.get_value(&["get", "f2btest", "bantime"]), "3600");
    let ignored = f2b.client_ok(&["get", "sshd", "ignoreip"]);
    assert!(ignored.contains("192.0.2.0/24"), "{ignored}");
}

#[tokio::test]
async fn bad_values_are_400_naming_the_field_and_change_nothing() {
    let (f2b, agent) = start();
    let files = [
        f2b.config_dir().join("fail2ban.local"),
        f2b.config_dir().join("jail.local"),
    ];
    let before: Vec<String> = files.iter().map(|p| read(p)).collect();
    for (body, field) in [
        (json!({"log_level": "LOUD"}), "log_level"),
        (json!({"log_target": "/etc/passwd"}), "log_target"),
        (
            json!({"log_target": format!("{}/../x.log", f2b.log_dir().display())}),
            "log_target",
        ),
        (json!({"db_purge_age": "soon"}), "db_purge_age"),
        (json!({"db_max_matches": -3}), "db_max_matches"),
        (json!({"ban_time": "10 parsecs"}), "ban_time"),
        (json!({"find_time": 0}), "find_time"),
        (json!({"max_retry": 0}), "max_retry"),
        (json!({"ban_action": "no-such-action"}), "ban_action"),
        (json!({"ban_action": "../../etc/passwd"}), "ban_action"),
        (json!({"ignore_ip": ["999.1.1.1"]}), "ignore_ip"),
        (json!({"ignore_ip": ["300.1.1.1"]}), "ignore_ip"),
        (json!({"ignore_ip": ["1.2.3"]}), "ignore_ip"),
        (
            json!({"ignore_ip": ["192.0.2.1 198.51.100.1"]}),
            "ignore_ip",
        ),
        (json!({"ban_time": "1 2 3"}), "ban_time"),
        // A valid field does not slip through with an invalid one.
        (json!({"log_level": "DEBUG", "max_retry": -1}), "max_retry"),
    ] {
        let r = agent.put_json(GLOBAL, &body).await;
        assert_field_error(&r, 400, "config_validation_failed", field);
    }
    let r = agent.put_json(GLOBAL, &json!({})).await;
    assert_error(&r, 400, "invalid_input");
    // Bodies that do not fit the schema: the route's spec has no 422, so 400 (reason says why).
    for body in [json!({"loglevel": "INFO"}), json!({"max_retry": "five"})] {
        let r = agent.put_json(GLOBAL, &body).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["reason"], "invalid_body", "{}", r.text);
    }
    let after: Vec<String> = files.iter().map(|p| read(p)).collect();
    assert_eq!(after, before);
    assert_eq!(f2b.log_level(), "INFO");
    // fail2ban's compound time values and host names are fine.
    let r = agent
        .put_json(
            GLOBAL,
            &json!({"ban_time": "1d12h", "ignore_ip": ["127.0.0.1/8", "gw.example.org", "2001:db8::/32"]}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let g = agent.get(GLOBAL).await;
    assert_eq!(g.json["config"]["ban_time"], "1d12h", "{}", g.text);
}

#[tokio::test]
async fn a_change_that_breaks_the_configuration_is_rolled_back() {
    let (f2b, agent) = start();
    // An action file fail2ban cannot parse: naming it as the default ban action breaks every
    // jail that uses it.
    std::fs::write(
        f2b.config_dir().join("action.d/broken.conf"),
        "[Definition\nactionban = echo\n",
    )
    .unwrap();
    let files = [
        f2b.config_dir().join("fail2ban.local"),
        f2b.config_dir().join("jail.local"),
    ];
    let before: Vec<String> = files.iter().map(|p| read(p)).collect();
    let r = agent
        .put_json(
            GLOBAL,
            &json!({"ban_action": "broken", "log_level": "DEBUG"}),
        )
        .await;
    assert_error(&r, 400, "config_validation_failed");
    assert_eq!(r.json["metadata"]["rolled_back"], true, "{}", r.text);
    let after: Vec<String> = files.iter().map(|p| read(p)).collect();
    assert_eq!(after, before, "the files are back as they were");
    assert_eq!(f2b.log_level(), "INFO", "nothing reached the server");
}

#[tokio::test]
async fn with_fail2ban_down_nothing_is_written() {
    let (mut f2b, agent) = start();
    let jail_local = f2b.config_dir().join("jail.local");
    let before = read(&jail_local);
    f2b.stop();
    let r = agent.get(GLOBAL).await;
    assert_error(&r, 502, "fail2ban_unreachable");
    let r = agent.put_json(GLOBAL, &json!({"max_retry": 9})).await;
    assert_error(&r, 502, "fail2ban_unreachable");
    assert_eq!(read(&jail_local), before);
}
