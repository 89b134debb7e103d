//! `POST /api/v1/config/restart` and `GET /api/v1/config/service-status`: fail2ban as a
//! service — restarting it the way the host runs it, and its process, versions and counts.

use std::path::PathBuf;

use bangui_shared::models::service::{AgentInfo, JailCounts, ServiceStatusResponse, StoreHealth};
use bangui_shared::{ApiError, ErrorCode};
use chrono::{SecondsFormat, Utc};

use super::jail_config::{blocking, stream_error, CONFIG_LOCK};
use super::server::read_settings;
use crate::f2bconf::merged::Vars;
use crate::f2bconf::options::as_bool;
use crate::f2bconf::stream::Reader;
use crate::fail2ban::service::{
    pid_file, process_alive, process_uptime, read_pid, RestartError, ServiceControl,
};
use crate::http::respond::Reply;
use crate::state::AppState;
use crate::store::settings;

/// Response header of a successful restart: how long fail2ban took to answer again.
pub const RESTART_MS_HEADER: &str = "x-fail2ban-restart-ms";

async fn pid_path(state: &AppState) -> Result<PathBuf, ApiError> {
    let f = &state.config.fail2ban;
    let (configured, dir) = (f.pid_file.clone(), f.config_dir.clone());
    blocking(move || Ok(pid_file(configured.as_deref(), &dir))).await
}

pub async fn restart(state: &AppState) -> Result<Reply, ApiError> {
    let _config = CONFIG_LOCK.lock().await;
    let f = &state.config.fail2ban;
    let client = state.fail2ban();
    let control = ServiceControl {
        socket: client.socket().to_owned(),
        client: f.client.clone(),
        config_dir: f.config_dir.clone(),
        start_command: f.start_command.clone(),
        restart_command: f.restart_command.clone(),
        pid_file: Some(pid_path(state).await?),
        timeout: f.restart_timeout(),
    };
    let took = control.restart(&client).await.map_err(|e| match e {
        RestartError::Stop(e) => ApiError::from(e),
        RestartError::CommandFailed(m) => {
            ApiError::operation_failed(format!("the restart command failed: {m}"))
        }
        e @ RestartError::NotBack { .. } => {
            tracing::error!(error = %e, "fail2ban did not come back after a restart");
            ApiError::new(ErrorCode::ServiceUnavailable, e.to_string())
        }
    })?;
    // Jails start fresh, not idle.
    state.forget_idle(None);
    let ms = took.as_millis().to_string();
    tracing::info!(took_ms = %ms, "fail2ban restarted");
    Ok(Reply::no_content().header(warp::http::HeaderName::from_static(RESTART_MS_HEADER), &ms))
}

/// Jails the configuration enables (blocking: reads the jail files).
fn enabled_jails(dir: &std::path::Path) -> Result<u64, ApiError> {
    let mut reader = Reader::new(dir);
    let names = reader.jail_names().map_err(stream_error)?;
    let cfg = reader.jail_config().map_err(stream_error)?;
    Ok(names
        .iter()
        .filter(|n| {
            cfg.get(n, "enabled", &Vars::new())
                .is_ok_and(|v| as_bool(v.trim()))
        })
        .count() as u64)
}

pub async fn status(state: &AppState) -> Result<Reply, ApiError> {
    let client = state.fail2ban();
    let version = client.version().await?;
    let settings = read_settings(state).await?;
    let running = client.jail_names().await?;
    let statuses = client.jail_statuses(&running).await?;
    let (banned, failed) = statuses.iter().fold((0, 0), |(b, f), (_, s)| {
        (b + s.currently_banned, f + s.currently_failed)
    });

    let pid_path = pid_path(state).await?;
    let dir = state.config.fail2ban.config_dir.clone();
    let (pid, uptime, total) = blocking(move || {
        let pid = read_pid(&pid_path).filter(|p| process_alive(*p));
        let uptime = pid.and_then(process_uptime);
        Ok((pid, uptime, enabled_jails(&dir)?))
    })
    .await?;
    let started_at = uptime.and_then(|up| {
        let up = chrono::Duration::from_std(up).ok()?;
        Some((Utc::now() - up).to_rfc3339_opts(SecondsFormat::Secs, true))
    });

    let (quick_check, schema_version) = state.auth.store().run(|c| settings::health(c)).await?;
    Reply::ok(&ServiceStatusResponse {
        running: true,
        version,
        pid,
        started_at,
        uptime_seconds: uptime.map(|u| u.as_secs()),
        socket: client.socket().display().to_string(),
        db_file: settings.db_file,
        db_purge_age: settings.db_purge_age,
        log_target: settings.log_target,
        log_level: settings.log_level,
        jails: JailCounts {
            // Jails added at run time (not in the files) still count as configured.
            total: total.max(running.len() as u64),
            active: running.len() as u64,
        },
        currently_banned: banned,
        currently_failed: failed,
        agent: AgentInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            store: StoreHealth {
                ok: quick_check == "ok",
                quick_check,
                schema_version,
            },
        },
    })
}
