//! `/api/v1/config/jails*` against a real fail2ban-server.

use std::time::Duration;

use bangui_tests::{assert_error, assert_status};
use serde_json::json;

use crate::common::{get, jails, read, start};

#[tokio::test]
async fn list_includes_inactive_jails_with_their_files() {
    let (_f2b, agent) = start();
    let r = agent.get("/api/v1/config/jails").await;
    assert_status(&r, 200);
    let items = r.json["items"].as_array().unwrap();
    let find = |n: &str| {
        items
            .iter()
            .find(|j| j["name"] == n)
            .unwrap_or_else(|| panic!("{n} missing: {}", r.text))
    };
    let dormant = find("dormant");
    assert_eq!(dormant["enabled"], false);
    assert_eq!(dormant["running"], false);
    assert_eq!(dormant["defined_in"], json!(["jail.local"]));
    assert_eq!(dormant["origin"], "local");
    let sshd = find("sshd");
    assert_eq!(sshd["running"], true);
    assert_eq!(sshd["origin"], "shipped");
    assert_eq!(sshd["defined_in"], json!(["jail.conf", "jail.local"]));
    // Shipped jails that are not enabled are listed too.
    assert!(items
        .iter()
        .any(|j| j["name"] == "nginx-http-auth" && j["enabled"] == false));
    assert_eq!(r.json["total"].as_u64().unwrap() as usize, items.len());
}

#[tokio::test]
async fn detail_shows_effective_settings_and_their_sources() {
    let (_f2b, agent) = start();
    let r = agent.get("/api/v1/config/jails/f2btest").await;
    assert_status(&r, 200);
    let j = &r.json["jail"];
    assert_eq!(j["max_retry"], 2);
    assert_eq!(j["ban_time"], "1h");
    assert_eq!(j["find_time"], "10m");
    assert_eq!(j["bantime_increment"]["increment"], true);
    assert_eq!(j["filter"]["name"], "f2btest");
    assert_eq!(j["actions"][0]["name"], "dummy");
    let setting = |k: &str| {
        j["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == k)
            .cloned()
            .unwrap()
    };
    assert_eq!(setting("maxretry")["source"]["file"], "jail.local");
    assert_eq!(setting("maxretry")["source"]["section"], "f2btest");
    assert_eq!(setting("findtime")["source"]["section"], "DEFAULT");
    assert_eq!(setting("port")["source"]["file"], "jail.conf");

    assert_error(
        &agent.get("/api/v1/config/jails/nosuch").await,
        404,
        "jail_not_found",
    );
    assert_error(
        &agent.get("/api/v1/config/jails/..%2F..%2Fetc").await,
        404,
        "jail_not_found",
    );
    assert_error(
        &agent.get("/api/v1/config/jails/.hidden").await,
        404,
        "jail_not_found",
    );
}

#[tokio::test]
async fn put_then_commit_applies_and_rollback_restores_byte_for_byte() {
    let (f2b, agent) = start();
    assert_eq!(get(&f2b, "f2btest", "maxretry"), "2");
    // A hand-written agent file with a comment: edits keep it.
    std::fs::write(
        crate::common::path(&f2b, "jail.d/f2btest.local"),
        "# my note\n[f2btest]\n# keep this\nfindtime = 20m ; inline\n",
    )
    .unwrap();
    let before = read(&f2b, "jail.d/f2btest.local").unwrap();
    let r = agent
        .put_json(
            "/api/v1/config/jails/f2btest",
            &json!({"max_retry": 5, "ban_time": "2h"}),
        )
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["jail"]["max_retry"], 5);
    assert_eq!(r.json["jail"]["can_rollback"], true);
    let text = read(&f2b, "jail.d/f2btest.local").unwrap();
    assert_eq!(
        text,
        "# my note\n[f2btest]\n# keep this\nfindtime = 20m ; inline\nmaxretry = 5\nbantime = 2h\n"
    );
    // Not applied before the commit.
    assert_eq!(get(&f2b, "f2btest", "maxretry"), "2");
    let r = agent.post("/api/v1/config/jails/f2btest/commit").await;
    assert_status(&r, 200);
    assert_eq!(get(&f2b, "f2btest", "maxretry"), "5");
    assert_eq!(get(&f2b, "f2btest", "bantime"), "7200");
    // Rollback: the file as it was, byte for byte, and fail2ban reloaded with it.
    let r = agent.get("/api/v1/config/jails/f2btest/rollback").await;
    assert_status(&r, 200);
    assert_eq!(read(&f2b, "jail.d/f2btest.local").unwrap(), before);
    assert_eq!(get(&f2b, "f2btest", "maxretry"), "2");
    assert_eq!(get(&f2b, "f2btest", "findtime"), "1200");

    assert_error(
        &agent.post("/api/v1/config/jails/nosuch/commit").await,
        404,
        "jail_not_found",
    );
    assert_error(
        &agent.get("/api/v1/config/jails/nosuch/rollback").await,
        404,
        "jail_not_found",
    );
    assert_error(
        &agent.get("/api/v1/config/jails/dormant/rollback").await,
        404,
        "config_file_not_found",
    );
}

#[tokio::test]
async fn put_refuses_bad_values_and_unknown_targets() {
    let (f2b, agent) = start();
    assert_error(
        &agent
            .put_json("/api/v1/config/jails/sshd", &json!({"filter": "nosuch"}))
            .await,
        400,
        "config_validation_failed",
    );
    assert_error(
        &agent
            .put_json(
                "/api/v1/config/jails/sshd",
                &json!({"actions": ["nosuch-action"]}),
            )
            .await,
        400,
        "config_validation_failed",
    );
    assert_error(
        &agent
            .put_json("/api/v1/config/jails/sshd", &json!({"ban_time": "soon"}))
            .await,
        400,
        "config_validation_failed",
    );
    assert_error(
        &agent
            .put_json(
                "/api/v1/config/jails/sshd",
                &json!({"log_paths": ["relative.log"]}),
            )
            .await,
        400,
        "config_validation_failed",
    );
    let r = agent
        .put_json(
            "/api/v1/config/jails/sshd",
            &json!({"settings": {"usedns": "a ; b"}}),
        )
        .await;
    assert_error(&r, 400, "config_validation_failed");
    assert_eq!(r.json["metadata"]["key"], "usedns");
    assert_error(
        &agent
            .put_json("/api/v1/config/jails/sshd", &json!({"max_retry": "x"}))
            .await,
        422,
        "invalid_body",
    );
    assert_error(
        &agent
            .put_json("/api/v1/config/jails/sshd", &json!({"bogus": 1}))
            .await,
        422,
        "invalid_body",
    );
    assert_error(
        &agent
            .put_json("/api/v1/config/jails/nosuch", &json!({"max_retry": 1}))
            .await,
        404,
        "jail_not_found",
    );
    // Nothing was written by the refused requests.
    assert!(read(&f2b, "jail.d/sshd.local").is_none());
}

#[tokio::test]
async fn a_commit_fail2ban_rejects_is_rolled_back_and_the_jail_keeps_running() {
    let (f2b, agent) = start();
    let r = agent
        .put_json("/api/v1/config/jails/f2btest", &json!({"max_retry": 4}))
        .await;
    assert_status(&r, 200);
    assert_status(
        &agent.post("/api/v1/config/jails/f2btest/commit").await,
        200,
    );
    assert_eq!(get(&f2b, "f2btest", "maxretry"), "4");
    let good = read(&f2b, "jail.d/f2btest.local").unwrap();
    // An encoding fail2ban does not know passes `-d` but the server refuses it on reload.
    let r = agent
        .put_json(
            "/api/v1/config/jails/f2btest",
            &json!({"max_retry": 7, "settings": {"logencoding": "no-such-encoding"}}),
        )
        .await;
    assert_status(&r, 200);
    let r = agent.post("/api/v1/config/jails/f2btest/commit").await;
    assert_error(&r, 409, "operation_failed");
    assert_eq!(r.json["metadata"]["rolled_back"], true, "{}", r.text);
    assert_eq!(read(&f2b, "jail.d/f2btest.local").unwrap(), good);
    let running = jails(&f2b);
    assert!(
        running.contains(&"f2btest".to_owned()) && running.contains(&"sshd".to_owned()),
        "{running:?}"
    );
    assert_eq!(get(&f2b, "f2btest", "maxretry"), "4");
}

#[tokio::test]
async fn create_enable_ban_and_delete_a_jail() {
    let (f2b, agent) = start();
    let log = f2b.log_path("webapp");
    std::fs::write(&log, "").unwrap();
    let body = json!({
        "name": "webapp", "enabled": true, "filter": "f2btest", "log_paths": [log.display().to_string()],
        "max_retry": 2, "actions": ["dummy"],
    });
    let r = agent.post_json("/api/v1/config/jails", &body).await;
    assert_status(&r, 201);
    assert_eq!(r.json["jail"]["running"], true);
    assert_eq!(r.json["jail"]["origin"], "agent");
    assert!(jails(&f2b).contains(&"webapp".to_owned()));
    f2b.fail("webapp", "203.0.113.77", 3);
    f2b.wait_banned("webapp", "203.0.113.77", Duration::from_secs(20));

    assert_error(
        &agent.post_json("/api/v1/config/jails", &body).await,
        409,
        "conflict",
    );
    assert_error(
        &agent
            .post_json("/api/v1/config/jails", &json!({"name": "sshd"}))
            .await,
        409,
        "conflict",
    );
    for bad in ["../x", "a/b", ".hidden", &"a".repeat(300)] {
        assert_error(
            &agent
                .post_json("/api/v1/config/jails", &json!({"name": bad}))
                .await,
            400,
            "invalid_input",
        );
    }
    // Shipped and hand-written jails cannot be deleted.
    assert_error(
        &agent.delete("/api/v1/config/jails/sshd").await,
        409,
        "conflict",
    );
    assert_error(
        &agent.delete("/api/v1/config/jails/dormant").await,
        409,
        "conflict",
    );
    assert_error(
        &agent.delete("/api/v1/config/jails/nosuch").await,
        404,
        "jail_not_found",
    );
    let r = agent.delete("/api/v1/config/jails/webapp").await;
    assert_status(&r, 204);
    assert!(read(&f2b, "jail.d/webapp.local").is_none());
    assert!(!jails(&f2b).contains(&"webapp".to_owned()));
    assert!(jails(&f2b).contains(&"sshd".to_owned()));
}

#[tokio::test]
async fn activation_through_put_enabled() {
    let (f2b, agent) = start();
    assert!(!jails(&f2b).contains(&"dormant".to_owned()));
    let r = agent
        .put_json("/api/v1/config/jails/dormant", &json!({"enabled": true}))
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["jail"]["running"], true);
    assert!(jails(&f2b).contains(&"dormant".to_owned()));
    let r = agent
        .put_json("/api/v1/config/jails/dormant", &json!({"enabled": false}))
        .await;
    assert_status(&r, 200);
    assert!(!jails(&f2b).contains(&"dormant".to_owned()));
    assert_eq!(jails(&f2b).len(), 2);
}

#[tokio::test]
async fn files_route_lists_the_files_of_a_jail() {
    let (_f2b, agent) = start();
    let r = agent.get("/api/v1/config/jails/sshd/files").await;
    assert_status(&r, 200);
    let files = r.json["files"].as_array().unwrap();
    let jail_conf = files.iter().find(|f| f["path"] == "jail.conf").unwrap();
    assert_eq!(jail_conf["defines_jail"], true);
    assert_eq!(jail_conf["writable"], false);
    assert!(files.iter().any(|f| f["path"] == "paths-debian.conf"));
    assert_eq!(r.json["agent_file"], "jail.d/sshd.local");
    assert_error(
        &agent.get("/api/v1/config/jails/nosuch/files").await,
        404,
        "jail_not_found",
    );
}

#[tokio::test]
async fn fail2ban_down_is_502() {
    let (mut f2b, agent) = start();
    f2b.stop();
    assert_error(
        &agent.get("/api/v1/config/jails").await,
        502,
        "fail2ban_unreachable",
    );
}
