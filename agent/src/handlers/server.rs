//! `/api/v1/server`: fail2ban's server-wide settings and log rotation.

use std::path::{Component, Path, PathBuf};

use bangui_shared::models::server::{
    FlushLogsResponse, LogLevel, ServerSettings, ServerSettingsResponse, ServerSettingsUpdate,
};
use bangui_shared::{ApiError, ErrorCode};

use crate::fail2ban::codec::Value;
use crate::fail2ban::{reply, Command, Fail2banError, ServerKey};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

/// Below this purge age fail2ban forgets bans before a day-long dashboard range is over.
const SHORT_PURGE_AGE_SECS: i64 = 86_400;
const MAX_PURGE_AGE_SECS: i64 = 10 * 365 * 86_400;
const MAX_DB_MATCHES: i64 = 10_000;
const SPECIAL_LOG_TARGETS: [&str; 4] = ["STDOUT", "STDERR", "SYSLOG", "SYSTEMD-JOURNAL"];

const KEYS: [ServerKey; 6] = [
    ServerKey::LogLevel,
    ServerKey::LogTarget,
    ServerKey::SyslogSocket,
    ServerKey::DbFile,
    ServerKey::DbPurgeAge,
    ServerKey::DbMaxMatches,
];

pub(super) async fn read_settings(state: &AppState) -> Result<ServerSettings, ApiError> {
    let commands: Vec<Command> = KEYS.iter().map(|k| Command::GetServer(*k)).collect();
    let mut values = Vec::with_capacity(KEYS.len());
    for r in state.fail2ban().call_many(&commands).await? {
        values.push(r?);
    }
    let mut values = values.into_iter();
    let mut next = || values.next().unwrap_or(Value::None);
    Ok(ServerSettings {
        log_level: reply::string(next())?,
        log_target: reply::string(next())?,
        syslog_socket: reply::opt_string(next())?,
        db_file: reply::opt_string(next())?.filter(|f| f != "None"),
        db_purge_age: reply::int(next())?,
        db_max_matches: reply::int(next())?,
    })
}

fn warnings(s: &ServerSettings) -> Vec<String> {
    let mut out = Vec::new();
    if s.db_file.is_none() {
        out.push("fail2ban has no database: bans are not kept across restarts".to_owned());
    } else if s.db_purge_age < SHORT_PURGE_AGE_SECS {
        out.push(format!(
            "fail2ban purges bans after {} s (dbpurgeage), less than a day: ban history is lost \
             sooner than the dashboard ranges show",
            s.db_purge_age
        ));
    }
    out
}

pub async fn get_settings(state: &AppState) -> Result<Reply, ApiError> {
    let settings = read_settings(state).await?;
    let warnings = warnings(&settings);
    Reply::ok(&ServerSettingsResponse { settings, warnings })
}

fn rejected(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ConfigValidationFailed, detail).with("field", field)
}

/// A validated change: the key, the API field it came from and the value to send.
pub(super) type Change = (ServerKey, &'static str, String);

fn validate(update: &ServerSettingsUpdate, log_dirs: &[PathBuf]) -> Result<Vec<Change>, ApiError> {
    let mut changes = Vec::new();
    if let Some(level) = &update.log_level {
        let level = LogLevel::parse(level).ok_or_else(|| {
            let allowed: Vec<&str> = LogLevel::ALL.iter().map(|l| l.as_str()).collect();
            rejected(
                "log_level",
                format!("log_level must be one of {}", allowed.join(", ")),
            )
        })?;
        changes.push((ServerKey::LogLevel, "log_level", level.as_str().to_owned()));
    }
    if let Some(target) = &update.log_target {
        changes.push((
            ServerKey::LogTarget,
            "log_target",
            check_log_target(target, log_dirs)?,
        ));
    }
    if let Some(socket) = &update.syslog_socket {
        let ok = socket == "auto" || (Path::new(socket).is_absolute() && is_plain_path(socket));
        if !ok {
            return Err(rejected(
                "syslog_socket",
                "syslog_socket must be \"auto\" or an absolute path",
            ));
        }
        changes.push((ServerKey::SyslogSocket, "syslog_socket", socket.clone()));
    }
    if let Some(age) = update.db_purge_age {
        if !(60..=MAX_PURGE_AGE_SECS).contains(&age) {
            return Err(rejected(
                "db_purge_age",
                format!("db_purge_age must be between 60 and {MAX_PURGE_AGE_SECS} seconds"),
            ));
        }
        changes.push((ServerKey::DbPurgeAge, "db_purge_age", age.to_string()));
    }
    if let Some(max) = update.db_max_matches {
        if !(0..=MAX_DB_MATCHES).contains(&max) {
            return Err(rejected(
                "db_max_matches",
                format!("db_max_matches must be between 0 and {MAX_DB_MATCHES}"),
            ));
        }
        changes.push((ServerKey::DbMaxMatches, "db_max_matches", max.to_string()));
    }
    if changes.is_empty() {
        return Err(ApiError::invalid_input(
            "no settings given: send at least one of log_level, log_target, syslog_socket, \
             db_purge_age, db_max_matches",
        ));
    }
    Ok(changes)
}

fn is_plain_path(p: &str) -> bool {
    !p.contains('\0')
        && Path::new(p)
            .components()
            .all(|c| !matches!(c, Component::ParentDir | Component::CurDir))
}

/// fail2ban runs as root and appends to its log target: a file target must live inside one of
/// the configured log directories and must not be a symlink or anything but a regular file.
pub(super) fn check_log_target(target: &str, log_dirs: &[PathBuf]) -> Result<String, ApiError> {
    let upper = target.trim().to_ascii_uppercase();
    if SPECIAL_LOG_TARGETS.contains(&upper.as_str()) {
        return Ok(upper);
    }
    let path = Path::new(target);
    let bad = |why: &str| rejected("log_target", format!("log_target {target:?} {why}"));
    if !path.is_absolute() || !is_plain_path(target) {
        return Err(bad(&format!(
            "must be one of {} or an absolute file path without '..'",
            SPECIAL_LOG_TARGETS.join(", ")
        )));
    }
    let (Some(parent), Some(_)) = (path.parent(), path.file_name()) else {
        return Err(bad("is not a file path"));
    };
    let parent = parent
        .canonicalize()
        .map_err(|_| bad("is in a directory that does not exist"))?;
    let allowed = log_dirs
        .iter()
        .filter_map(|d| d.canonicalize().ok())
        .any(|d| parent.starts_with(d));
    if !allowed {
        let dirs: Vec<String> = log_dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(bad(&format!(
            "is outside the allowed log directories ({})",
            dirs.join(", ")
        )));
    }
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if !meta.file_type().is_file() {
            return Err(bad("exists and is not a regular file"));
        }
    }
    Ok(target.to_owned())
}

fn current_value(settings: &ServerSettings, key: ServerKey) -> Option<String> {
    match key {
        ServerKey::LogLevel => Some(settings.log_level.clone()),
        ServerKey::LogTarget => Some(settings.log_target.clone()),
        ServerKey::SyslogSocket => settings.syslog_socket.clone(),
        ServerKey::DbPurgeAge => Some(settings.db_purge_age.to_string()),
        ServerKey::DbMaxMatches => Some(settings.db_max_matches.to_string()),
        ServerKey::DbFile => settings.db_file.clone(),
    }
}

pub async fn put_settings(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let update: ServerSettingsUpdate = req.json()?;
    let changes = validate(&update, &state.config.server.log_dirs)?;
    let before = read_settings(state).await?;
    apply_changes(state, &changes, &before).await?;
    Ok(Reply::no_content())
}

/// Sends the changes in order; when fail2ban refuses one, puts back those already applied
/// from `before` (all or nothing) and answers 400 naming the field (502 when unreachable).
pub(super) async fn apply_changes(
    state: &AppState,
    changes: &[Change],
    before: &ServerSettings,
) -> Result<(), ApiError> {
    let mut applied: Vec<ServerKey> = Vec::new();
    for (key, field, value) in changes {
        match state
            .fail2ban()
            .call(Command::SetServer(*key, value.clone()))
            .await
        {
            Ok(_) => applied.push(*key),
            Err(e) => {
                // All or nothing: put back what this request already changed.
                for key in applied.iter().rev() {
                    if let Some(old) = current_value(before, *key) {
                        if let Err(undo) =
                            state.fail2ban().call(Command::SetServer(*key, old)).await
                        {
                            tracing::error!(key = key.as_str(), error = %undo, "could not restore server setting");
                        }
                    }
                }
                return Err(match e {
                    Fail2banError::Exception { message, .. } => {
                        rejected(field, format!("fail2ban rejected {field}: {message}"))
                    }
                    Fail2banError::InvalidArgument(message) => rejected(field, message),
                    other => other.into(),
                });
            }
        }
    }
    Ok(())
}

pub async fn flush_logs(state: &AppState) -> Result<Reply, ApiError> {
    match state.fail2ban().call(Command::FlushLogs).await {
        Ok(v) => Reply::ok(&FlushLogsResponse {
            message: reply::opt_string(v)?.unwrap_or_else(|| "flushed".into()),
        }),
        Err(Fail2banError::Exception { message, .. }) => Err(ApiError::invalid_input(format!(
            "fail2ban rejected flushlogs: {message}"
        ))),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let dirs = vec![std::env::temp_dir()];
        let bad_level = ServerSettingsUpdate {
            log_level: Some("LOUD".into()),
            ..Default::default()
        };
        let err = validate(&bad_level, &dirs).unwrap_err();
        assert_eq!(err.code, ErrorCode::ConfigValidationFailed);
        assert_eq!(err.metadata["field"], "log_level");

        let ok = ServerSettingsUpdate {
            log_level: Some("debug".into()),
            db_purge_age: Some(172_800),
            log_target: Some("stderr".into()),
            ..Default::default()
        };
        let changes = validate(&ok, &dirs).unwrap();
        assert_eq!(changes[0].2, "DEBUG");
        assert_eq!(changes[1].2, "STDERR");

        assert!(validate(&ServerSettingsUpdate::default(), &dirs).is_err());
    }

    #[test]
    fn log_target_must_stay_inside_allowed_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = vec![dir.path().to_path_buf()];
        let inside = dir.path().join("f2b.log");
        assert!(check_log_target(inside.to_str().unwrap(), &dirs).is_ok());
        assert!(check_log_target("/etc/shadow", &dirs).is_err());
        assert!(check_log_target("relative.log", &dirs).is_err());
        let sneaky = format!("{}/../x.log", dir.path().display());
        assert!(check_log_target(&sneaky, &dirs).is_err());
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink("/etc/passwd", &link).unwrap();
        assert!(check_log_target(link.to_str().unwrap(), &dirs).is_err());
    }
}
