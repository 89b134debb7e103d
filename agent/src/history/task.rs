//! The sync task: finds fail2ban's database, runs [`sync::run`] off the async runtime and
//! records the outcome for health. Runs at start, every `sync_interval_secs`, and when a
//! request asks ([`super::History::kick`]) or needs fresh data ([`sync_once`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::now_secs;
use crate::fail2ban::{reply, Command, ServerKey};
use crate::state::AppState;

use super::sync::{self, SyncError, SyncOptions, SyncReport};

/// Syncs forever; spawn it once per agent.
pub async fn run(state: Arc<AppState>) {
    let every = Duration::from_secs(state.config.history.sync_interval_secs);
    loop {
        if let Err(e) = sync_once(&state).await {
            tracing::warn!(error = %e, "ban archive sync failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = state.history.wake.notified() => {}
        }
    }
}

/// One sync now (after any running one); the outcome is also recorded for health.
pub async fn sync_once(state: &AppState) -> Result<SyncReport, SyncError> {
    let history = &state.history;
    let _one_at_a_time = history.running.lock().await;
    let now = now_secs();
    history.update_status(|s| s.last_attempt = Some(now));
    let purge_age = purge_age(state).await;
    let result = match source_path(state).await {
        Ok(path) => {
            let writer = history.writer.clone();
            let geo = history.geo.clone();
            let opts = SyncOptions {
                busy_timeout: Duration::from_millis(state.config.history.busy_timeout_ms),
                keep_since: now.saturating_sub(
                    i64::try_from(state.config.history.retention_days)
                        .unwrap_or(i64::MAX / 86_400)
                        .saturating_mul(86_400),
                ),
            };
            let source = path.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                geo.refresh();
                let mut conn = writer
                    .lock()
                    .map_err(|_| SyncError::Task("archive writer mutex poisoned".into()))?;
                sync::run(&mut conn, &source, &opts, &geo.current())
            })
            .await
            .unwrap_or_else(|e| Err(SyncError::Task(e.to_string())));
            history.update_status(|s| s.source = Some(path));
            outcome
        }
        Err(e) => Err(e),
    };
    history.update_status(|s| {
        if purge_age.is_some() {
            s.purge_age_secs = purge_age;
        }
        match &result {
            Ok(report) => {
                s.last_success = Some(now);
                s.last_error = None;
                s.last_report = Some(report.clone());
            }
            Err(e) => s.last_error = Some(e.to_string()),
        }
    });
    if let Ok(r) = &result {
        if r.added > 0 || r.purged > 0 || r.rescanned {
            tracing::info!(
                read = r.read,
                added = r.added,
                purged = r.purged,
                rescanned = r.rescanned,
                "ban archive synced"
            );
        }
    }
    result
}

/// fail2ban's database: `[history] fail2ban_db`, else setup's `database_path`, else what
/// fail2ban answers to `get dbfile` (the last answer is kept for when fail2ban is down).
async fn source_path(state: &AppState) -> Result<PathBuf, SyncError> {
    if let Some(path) = &state.config.history.fail2ban_db {
        return Ok(path.clone());
    }
    if let Some(path) = state.auth.setup_record().and_then(|r| r.database_path) {
        return Ok(PathBuf::from(path));
    }
    match state
        .fail2ban()
        .call(Command::GetServer(ServerKey::DbFile))
        .await
    {
        Ok(v) => match reply::opt_string(v) {
            Ok(Some(p)) if p != "None" && p != ":memory:" => Ok(PathBuf::from(p)),
            Ok(_) => Err(SyncError::NoDatabase(
                "fail2ban runs without a database (dbfile is None)".into(),
            )),
            Err(e) => Err(SyncError::NoDatabase(e.to_string())),
        },
        Err(e) => state.history.status().source.ok_or_else(|| {
            SyncError::NoDatabase(format!("fail2ban cannot be asked for its dbfile: {e}"))
        }),
    }
}

/// fail2ban's `dbpurgeage` in seconds, when it answers.
async fn purge_age(state: &AppState) -> Option<i64> {
    let v = state
        .fail2ban()
        .call(Command::GetServer(ServerKey::DbPurgeAge))
        .await
        .ok()?;
    reply::int(v).ok()
}
