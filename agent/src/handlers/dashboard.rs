//! `GET /api/v1/dashboard/status`: fail2ban's counters summed over the running jails.

use bangui_shared::models::health::{ServerStatus, ServerStatusResponse};
use bangui_shared::ApiError;

use crate::http::respond::Reply;
use crate::state::AppState;

pub async fn status(state: &AppState) -> Result<Reply, ApiError> {
    let client = state.fail2ban();
    let version = client.version().await?;
    let jails = client.jail_names().await?;
    let statuses = client.jail_statuses(&jails).await?;
    let mut status = ServerStatus {
        online: true,
        version: Some(version),
        active_jails: statuses.len() as u64,
        jails: statuses.iter().map(|(j, _)| j.to_string()).collect(),
        currently_banned: 0,
        total_banned: 0,
        currently_failed: 0,
        total_failed: 0,
    };
    for (_, s) in &statuses {
        status.currently_banned += s.currently_banned;
        status.total_banned += s.total_banned;
        status.currently_failed += s.currently_failed;
        status.total_failed += s.total_failed;
    }
    Reply::ok(&ServerStatusResponse { status })
}
