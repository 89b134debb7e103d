//! `/api/v1/config/filters*` against a real fail2ban-server.

use bangui_tests::{assert_error, assert_status};
use serde_json::json;

use crate::common::{read, start};

#[tokio::test]
async fn list_and_detail() {
    let (_f2b, agent) = start();
    let r = agent.get("/api/v1/config/filters").await;
    assert_status(&r, 200);
    let items = r.json["items"].as_array().unwrap();
    let sshd = items.iter().find(|f| f["name"] == "sshd").unwrap();
    assert_eq!(sshd["shipped"], true);
    assert_eq!(sshd["active"], true);
    assert!(items
        .iter()
        .all(|f| f["name"] != "common" || f["shipped"] == true));
    let r = agent.get("/api/v1/config/filters/sshd").await;
    assert_status(&r, 200);
    assert!(r.json["failregex"].as_array().unwrap().len() > 5);
    assert_eq!(r.json["includes_before"], json!(["common.conf"]));
    assert!(r.json["prefregex"].as_str().unwrap().contains("F-CONTENT"));
    assert_error(
        &agent.get("/api/v1/config/filters/nosuch").await,
        404,
        "filter_not_found",
    );
    assert_error(
        &agent.get("/api/v1/config/filters/..%2Fjail").await,
        404,
        "filter_not_found",
    );
}

#[tokio::test]
async fn create_update_delete() {
    let (f2b, agent) = start();
    let body =
        json!({"name": "myapp", "failregex": ["^bad login from <HOST>$"], "ignoreregex": []});
    let r = agent.post_json("/api/v1/config/filters", &body).await;
    assert_status(&r, 201);
    assert_eq!(r.json["origin"], "agent");
    assert!(read(&f2b, "filter.d/myapp.local")
        .unwrap()
        .contains("failregex = ^bad login from <HOST>$"));
    assert_error(
        &agent.post_json("/api/v1/config/filters", &body).await,
        409,
        "conflict",
    );
    assert_error(
        &agent
            .post_json(
                "/api/v1/config/filters",
                &json!({"name": "sshd", "failregex": ["^x <HOST>"]}),
            )
            .await,
        409,
        "conflict",
    );
    for bad in ["../x", "a/b", ".hidden", &"a".repeat(300)] {
        assert_error(
            &agent
                .post_json(
                    "/api/v1/config/filters",
                    &json!({"name": bad, "failregex": ["^x <HOST>"]}),
                )
                .await,
            400,
            "invalid_input",
        );
    }
    let long = "a".repeat(5000);
    assert_error(
        &agent
            .post_json(
                "/api/v1/config/filters",
                &json!({"name": "longre", "failregex": [long]}),
            )
            .await,
        400,
        "invalid_input",
    );
    assert_error(
        &agent
            .post_json(
                "/api/v1/config/filters",
                &json!({"name": "broken", "failregex": ["^(x <HOST>"]}),
            )
            .await,
        422,
        "invalid_body",
    );
    assert!(read(&f2b, "filter.d/broken.local").is_none());

    let r = agent
        .put_json(
            "/api/v1/config/filters/myapp",
            &json!({"failregex": ["^bad login from <HOST>$", "^worse from <HOST>$"]}),
        )
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["failregex"].as_array().unwrap().len(), 2);
    let r = agent
        .put_json(
            "/api/v1/config/filters/myapp",
            &json!({"failregex": ["^([unclosed <HOST>"]}),
        )
        .await;
    assert_error(&r, 422, "invalid_body");
    assert_eq!(r.json["metadata"]["reason"], "regex_compile_failed");
    assert_error(
        &agent
            .put_json("/api/v1/config/filters/nosuch", &json!({}))
            .await,
        404,
        "filter_not_found",
    );
    assert_error(
        &agent
            .put_json("/api/v1/config/filters/a..b", &json!({}))
            .await,
        400,
        "invalid_input",
    );

    // A shipped filter is edited through its .local only; deleting it is refused.
    let conf_before = read(&f2b, "filter.d/sshd.conf").unwrap();
    let r = agent
        .put_json(
            "/api/v1/config/filters/sshd",
            &json!({"definition": {"mode": "aggressive"}}),
        )
        .await;
    assert_status(&r, 200);
    assert_eq!(read(&f2b, "filter.d/sshd.conf").unwrap(), conf_before);
    assert!(read(&f2b, "filter.d/sshd.local")
        .unwrap()
        .contains("mode = aggressive"));
    assert_error(
        &agent.delete("/api/v1/config/filters/sshd").await,
        409,
        "conflict",
    );
    assert_error(
        &agent.delete("/api/v1/config/filters/nosuch").await,
        404,
        "filter_not_found",
    );
    assert_error(
        &agent.delete("/api/v1/config/filters/.x").await,
        400,
        "invalid_input",
    );
    assert_status(&agent.delete("/api/v1/config/filters/myapp").await, 204);
    assert!(read(&f2b, "filter.d/myapp.local").is_none());
}
