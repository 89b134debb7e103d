//! `GET /api/v1/health`: is fail2ban answering, and can the agent do its work.

use std::path::Path;

use bangui_shared::models::health::{ComponentHealth, ComponentStatus, HealthResponse};
use bangui_shared::{edge_headers, ApiError};

use crate::fail2ban::{reply, Command};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

pub async fn get(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (fail2ban, version) = match state.fail2ban().call(Command::Version).await {
        Ok(v) => (ok("fail2ban"), reply::string(v).ok()),
        Err(e) => (failed("fail2ban", e.to_string()), None),
    };
    let f = &state.config.fail2ban;
    let config = if f.config_dir.join("jail.conf").is_file() {
        ok("fail2ban_config")
    } else {
        failed(
            "fail2ban_config",
            format!("{} has no jail.conf", f.config_dir.display()),
        )
    };
    let client = if find_executable(&f.client) {
        ok("fail2ban_client")
    } else {
        failed(
            "fail2ban_client",
            format!(
                "{} not found: jails cannot be started or reloaded",
                f.client.display()
            ),
        )
    };
    let archive = state.history.health();
    let mut health =
        HealthResponse::from_components(version, vec![fail2ban, config, client, archive]);
    // Only the edge's inventory, which cannot see the certificate through wasi:http, asks.
    if req.edge.is_some() && req.headers.contains_key(edge_headers::INVENTORY) {
        health.certificate_expires_at = state
            .edge_cert_expires_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    Reply::json(health.http_status(), &health)
}

fn ok(name: &str) -> ComponentHealth {
    ComponentHealth {
        name: name.to_owned(),
        status: ComponentStatus::Ok,
        detail: None,
    }
}

fn failed(name: &str, detail: String) -> ComponentHealth {
    ComponentHealth {
        name: name.to_owned(),
        status: ComponentStatus::Error,
        detail: Some(detail),
    }
}

/// A path with a separator must exist; a bare name is looked up in `PATH`.
fn find_executable(program: &Path) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}
