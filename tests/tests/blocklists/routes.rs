//! Every route's statuses from the spec, plus the extra ones the issue asks for (409 for
//! duplicates and concurrent imports, 502 for unreachable lists, 400 for refused URLs).

use serde_json::json;

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban};

use crate::common::{self, create};
use crate::server::{ListServer, Route};

#[tokio::test]
async fn sources_crud_statuses() {
    let lists = ListServer::start("127.0.0.1");
    lists.route("/a.txt", Route::Body("192.0.2.1\n".into()));
    let (_f2b, agent) = common::start(&["127.0.0.1/32"], "");

    let r = agent.get("/api/v1/blocklists").await;
    assert_status(&r, 200);
    assert_eq!(r.json, json!({"items": [], "total": 0}));

    let r = agent
        .post_json(
            "/api/v1/blocklists",
            &json!({"name": "A", "url": lists.url("/a.txt"), "max_entries": 10}),
        )
        .await;
    assert_status(&r, 201);
    let id = r.json["id"].as_i64().unwrap();
    assert_eq!(r.json["name"], "A");
    assert_eq!(r.json["jail"], common::JAIL);
    assert_eq!(r.json["enabled"], true);
    assert_eq!(r.json["format"], "auto");
    assert_eq!(r.json["max_entries"], 10);
    assert!(r.json["created_at"].as_str().unwrap().ends_with('Z'));

    // 400: bad URL, bad name, bad jail; 422: not the schema; 409: duplicates.
    for (body, field) in [
        (json!({"name": "B", "url": "ftp://example.org/x"}), "url"),
        (json!({"name": "B", "url": "not a url"}), "url"),
        (json!({"name": "", "url": lists.url("/b.txt")}), "name"),
        (
            json!({"name": "B", "url": lists.url("/b.txt"), "jail": "a/b"}),
            "jail",
        ),
        (
            json!({"name": "B", "url": lists.url("/b.txt"), "max_entries": 0}),
            "max_entries",
        ),
    ] {
        let r = agent.post_json("/api/v1/blocklists", &body).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["field"], field, "{body}");
    }
    // Schema violations are 400 here: the spec lists no 422 for these routes.
    let r = agent
        .post_json("/api/v1/blocklists", &json!({"name": "B"}))
        .await;
    assert_error(&r, 400, "invalid_input");
    assert_eq!(r.json["metadata"]["reason"], "invalid_body");
    let r = agent
        .post_json(
            "/api/v1/blocklists",
            &json!({"name": "A", "url": lists.url("/c.txt")}),
        )
        .await;
    assert_error(&r, 409, "conflict");
    assert_eq!(r.json["metadata"]["field"], "name");
    let r = agent
        .post_json(
            "/api/v1/blocklists",
            &json!({"name": "C", "url": lists.url("/a.txt")}),
        )
        .await;
    assert_error(&r, 409, "conflict");
    assert_eq!(r.json["metadata"]["field"], "url");

    let r = agent.get(&format!("/api/v1/blocklists/{id}")).await;
    assert_status(&r, 200);
    assert_eq!(r.json["url"], lists.url("/a.txt"));
    for missing in [
        "/api/v1/blocklists/999",
        "/api/v1/blocklists/abc",
        "/api/v1/blocklists/0",
    ] {
        assert_error(&agent.get(missing).await, 404, "blocklist_source_not_found");
    }

    let r = agent
        .put_json(
            &format!("/api/v1/blocklists/{id}"),
            &json!({"enabled": false, "format": "plain"}),
        )
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["enabled"], false);
    assert_eq!(r.json["format"], "plain");
    assert_eq!(r.json["name"], "A");
    assert_error(
        &agent
            .put_json(
                &format!("/api/v1/blocklists/{id}"),
                &json!({"url": "file:///etc/passwd"}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &agent
            .put_json("/api/v1/blocklists/999", &json!({"enabled": true}))
            .await,
        404,
        "blocklist_source_not_found",
    );

    let r = agent.get("/api/v1/blocklists").await;
    assert_eq!(r.json["total"], 1);

    let r = agent.delete(&format!("/api/v1/blocklists/{id}")).await;
    assert_status(&r, 204);
    assert!(r.text.is_empty());
    assert_error(
        &agent.delete(&format!("/api/v1/blocklists/{id}")).await,
        404,
        "blocklist_source_not_found",
    );
    assert_eq!(
        lists.total_hits(),
        0,
        "creating and editing sources fetches nothing"
    );
}

#[tokio::test]
async fn import_preview_schedule_and_log_statuses() {
    let lists = ListServer::start("127.0.0.1");
    lists.route("/a.txt", Route::Body("192.0.2.1\n192.0.2.2\nbad\n".into()));
    // The spec's default limits: 3 imports per window.
    let f2b = Fail2ban::start();
    let agent = Agent::start_with(&f2b, |c| {
        c.extra_toml = "[blocklists]\nallow_networks = [\"127.0.0.1/32\"]\n".into()
    });
    let id = create(&agent, "A", &lists.url("/a.txt"), json!({})).await;
    let gone = create(
        &agent,
        "Gone",
        &lists.url("/404.txt"),
        json!({"enabled": false}),
    )
    .await;

    let r = agent
        .get(&format!("/api/v1/blocklists/{id}/preview?limit=1"))
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["entries"], json!(["192.0.2.1"]));
    assert_eq!(r.json["valid_count"], 2);
    assert_eq!(r.json["invalid_count"], 1);
    assert_eq!(r.json["invalid_samples"][0]["line"], 3);
    assert!(
        !f2b.is_banned(common::JAIL, "192.0.2.1"),
        "a preview bans nothing"
    );
    assert_error(
        &agent.get("/api/v1/blocklists/999/preview").await,
        404,
        "blocklist_source_not_found",
    );
    let r = agent
        .get(&format!("/api/v1/blocklists/{gone}/preview"))
        .await;
    assert_error(&r, 502, "upstream_unreachable");
    assert!(
        r.json["detail"].as_str().unwrap().contains("404"),
        "{}",
        r.text
    );
    assert_error(
        &agent
            .get(&format!("/api/v1/blocklists/{id}/preview?limit=0"))
            .await,
        400,
        "invalid_input",
    );

    // Import of all enabled sources: 200; the disabled 404 source is not tried.
    let r = agent.post("/api/v1/blocklists/import").await;
    assert_status(&r, 200);
    assert_eq!(r.json["results"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["results"][0]["status"], "completed");
    assert_eq!(r.json["results"][0]["banned"], 2);
    assert_eq!(r.json["total_banned"], 2);
    assert!(f2b.is_banned(common::JAIL, "192.0.2.1"));
    // One source by id; an unreachable one is a 502 naming the reason.
    let r = common::import(&agent, gone).await;
    assert_error(&r, 502, "upstream_unreachable");
    assert_error(
        &common::import(&agent, 999).await,
        404,
        "blocklist_source_not_found",
    );
    // The fourth import in the window is rate limited.
    let r = common::import(&agent, id).await;
    assert_error(&r, 429, "rate_limit_exceeded");
    assert!(r.header("retry-after").is_some());

    let r = agent.get("/api/v1/blocklists/schedule").await;
    assert_status(&r, 200);
    assert_eq!(r.json["config"]["enabled"], false);
    assert_eq!(r.json["timezone"], "UTC");
    assert_eq!(r.json["next_run_at"], serde_json::Value::Null);
    let r = agent
        .put_json(
            "/api/v1/blocklists/schedule",
            &json!({"frequency": "weekly", "hour": 4, "minute": 30, "day_of_week": 2}),
        )
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["config"]["frequency"], "weekly");
    assert_eq!(r.json["config"]["enabled"], true);
    assert!(r.json["next_run_at"]
        .as_str()
        .unwrap()
        .contains("T04:30:00"));
    assert_error(
        &agent
            .put_json(
                "/api/v1/blocklists/schedule",
                &json!({"frequency": "daily", "hour": 24}),
            )
            .await,
        400,
        "invalid_input",
    );
    let r = agent
        .put_json(
            "/api/v1/blocklists/schedule",
            &json!({"frequency": "monthly"}),
        )
        .await;
    assert_error(&r, 422, "invalid_body");
    assert_eq!(
        agent.get("/api/v1/blocklists/schedule").await.json["config"]["day_of_week"],
        2
    );
    // Partial updates: an empty body changes nothing, `enabled: false` only switches it off.
    let r = agent
        .put_json("/api/v1/blocklists/schedule", &json!({}))
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["config"]["frequency"], "weekly");
    assert_eq!(r.json["config"]["enabled"], true);
    let r = agent
        .put_json("/api/v1/blocklists/schedule", &json!({"enabled": false}))
        .await;
    assert_eq!(r.json["config"]["enabled"], false);
    assert_eq!(r.json["config"]["hour"], 4);
    assert_eq!(r.json["next_run_at"], serde_json::Value::Null);

    let r = agent.get("/api/v1/blocklists/log?page_size=1").await;
    assert_status(&r, 200);
    assert_eq!(r.json["pagination"]["total"], 2);
    assert_eq!(r.json["pagination"]["has_next_page"], true);
    let newest = &r.json["items"][0];
    assert_eq!(newest["source_id"], gone);
    assert_eq!(newest["status"], "failed");
    assert!(!newest["errors"].as_array().unwrap().is_empty());
    let r = agent.get("/api/v1/blocklists/log?page=2&page_size=1").await;
    let first = &r.json["items"][0];
    assert_eq!(first["status"], "completed");
    for key in [
        "timestamp",
        "duration_ms",
        "fetched_bytes",
        "valid",
        "invalid",
        "ignored",
        "banned",
        "unbanned",
        "errors",
    ] {
        assert!(first.get(key).is_some(), "log entry lacks {key}: {first}");
    }
    assert_eq!(first["banned"], 2);
    assert_eq!(first["invalid"], 1);
    assert_error(
        &agent.get("/api/v1/blocklists/log?page=0").await,
        400,
        "invalid_input",
    );
}

#[tokio::test]
async fn every_route_needs_a_session() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    agent.set_token(None);
    for (method, path) in [
        ("GET", "/api/v1/blocklists"),
        ("POST", "/api/v1/blocklists"),
        ("POST", "/api/v1/blocklists/import"),
        ("GET", "/api/v1/blocklists/schedule"),
        ("PUT", "/api/v1/blocklists/schedule"),
        ("GET", "/api/v1/blocklists/log"),
        ("GET", "/api/v1/blocklists/1"),
        ("PUT", "/api/v1/blocklists/1"),
        ("DELETE", "/api/v1/blocklists/1"),
        ("GET", "/api/v1/blocklists/1/preview"),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = agent.send(agent.request(m, path).json(&json!({}))).await;
        assert_error(&r, 401, "authentication_required");
    }
}
