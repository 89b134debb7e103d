//! The ban archive: fail2ban's `bans` table copied incrementally into the agent's database,
//! so history outlives fail2ban's `dbpurgeage`, with each address resolved once by the geo
//! database. A background task syncs every `sync_interval_secs` and when asked; requests only
//! read (through their own connections, WAL), so a sync never blocks them.

pub mod data;
pub mod query;
pub mod resolve;
pub mod seed;
pub mod sync;
pub mod task;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use bangui_shared::models::health::{ComponentHealth, ComponentStatus};
use bangui_shared::timerange::TimeRange;
use bangui_shared::ApiError;
use rusqlite::Connection;
use tokio::sync::Notify;

use crate::config::AgentConfig;
use crate::geo::Geo;
use crate::store::StoreError;
use sync::SyncReport;

/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 4;
/// A request starts a sync when the last one began longer ago than this.
const KICK_AFTER_SECS: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("archive database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("archive task failed: {0}")]
    Task(String),
}

impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> Self {
        tracing::error!(error = %e, "archive failure");
        ApiError::internal("the agent's ban archive failed; see the agent log")
    }
}

/// What the last syncs did, for health and for `source=fail2ban`.
#[derive(Debug, Clone, Default)]
pub struct SyncStatus {
    pub last_attempt: Option<i64>,
    pub last_success: Option<i64>,
    pub last_error: Option<String>,
    /// fail2ban's database as last resolved.
    pub source: Option<PathBuf>,
    /// fail2ban's `dbpurgeage` in seconds, as last read.
    pub purge_age_secs: Option<i64>,
    pub last_report: Option<SyncReport>,
}

#[derive(Debug)]
pub struct History {
    archive_path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    pub geo: Arc<Geo>,
    status: RwLock<SyncStatus>,
    wake: Notify,
    /// One sync or re-resolve at a time.
    running: tokio::sync::Mutex<()>,
}

/// Opens a connection to the archive (the agent's database; its migrations have run).
pub fn open_archive(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // A bigger page cache keeps the aggregate indexes of a large archive in memory.
    conn.pragma_update(None, "cache_size", -16_000)?;
    Ok(conn)
}

impl History {
    /// Opens the archive in the agent's database (after the store ran its migrations) and
    /// loads the geo database.
    pub fn open(config: &AgentConfig) -> Result<Self, StoreError> {
        let archive_path = config.state.dir.join("bangui.db");
        let writer = open_archive(&archive_path).map_err(|source| StoreError::Open {
            path: archive_path.clone(),
            source,
        })?;
        Ok(Self {
            archive_path,
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            geo: Arc::new(Geo::open(config)),
            status: RwLock::new(SyncStatus::default()),
            wake: Notify::new(),
            running: tokio::sync::Mutex::new(()),
        })
    }

    /// Runs `f` on a read connection, off the async runtime.
    pub async fn read<T, F>(&self, f: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let readers = self.readers.clone();
        let path = self.archive_path.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = readers.lock().ok().and_then(|mut r| r.pop());
            let conn = match pooled {
                Some(c) => c,
                None => {
                    let c = open_archive(&path)?;
                    c.pragma_update(None, "query_only", true)?;
                    c
                }
            };
            let out = f(&conn);
            if let Ok(mut r) = readers.lock() {
                if r.len() < MAX_IDLE_READERS {
                    r.push(conn);
                }
            }
            Ok(out?)
        })
        .await
        .map_err(|e| HistoryError::Task(e.to_string()))?
    }

    /// Runs `f` on the writer connection, off the async runtime, after any running sync.
    pub async fn write<T, F>(&self, f: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let _one_at_a_time = self.running.lock().await;
        let writer = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = writer
                .lock()
                .map_err(|_| HistoryError::Task("archive writer mutex poisoned".into()))?;
            Ok(f(&mut conn)?)
        })
        .await
        .map_err(|e| HistoryError::Task(e.to_string()))?
    }

    pub fn status(&self) -> SyncStatus {
        match self.status.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn update_status(&self, f: impl FnOnce(&mut SyncStatus)) {
        match self.status.write() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Asks the background task for a sync unless one began in the last few seconds; never
    /// waits.
    pub fn kick(&self, now: i64) {
        let recent = self
            .status()
            .last_attempt
            .is_some_and(|t| now - t < KICK_AFTER_SECS);
        if !recent {
            self.wake.notify_one();
        }
    }

    /// The `history_archive` health component: an error when the last sync failed; a
    /// warning in `detail` when fail2ban purges bans sooner than the dashboard's longest
    /// range (the archive then is the only place older bans are kept).
    pub fn health(&self) -> ComponentHealth {
        let s = self.status();
        let warning = s
            .purge_age_secs
            .filter(|age| *age >= 0 && *age < TimeRange::LONGEST.seconds())
            .map(|age| {
                format!(
                    "warning: fail2ban's dbpurgeage ({}) is shorter than the dashboard's longest range ({}); older bans are kept only in the agent's archive",
                    human_duration(age),
                    TimeRange::LONGEST
                )
            });
        match &s.last_error {
            Some(e) => ComponentHealth {
                name: "history_archive".into(),
                status: ComponentStatus::Error,
                detail: Some(match warning {
                    Some(w) => format!("last sync failed: {e}; {w}"),
                    None => format!("last sync failed: {e}"),
                }),
            },
            None => ComponentHealth {
                name: "history_archive".into(),
                status: ComponentStatus::Ok,
                detail: warning,
            },
        }
    }
}

fn human_duration(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_reports_errors_and_short_purge_ages() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = AgentConfig::default();
        config.state.dir = dir.path().to_owned();
        crate::store::Store::open(&dir.path().join("bangui.db")).unwrap();
        let h = History::open(&config).unwrap();
        assert_eq!(h.health().status, ComponentStatus::Ok);
        assert_eq!(h.health().detail, None);
        h.update_status(|s| s.purge_age_secs = Some(86_400));
        assert!(h.health().detail.unwrap().contains("dbpurgeage (1d)"));
        h.update_status(|s| s.last_error = Some("database is locked".into()));
        let c = h.health();
        assert_eq!(c.status, ComponentStatus::Error);
        assert!(c.detail.unwrap().contains("database is locked"));
        h.update_status(|s| s.purge_age_secs = Some(400 * 86_400));
        h.update_status(|s| s.last_error = None);
        assert_eq!(h.health().detail, None);
    }
}
