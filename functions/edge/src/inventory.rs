//! `GET /api/v1/hosts`: the fleet as the edge sees it — each agent's name, URL, role, whether it
//! answers, its health and fail2ban version (from its own `GET /api/v1/health`, asked of all
//! agents concurrently).
//!
//! `certificate_expires_at` comes from the agent's health answer: spin-sdk 5.2's outbound HTTP
//! (`wasi:http`) does not expose the peer certificate to the component (the TLS handshake
//! happens in the host), so each agent reports the expiry of the certificate its edge listener
//! presents, and only over that listener.

use bangui_shared::routes::Method;
use bangui_shared::{edge_headers, ApiError, ErrorCode};
use serde_json::{json, Value};

use crate::fanout;
use crate::forward::{Context, Outbound, Timeouts, Transport};
use crate::hosts::{Agent, Fleet};
use crate::merge::Answer;
use crate::respond::Reply;

const HEALTH_PATH: &str = "/api/v1/health";

/// Asks every agent (or the one named by `host`) for its health and lists the fleet.
///
/// # Errors
///
/// 400 for an unknown `host`.
pub async fn list<T: Transport>(
    fleet: &Fleet,
    host: Option<&str>,
    transport: &T,
    ctx: &Context,
) -> Result<Reply<T::Stream>, ApiError> {
    let agents: Vec<Agent> = match host {
        Some(name) => vec![fleet.agent(name)?.clone()],
        None => fleet.agents().to_vec(),
    };
    // Health is public: nothing of the user's session travels with it.
    let ctx = Context {
        token: None,
        session_key: None,
        content_type: None,
        ..ctx.clone()
    };
    let build = |a: &Agent| {
        let mut out = Outbound::new(a, Method::Get, HEALTH_PATH, "", b"", &ctx, Timeouts::READ);
        out.headers
            .push((edge_headers::INVENTORY.to_owned(), "1".to_owned()));
        out
    };
    let results = fanout::each(transport, &agents, build, |s| s == 200 || s == 503).await;
    let items: Vec<Value> = agents
        .iter()
        .zip(&results)
        .map(|(a, (_, r))| entry(fleet, a, r))
        .collect();
    Ok(Reply::json(
        200,
        &json!({"items": items, "total": items.len()}),
    ))
}

/// One agent's line.
pub fn entry(fleet: &Fleet, agent: &Agent, health: &Result<Answer, ApiError>) -> Value {
    let role = if fleet.is_control(agent) {
        "control"
    } else {
        "agent"
    };
    let mut e = json!({
        "name": agent.name.as_str(),
        "url": agent.url,
        "role": role,
        "reachable": true,
        "status": null,
        "fail2ban": null,
        "fail2ban_version": null,
        "certificate_expires_at": null,
    });
    match health {
        Ok(a) => {
            e["status"] = a.body.get("status").cloned().unwrap_or(Value::Null);
            e["fail2ban"] = a.body.get("fail2ban").cloned().unwrap_or(Value::Null);
            e["fail2ban_version"] = a.body.get("version").cloned().unwrap_or(Value::Null);
            e["certificate_expires_at"] = a
                .body
                .get("certificate_expires_at")
                .cloned()
                .unwrap_or(Value::Null);
        }
        Err(err) => {
            e["reachable"] = Value::Bool(err.code != ErrorCode::AgentUnreachable);
            e["error"] = json!({"code": err.code.as_str(), "detail": err.detail});
        }
    }
    e
}
