//! Helpers: a sandbox plus an agent that may fetch from the test's list server.

use serde_json::{json, Value};

use bangui_tests::{assert_status, Agent, Fail2ban};

pub const JAIL: &str = "blocklist-import";

/// A sandbox and an agent; `allow` is the `[blocklists] allow_networks` list (empty: the
/// SSRF guard's defaults), `extra` more lines for `[blocklists]`.
pub fn start(allow: &[&str], extra: &str) -> (Fail2ban, Agent) {
    let f2b = Fail2ban::start();
    let nets: Vec<String> = allow.iter().map(|a| format!("{a:?}")).collect();
    let toml = format!(
        "[limits]\nimport = 1000\nconfig = 1000\n\n[blocklists]\nallow_networks = [{}]\nconnect_timeout_secs = 2\nread_timeout_secs = 2\n\
         total_timeout_secs = 5\nretries = 1\nretry_backoff_ms = 50\n{extra}\n",
        nets.join(", ")
    );
    let agent = Agent::start_with(&f2b, |c| c.extra_toml = toml);
    (f2b, agent)
}

/// Creates a source and returns its id.
pub async fn create(agent: &Agent, name: &str, url: &str, extra: Value) -> i64 {
    let mut body = json!({"name": name, "url": url});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let r = agent.post_json("/api/v1/blocklists", &body).await;
    assert_status(&r, 201);
    r.json["id"].as_i64().unwrap()
}

/// `POST /api/v1/blocklists/import` for one source; the response.
pub async fn import(agent: &Agent, id: i64) -> bangui_tests::Response {
    agent
        .post_json("/api/v1/blocklists/import", &json!({"source_id": id}))
        .await
}

/// The addresses banned in the blocklist jail, sorted.
pub fn banned(f2b: &Fail2ban) -> Vec<String> {
    let mut b = f2b.banned(JAIL);
    b.sort();
    b
}
