//! Audit records for state-changing requests: who did what to which target, and the outcome.
//! Only whitelisted, non-secret fields of a body are recorded — never passwords or tokens.

use bangui_shared::access::changes_state;
use bangui_shared::routes::Route;
use chrono::{SecondsFormat, Utc};

use crate::state::AppState;
use crate::store::audit::{self, AuditEntry};

use super::request::ApiRequest;

/// Body fields that name a target and are safe to keep.
const TARGET_FIELDS: [&str; 6] = ["jail", "ip", "name", "url", "log_level", "log_target"];

/// True when requests to this route are audited: every state change, plus login and setup
/// attempts (which are writes anyway).
pub fn is_audited(route: &Route) -> bool {
    changes_state(route)
}

fn target(req: &ApiRequest) -> Option<String> {
    let mut parts: Vec<String> = req.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(&req.body) {
        for field in TARGET_FIELDS {
            if let Some(v) = body.get(field).and_then(|v| v.as_str()) {
                let v: String = v.chars().take(200).collect();
                parts.push(format!("{field}={v}"));
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Appends the request's record. A failure is logged, never turned into a failed request.
pub async fn record(state: &AppState, req: &ApiRequest, status: u16, code: Option<&str>) {
    let entry = AuditEntry {
        at: Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        client_ip: Some(req.client_ip.to_string()),
        actor: req.actor(),
        method: req.route.method.as_str().to_owned(),
        route: req.route.pattern.to_owned(),
        target: target(req),
        status,
        code: code.map(str::to_owned),
        correlation_id: req.correlation_id.clone(),
    };
    if let Err(e) = state
        .auth
        .store()
        .run(move |c| audit::append(c, &entry))
        .await
    {
        tracing::error!(error = %e, "could not write the audit log");
    }
}
