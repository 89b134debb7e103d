//! `/api/v1/config/actions*` against a real fail2ban-server.

use bangui_tests::{assert_error, assert_status};
use serde_json::json;

use crate::common::{read, start};

#[tokio::test]
async fn list_detail_create_update_delete() {
    let (f2b, agent) = start();
    let r = agent.get("/api/v1/config/actions").await;
    assert_status(&r, 200);
    let dummy = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "dummy")
        .cloned()
        .unwrap();
    assert_eq!(dummy["shipped"], true);
    assert_eq!(dummy["has_local"], true);
    assert_eq!(dummy["active"], true);
    let r = agent.get("/api/v1/config/actions/dummy").await;
    assert_status(&r, 200);
    let target = r.json["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "target")
        .cloned()
        .unwrap();
    assert_eq!(target["source"]["file"], "action.d/dummy.local");
    assert!(r.json["commands"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["key"] == "actionban"));
    assert_error(
        &agent.get("/api/v1/config/actions/nosuch").await,
        404,
        "action_not_found",
    );

    let body = json!({"name": "notify", "commands": {"actionban": "echo <ip> >> <target>", "actionunban": "true"}, "parameters": {"target": "/tmp/notify"}});
    assert_status(&agent.post_json("/api/v1/config/actions", &body).await, 201);
    assert_error(
        &agent.post_json("/api/v1/config/actions", &body).await,
        409,
        "conflict",
    );
    assert_error(
        &agent
            .post_json("/api/v1/config/actions", &json!({"name": "../x"}))
            .await,
        400,
        "invalid_input",
    );
    let r = agent
        .put_json(
            "/api/v1/config/actions/notify",
            &json!({"parameters": {"target": "/tmp/notify2"}}),
        )
        .await;
    assert_status(&r, 200);
    assert!(read(&f2b, "action.d/notify.local")
        .unwrap()
        .contains("target = /tmp/notify2"));
    assert_error(
        &agent
            .put_json("/api/v1/config/actions/nosuch", &json!({}))
            .await,
        404,
        "action_not_found",
    );
    assert_error(
        &agent
            .put_json("/api/v1/config/actions/a%2Fb", &json!({}))
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &agent.delete("/api/v1/config/actions/iptables").await,
        409,
        "conflict",
    );
    assert_error(
        &agent.delete("/api/v1/config/actions/nosuch").await,
        404,
        "action_not_found",
    );
    assert_status(&agent.delete("/api/v1/config/actions/notify").await, 204);
    assert!(read(&f2b, "action.d/notify.local").is_none());
}
