//! `/api/v1/setup`: first-run setup of the master password and the agent's basics.

use std::os::unix::fs::FileTypeExt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use bangui_shared::models::auth::{
    SetupRequest, SetupResponse, SetupStatusResponse, SetupTimezoneResponse,
};
use bangui_shared::{ApiError, ErrorCode};
use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::auth::password;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;
use crate::store::setup::SetupRecord;

const DEFAULT_TIMEZONE: &str = "UTC";
const DEFAULT_SESSION_MINUTES: i64 = 480;
const SESSION_MINUTES: std::ops::RangeInclusive<i64> = 5..=43_200;
/// `sun_path` holds 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

pub async fn status(state: &AppState) -> Result<Reply, ApiError> {
    Reply::ok(&SetupStatusResponse {
        completed: state.auth.is_setup(),
    })
}

pub async fn timezone(state: &AppState) -> Result<Reply, ApiError> {
    let timezone = state
        .auth
        .setup_record()
        .map(|r| r.timezone)
        .unwrap_or_else(|| DEFAULT_TIMEZONE.to_owned());
    Reply::ok(&SetupTimezoneResponse { timezone })
}

fn already_complete() -> ApiError {
    ApiError::new(
        ErrorCode::SetupAlreadyComplete,
        "setup has already been completed",
    )
}

/// Field-level checks; every problem is reported, keyed by field.
struct Problems(Map<String, Value>);

impl Problems {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| Value::String(message.into()));
    }

    fn into_result(self) -> Result<(), ApiError> {
        let Some((field, message)) = self.0.iter().next() else {
            return Ok(());
        };
        let detail = format!("{field}: {}", message.as_str().unwrap_or_default());
        let first = field.clone();
        Err(ApiError::invalid_input(detail)
            .with("field", first)
            .with("fields", Value::Object(self.0)))
    }
}

fn plain_absolute(p: &str) -> bool {
    let path = Path::new(p);
    path.is_absolute()
        && !p.contains('\0')
        && path
            .components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir))
}

fn check(req: &SetupRequest, configured_socket: &Path, problems: &mut Problems) {
    let violations = password::policy_violations(&req.master_password);
    if !violations.is_empty() {
        problems.add(
            "master_password",
            format!("password {}", violations.join(", ")),
        );
    }
    if let Some(tz) = &req.timezone {
        if chrono_tz::Tz::from_str(tz).is_err() {
            problems.add(
                "timezone",
                format!("{tz:?} is not an IANA time zone (e.g. Europe/Berlin, UTC)"),
            );
        }
    }
    if let Some(minutes) = req.session_duration_minutes {
        if !SESSION_MINUTES.contains(&minutes) {
            problems.add(
                "session_duration_minutes",
                format!(
                    "must be between {} and {} minutes",
                    SESSION_MINUTES.start(),
                    SESSION_MINUTES.end()
                ),
            );
        }
    }
    if let Some(socket) = &req.fail2ban_socket {
        if !plain_absolute(socket) || socket.len() > MAX_SOCKET_PATH {
            problems.add(
                "fail2ban_socket",
                format!("must be an absolute path of at most {MAX_SOCKET_PATH} bytes without '..'"),
            );
        } else if Path::new(socket) != configured_socket {
            let is_socket = std::fs::metadata(socket)
                .map(|m| m.file_type().is_socket())
                .unwrap_or(false);
            if !is_socket {
                problems.add("fail2ban_socket", format!("{socket} is not a Unix socket"));
            }
        }
    }
    if let Some(db) = &req.database_path {
        if !plain_absolute(db) {
            problems.add("database_path", "must be an absolute path without '..'");
        } else if std::fs::symlink_metadata(db).is_ok_and(|m| !m.file_type().is_file()) {
            problems.add(
                "database_path",
                format!("{db} exists and is not a regular file"),
            );
        }
    }
}

pub async fn create(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    if state.auth.is_setup() {
        return Err(already_complete());
    }
    let body: SetupRequest = req.json()?;
    let configured_socket = state.config.fail2ban.socket.clone();
    let mut problems = Problems(Map::new());
    check(&body, &configured_socket, &mut problems);
    problems.into_result()?;

    let secret = body.master_password.clone();
    let password_hash = tokio::task::spawn_blocking(move || password::hash(&secret))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(format!("cannot hash the password: {e}")))?;
    let record = SetupRecord {
        password_hash,
        timezone: body
            .timezone
            .clone()
            .unwrap_or_else(|| DEFAULT_TIMEZONE.into()),
        session_minutes: body
            .session_duration_minutes
            .unwrap_or(DEFAULT_SESSION_MINUTES),
        fail2ban_socket: body.fail2ban_socket.clone(),
        database_path: body.database_path.clone(),
        completed_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    };
    if !state.auth.complete_setup(record.clone()).await? {
        return Err(already_complete());
    }
    let socket = record
        .fail2ban_socket
        .as_deref()
        .map(PathBuf::from)
        .unwrap_or(configured_socket);
    if socket != state.fail2ban().socket() {
        state.use_socket(&socket);
    }
    Reply::created(&SetupResponse {
        completed: true,
        timezone: record.timezone,
        session_duration_minutes: record.session_minutes,
        fail2ban_socket: socket.display().to_string(),
        database_path: record.database_path,
    })
}
