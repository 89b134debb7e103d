//! Setup state, sessions and limits: everything that decides whether a request may run.
//!
//! The store is the source of truth; live sessions and the setup record are also kept in memory
//! (every change goes through this type), so checking a request costs no database round trip.

pub mod keys;
pub mod limits;
pub mod password;

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bangui_shared::access::RateBucket;
use bangui_shared::session::{self, Claims};
use bangui_shared::{ApiError, ErrorCode};

use crate::config::AgentConfig;
use crate::store::sessions::SessionRow;
use crate::store::setup::SetupRecord;
use crate::store::{attempts, sessions, setup, Store, StoreError};
use limits::WriteLimiter;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("session key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    #[error("state directory {path}: {reason}")]
    StateDir { path: PathBuf, reason: String },
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the session secret (the store's key).
    pub key: String,
    pub expires_at: i64,
}

impl Session {
    /// How the audit log names this session: a prefix of its key, never the secret.
    pub fn actor(&self) -> String {
        format!("session:{}", &self.key[..12.min(self.key.len())])
    }
}

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct Issued {
    pub token: String,
    pub expires_at: i64,
    pub max_age_secs: i64,
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Debug)]
pub struct Auth {
    store: Store,
    key: Vec<u8>,
    setup: RwLock<Option<SetupRecord>>,
    /// Live sessions: key → expiry (Unix seconds).
    sessions: Mutex<HashMap<String, i64>>,
    writes: WriteLimiter,
    login_attempts: u32,
    login_window: Duration,
}

impl Auth {
    /// Opens the state directory (created 0700), the store and the signing key, and loads the
    /// setup record and the live sessions.
    pub fn open(config: &AgentConfig) -> Result<Self, AuthError> {
        let dir = &config.state.dir;
        create_private_dir(dir)?;
        let store = Store::open(&dir.join("bangui.db"))?;
        let key = keys::load_or_create(&config.auth.signing_key_path(&config.state))?;
        let now = now_secs();
        let (setup, live) =
            store.run_blocking(|c| Ok((setup::load(c)?, sessions::live(c, now)?)))?;
        Ok(Self {
            store,
            key,
            setup: RwLock::new(setup),
            sessions: Mutex::new(live.into_iter().map(|s| (s.key, s.expires_at)).collect()),
            writes: WriteLimiter::new(&config.limits),
            login_attempts: config.limits.login_attempts,
            login_window: Duration::from_secs(config.limits.login_window_secs),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn setup_record(&self) -> Option<SetupRecord> {
        self.setup.read().ok().and_then(|s| s.clone())
    }

    pub fn is_setup(&self) -> bool {
        self.setup.read().map(|s| s.is_some()).unwrap_or(false)
    }

    /// Saves setup atomically; `false` when it had already completed.
    pub async fn complete_setup(&self, record: SetupRecord) -> Result<bool, StoreError> {
        let saved = record.clone();
        let done = self.store.run(move |c| setup::complete(c, &saved)).await?;
        if done {
            if let Ok(mut s) = self.setup.write() {
                *s = Some(record);
            }
        }
        Ok(done)
    }

    /// Verifies a token: signature, expiry, and that its session is still live.
    pub fn check(&self, token: &str) -> Result<Session, ApiError> {
        let claims = session::verify(token, &self.key, now_secs()).map_err(|e| {
            ApiError::new(
                ErrorCode::AuthenticationRequired,
                format!("{e}; log in again"),
            )
        })?;
        let key = session::session_key(&claims.sid);
        let expires_at = self
            .sessions
            .lock()
            .ok()
            .and_then(|s| s.get(&key).copied())
            .filter(|exp| *exp > now_secs())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::AuthenticationRequired,
                    "session has ended (logged out, expired or replaced by a newer login); log in again",
                )
            })?;
        Ok(Session { key, expires_at })
    }

    /// The login limit: `Err(retry_after_seconds)` when the client used up its attempts, else
    /// the attempt is recorded (as a failure until [`Auth::login_succeeded`]) and its id returned.
    /// Counting and recording happen in one store call, so parallel attempts cannot slip past.
    pub async fn begin_login(&self, client: IpAddr) -> Result<Result<i64, u64>, ApiError> {
        let window_ms = self.login_window.as_millis() as i64;
        let max = self.login_attempts as usize;
        let client = client.to_string();
        Ok(self
            .store
            .run(move |c| {
                let now = now_ms();
                let recent = attempts::since(c, &client, now - window_ms)?;
                if recent.len() >= max {
                    let oldest = recent.first().copied().unwrap_or(now);
                    let age = Duration::from_millis((now - oldest).max(0) as u64);
                    return Ok(Err(limits::retry_after(
                        Duration::from_millis(window_ms as u64),
                        age,
                    )));
                }
                Ok(Ok(attempts::record(c, &client, now, false)?))
            })
            .await?)
    }

    /// After a wrong password: how long to wait before answering.
    pub async fn failure_delay(&self, client: IpAddr) -> Result<Duration, ApiError> {
        let client = client.to_string();
        let n = self
            .store
            .run(move |c| attempts::consecutive_failures(c, &client, now_ms() - 86_400_000))
            .await?;
        Ok(limits::failure_delay(n))
    }

    /// Issues a session for a correct password; every older session ends.
    pub async fn login_succeeded(
        &self,
        attempt: i64,
        client: IpAddr,
        session_minutes: i64,
    ) -> Result<Issued, ApiError> {
        let sid =
            keys::hex(&keys::random_bytes::<32>().map_err(|e| ApiError::internal(e.to_string()))?);
        let now = now_secs();
        let max_age_secs = session_minutes * 60;
        let claims = Claims {
            sid: sid.clone(),
            iat: now,
            exp: now + max_age_secs,
        };
        let token = session::sign(&claims, &self.key)
            .map_err(|e| ApiError::internal(format!("cannot sign session: {e}")))?;
        let row = SessionRow {
            key: session::session_key(&sid),
            created_at: now,
            expires_at: claims.exp,
        };
        let stored = row.clone();
        let client = client.to_string();
        self.store
            .run(move |c| {
                attempts::mark_ok(c, attempt)?;
                sessions::replace_all(c, &stored, Some(&client))
            })
            .await?;
        if let Ok(mut live) = self.sessions.lock() {
            live.clear();
            live.insert(row.key, row.expires_at);
        }
        Ok(Issued {
            token,
            expires_at: claims.exp,
            max_age_secs,
        })
    }

    /// Ends the token's session if it is live; quietly does nothing otherwise.
    pub async fn logout(&self, token: &str) -> Result<bool, ApiError> {
        let Ok(session) = self.check(token) else {
            return Ok(false);
        };
        let key = session.key.clone();
        self.store.run(move |c| sessions::delete(c, &key)).await?;
        if let Ok(mut live) = self.sessions.lock() {
            live.remove(&session.key);
        }
        Ok(true)
    }

    /// Counts a write against its bucket for this client.
    pub fn check_rate(&self, bucket: RateBucket, client: IpAddr) -> Result<(), ApiError> {
        self.writes
            .check(bucket, client, Instant::now())
            .map_err(|retry| {
                ApiError::new(
                    ErrorCode::RateLimitExceeded,
                    format!(
                        "too many {} requests: at most {} per window; retry in {retry} s",
                        bucket.as_str(),
                        self.writes.limit(bucket)
                    ),
                )
                .with("retry_after_seconds", retry)
                .with("bucket", bucket.as_str())
            })
    }

    /// Housekeeping: expired sessions, old login attempts, idle rate windows.
    pub async fn purge(&self) -> Result<(), StoreError> {
        let now = now_secs();
        self.store
            .run(move |c| {
                sessions::purge_expired(c, now)?;
                attempts::purge_before(c, now_ms() - 86_400_000)?;
                Ok(())
            })
            .await?;
        if let Ok(mut live) = self.sessions.lock() {
            live.retain(|_, exp| *exp > now);
        }
        self.writes.prune(Instant::now());
        Ok(())
    }
}

fn create_private_dir(dir: &std::path::Path) -> Result<(), AuthError> {
    use std::os::unix::fs::DirBuilderExt;
    let err = |reason: String| AuthError::StateDir {
        path: dir.to_owned(),
        reason,
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| err(format!("cannot create: {e}")))?;
    }
    if !dir.is_dir() {
        return Err(err("is not a directory".into()));
    }
    Ok(())
}
