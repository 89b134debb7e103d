//! Every route of the route table, through the edge and in agent-only mode: each answers a
//! status the spec lists (or 501 while its agent side is not built), with the flat error body,
//! and both shapes answer the same.

use bangui_shared::routes::{Method as RouteMethod, ROUTES};
use bangui_tests::{assert_error, ApiClient, Fleet, Response};
use reqwest::Method;
use serde_json::Value;

fn method(m: RouteMethod) -> Method {
    match m {
        RouteMethod::Get => Method::GET,
        RouteMethod::Post => Method::POST,
        RouteMethod::Put => Method::PUT,
        RouteMethod::Delete => Method::DELETE,
    }
}

/// A concrete path that changes nothing it should not: unknown jail and source names, an
/// address nobody banned.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{name}", "nosuch")
        .replace("{ip}", "192.0.2.201")
        .replace("{source_id}", "999")
}

/// The JSON "shape": object keys (recursively) and value kinds, so bodies of two shapes can be
/// compared without their data.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::String(_) => Value::from("string"),
        Value::Number(_) => Value::from("number"),
        Value::Bool(_) => Value::from("bool"),
        Value::Null => Value::Null,
    }
}

async fn call(api: &ApiClient, m: Method, path: &str, write: bool) -> Response {
    let request = api.request(m, path);
    let request = if write {
        request
            .header("content-type", "application/json")
            .body("{}")
    } else {
        request
    };
    api.send(request).await
}

#[tokio::test]
async fn every_route_answers_like_agent_only() {
    let fleet = Fleet::start(2);
    let agent = &fleet.control().agent;
    let mut checked = 0;
    for route in ROUTES {
        let path = concrete(route.pattern);
        let write = route.is_write();
        let sep = if path.contains('?') { '&' } else { '?' };
        let edge_path = format!("{path}{sep}host={}", fleet.control().name);
        let via_edge = call(&fleet.devhost, method(route.method), &edge_path, write).await;
        let direct = call(agent, method(route.method), &path, write).await;
        let what = format!(
            "{route} (edge {}, agent {})",
            via_edge.status, direct.status
        );

        assert!(
            route.statuses.contains(&via_edge.status),
            "{what}: status not in the spec {:?}: {}",
            route.statuses,
            via_edge.text
        );
        assert_eq!(
            via_edge.status, direct.status,
            "{what}: {} vs {}",
            via_edge.text, direct.text
        );
        if via_edge.status >= 400 {
            let code = direct.json["code"].as_str().unwrap_or_default().to_owned();
            assert_error(&via_edge, via_edge.status, &code);
        } else if via_edge.status != 204 {
            assert_eq!(
                shape(&via_edge.json),
                shape(&direct.json),
                "{what}: body shapes differ"
            );
        }
        checked += 1;
        if route.pattern == "/api/v1/auth/logout" {
            // That ended the session on both sides: log in again for the routes that follow.
            let login = agent
                .http()
                .post(agent.url("/api/v1/auth/login"))
                .json(&serde_json::json!({ "password": bangui_tests::TEST_PASSWORD }))
                .send()
                .await
                .expect("login");
            let body: Value = login.json().await.expect("login body");
            let token = body["token"].as_str().map(str::to_owned);
            agent.set_token(token.clone());
            fleet.devhost.set_token(token);
        }
    }
    assert_eq!(checked, ROUTES.len());
}
