//! `/api/v1/config/global` and `/api/v1/config/reload`: fail2ban's global settings in its files
//! (`fail2ban.local` `[Definition]`, `jail.local` `[DEFAULT]`) and on the running server, and a
//! validated reload of every jail.
//!
//! A PUT writes both files atomically, checks that the whole configuration still loads, then
//! applies the server settings over the socket; if any step fails, the files are put back and
//! the settings already applied are restored, so nothing is left half-applied.

use std::path::{Path, PathBuf};

use bangui_shared::models::config_global::{
    GlobalConfig, GlobalConfigResponse, GlobalConfigUpdate, TimeValue, JAIL_DEFAULT_FIELDS,
    RELOAD_REQUIRED_HEADER,
};
use bangui_shared::models::server::LogLevel;
use bangui_shared::validate::ignore_list_value;
use bangui_shared::{ApiError, ErrorCode};

use super::jail_config::{blocking, edit_error, is_defined, validate_config, CONFIG_LOCK};
use super::jails::reload_all_jails;
use super::server::{apply_changes, check_log_target, read_settings, Change};
use crate::f2bconf::duration::parse_seconds;
use crate::f2bconf::editor::Editor;
use crate::f2bconf::files::{atomic_write, check_name, Kind};
use crate::f2bconf::merged::{Merged, Vars};
use crate::f2bconf::options::{extract_options, splitwords};
use crate::f2bconf::tree::Tree;
use crate::fail2ban::ServerKey;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

const MAX_PURGE_AGE_SECS: i64 = 10 * 365 * 86_400;
const MAX_DB_MATCHES: i64 = 10_000;
const MAX_RETRY: i64 = 10_000;

/// A top-level `.local` file the update edits, and its section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// `fail2ban.local` `[Definition]`.
    Server,
    /// `jail.local` `[DEFAULT]`.
    JailDefaults,
}

impl Target {
    fn file(self) -> &'static str {
        match self {
            Self::Server => "fail2ban.local",
            Self::JailDefaults => "jail.local",
        }
    }

    fn section(self) -> &'static str {
        match self {
            Self::Server => "Definition",
            Self::JailDefaults => "DEFAULT",
        }
    }
}

/// What a validated update changes.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    /// (file, key, value) written to the files.
    edits: Vec<(Target, &'static str, String)>,
    /// Settings applied to the running server.
    runtime: Vec<Change>,
    /// Changed fields that take effect at the next reload.
    at_reload: Vec<&'static str>,
}

fn rejected(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::ConfigValidationFailed, detail).with("field", field)
}

fn time(field: &'static str, v: &TimeValue, min: i64, max: i64) -> Result<(String, i64), ApiError> {
    let text = v.to_text();
    let secs = parse_seconds(&text).map_err(|e| rejected(field, format!("{field}: {e}")))?;
    if !(min..=max).contains(&secs) {
        return Err(rejected(
            field,
            format!("{field} must be between {min} and {max} seconds, got {text:?} ({secs} s)"),
        ));
    }
    Ok((text, secs))
}

/// Checks every field and decides where it goes. `action_exists` says whether `action.d/`
/// defines a name.
fn plan(
    u: &GlobalConfigUpdate,
    log_dirs: &[PathBuf],
    action_exists: impl Fn(&str) -> bool,
) -> Result<Plan, ApiError> {
    let mut p = Plan::default();
    if let Some(level) = &u.log_level {
        let level = level.trim();
        let value = if !level.is_empty() && level.chars().all(|c| c.is_ascii_digit()) {
            level.to_owned()
        } else {
            LogLevel::parse(level)
                .ok_or_else(|| {
                    let names: Vec<&str> = LogLevel::ALL.iter().map(|l| l.as_str()).collect();
                    rejected(
                        "log_level",
                        format!("log_level must be one of {} or a number", names.join(", ")),
                    )
                })?
                .as_str()
                .to_owned()
        };
        p.edits.push((Target::Server, "loglevel", value.clone()));
        p.runtime.push((ServerKey::LogLevel, "log_level", value));
    }
    if let Some(target) = &u.log_target {
        let value = check_log_target(target, log_dirs)?;
        p.edits.push((Target::Server, "logtarget", value.clone()));
        p.runtime.push((ServerKey::LogTarget, "log_target", value));
    }
    if let Some(age) = &u.db_purge_age {
        let (text, secs) = time("db_purge_age", age, 60, MAX_PURGE_AGE_SECS)?;
        p.edits.push((Target::Server, "dbpurgeage", text));
        p.runtime
            .push((ServerKey::DbPurgeAge, "db_purge_age", secs.to_string()));
    }
    if let Some(max) = u.db_max_matches {
        if !(0..=MAX_DB_MATCHES).contains(&max) {
            return Err(rejected(
                "db_max_matches",
                format!("db_max_matches must be between 0 and {MAX_DB_MATCHES}"),
            ));
        }
        p.edits
            .push((Target::Server, "dbmaxmatches", max.to_string()));
        p.runtime
            .push((ServerKey::DbMaxMatches, "db_max_matches", max.to_string()));
    }
    if let Some(t) = &u.ban_time {
        // Negative ban times mean "forever".
        let (text, _) = time("ban_time", t, -1, MAX_PURGE_AGE_SECS)?;
        p.edits.push((Target::JailDefaults, "bantime", text));
        p.at_reload.push("ban_time");
    }
    if let Some(t) = &u.find_time {
        let (text, _) = time("find_time", t, 1, MAX_PURGE_AGE_SECS)?;
        p.edits.push((Target::JailDefaults, "findtime", text));
        p.at_reload.push("find_time");
    }
    if let Some(m) = u.max_retry {
        if !(1..=MAX_RETRY).contains(&m) {
            return Err(rejected(
                "max_retry",
                format!("max_retry must be between 1 and {MAX_RETRY}"),
            ));
        }
        p.edits
            .push((Target::JailDefaults, "maxretry", m.to_string()));
        p.at_reload.push("max_retry");
    }
    if let Some(action) = &u.ban_action {
        let action = action.trim();
        let (name, _) = extract_options(action)
            .map_err(|e| rejected("ban_action", format!("ban_action {action:?}: {e}")))?;
        let name = name.trim();
        check_name(Kind::Action, name).map_err(|e| rejected("ban_action", e.to_string()))?;
        if !action_exists(name) {
            return Err(rejected(
                "ban_action",
                format!("action '{name}' does not exist in action.d/"),
            ));
        }
        p.edits
            .push((Target::JailDefaults, "banaction", action.to_owned()));
        p.at_reload.push("ban_action");
    }
    if let Some(entries) = &u.ignore_ip {
        let value = ignore_list_value(entries).map_err(|e| rejected("ignore_ip", e.detail))?;
        p.edits.push((Target::JailDefaults, "ignoreip", value));
        p.at_reload.push("ignore_ip");
    }
    if p.edits.is_empty() {
        return Err(ApiError::invalid_input(format!(
            "no settings given: send at least one of log_level, log_target, db_purge_age, \
             db_max_matches, {}",
            JAIL_DEFAULT_FIELDS.join(", ")
        )));
    }
    Ok(p)
}

// === reading ===

fn read_files(dir: &Path) -> Result<GlobalConfig, ApiError> {
    let tree = Tree::new(dir);
    let read = |name: &str| {
        tree.read(name).map_err(|e| {
            ApiError::new(
                ErrorCode::ConfigValidationFailed,
                format!("fail2ban's configuration cannot be read: {e}"),
            )
        })
    };
    let server = read("fail2ban")?;
    let jail = read("jail")?;
    let get = |cfg: &Option<std::rc::Rc<Merged>>, section: &str, key: &str| {
        cfg.as_ref()
            .and_then(|c| c.get(section, key, &Vars::new()).ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let server_get = |key: &str| get(&server, Target::Server.section(), key);
    let jail_get = |key: &str| get(&jail, Target::JailDefaults.section(), key);
    let int = |v: Option<String>| v.and_then(|v| v.parse::<i64>().ok());
    Ok(GlobalConfig {
        log_level: server_get("loglevel"),
        log_target: server_get("logtarget"),
        db_file: server_get("dbfile"),
        db_purge_age: server_get("dbpurgeage"),
        db_max_matches: int(server_get("dbmaxmatches")),
        ban_time: jail_get("bantime"),
        find_time: jail_get("findtime"),
        max_retry: int(jail_get("maxretry")),
        ban_action: jail_get("banaction"),
        ignore_ip: jail_get("ignoreip")
            .map(|v| splitwords(&v))
            .unwrap_or_default(),
    })
}

pub async fn get(state: &AppState) -> Result<Reply, ApiError> {
    let runtime = read_settings(state).await?;
    let dir = state.config.fail2ban.config_dir.clone();
    let config = blocking(move || read_files(&dir)).await?;
    Reply::ok(&GlobalConfigResponse {
        config,
        runtime,
        applies_at_reload: JAIL_DEFAULT_FIELDS.iter().map(|f| f.to_string()).collect(),
    })
}

// === writing ===

/// A file as it was before this update wrote it (`None`: it did not exist).
struct Written {
    path: PathBuf,
    before: Option<String>,
}

fn io_error(action: &str, path: &Path, e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("cannot {action} {}: {e}", path.display()))
}

/// The file of `target`, refused when it is a symlink or not a regular file.
fn target_path(dir: &Path, target: Target) -> Result<PathBuf, ApiError> {
    let root = dir
        .canonicalize()
        .map_err(|e| io_error("resolve", dir, e))?;
    let path = root.join(target.file());
    if let Ok(meta) = std::fs::symlink_metadata(&path) {
        if !meta.file_type().is_file() {
            return Err(ApiError::invalid_input(format!(
                "{} is a symbolic link or not a regular file; the agent does not write through it",
                path.display()
            )));
        }
    }
    Ok(path)
}

/// Writes the edits, one atomic write per file, keeping a copy of each replaced file in the
/// state dir. On a failure the files already written are put back.
fn write_edits(
    dir: &Path,
    backups: &Path,
    edits: &[(Target, &'static str, String)],
) -> Result<Vec<Written>, ApiError> {
    let mut written: Vec<Written> = Vec::new();
    for target in [Target::Server, Target::JailDefaults] {
        let mine: Vec<_> = edits.iter().filter(|(t, _, _)| *t == target).collect();
        if mine.is_empty() {
            continue;
        }
        let result = (|| {
            let path = target_path(dir, target)?;
            let before = match std::fs::read_to_string(&path) {
                Ok(t) => Some(t),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(io_error("read", &path, e)),
            };
            let mut editor = Editor::new(before.as_deref().unwrap_or("")).map_err(edit_error)?;
            for (_, key, value) in &mine {
                editor
                    .set(target.section(), key, value)
                    .map_err(edit_error)?;
            }
            if let Some(old) = &before {
                std::fs::create_dir_all(backups).map_err(|e| io_error("create", backups, e))?;
                let backup = backups.join(format!("{}.prev", target.file()));
                atomic_write(&backup, old).map_err(|e| ApiError::internal(e.to_string()))?;
            }
            atomic_write(&path, &editor.render()).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok(Written { path, before })
        })();
        match result {
            Ok(w) => written.push(w),
            Err(e) => {
                restore(&written);
                return Err(e);
            }
        }
    }
    Ok(written)
}

/// Puts the files back as they were (deleting those that did not exist).
fn restore(written: &[Written]) {
    for w in written.iter().rev() {
        let result = match &w.before {
            Some(text) => atomic_write(&w.path, text).map_err(|e| e.to_string()),
            None => std::fs::remove_file(&w.path).map_err(|e| e.to_string()),
        };
        if let Err(e) = result {
            tracing::error!(path = %w.path.display(), error = %e, "could not restore a config file");
        }
    }
}

pub async fn put(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let update: GlobalConfigUpdate = req.json()?;
    let plan = plan(&update, &state.config.server.log_dirs, |name| {
        is_defined(state, Kind::Action, name)
    })?;
    let _config = CONFIG_LOCK.lock().await;
    // Read the running values first: an unreachable fail2ban changes nothing.
    let before = read_settings(state).await?;

    let dir = state.config.fail2ban.config_dir.clone();
    let client = state.config.fail2ban.client.clone();
    let backups = state
        .config
        .state
        .dir
        .join("config-versions")
        .join("global");
    let edits = plan.edits.clone();
    let written = blocking(move || {
        let written = write_edits(&dir, &backups, &edits)?;
        if let Err(invalid) = validate_config(&client, &dir, None) {
            restore(&written);
            return Err(invalid
                .to_api(ErrorCode::ConfigValidationFailed)
                .with("rolled_back", true));
        }
        Ok(written)
    })
    .await?;

    if let Err(e) = apply_changes(state, &plan.runtime, &before).await {
        blocking(move || {
            restore(&written);
            Ok(())
        })
        .await?;
        return Err(e.with("rolled_back", true));
    }
    let reply = Reply::no_content();
    Ok(if plan.at_reload.is_empty() {
        reply
    } else {
        reply.header(
            warp::http::HeaderName::from_static(RELOAD_REQUIRED_HEADER),
            &plan.at_reload.join(", "),
        )
    })
}

/// `POST /config/reload`: every jail, after `fail2ban-client -t` passed (else 409, nothing
/// changed).
pub async fn reload(state: &AppState) -> Result<Reply, ApiError> {
    reload_all_jails(state).await?;
    Ok(Reply::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(json: &str) -> GlobalConfigUpdate {
        serde_json::from_str(json).unwrap()
    }

    fn plan_of(json: &str) -> Result<Plan, ApiError> {
        plan(&update(json), &[std::env::temp_dir()], |n| n == "dummy")
    }

    #[test]
    fn fields_go_to_their_file_and_the_server() {
        let p = plan_of(
            r#"{"log_level":"debug","db_purge_age":"2d","ban_time":"1h 30m","max_retry":4,
                "ignore_ip":["127.0.0.1/8","::1","host.example"],"ban_action":"dummy[x=1]"}"#,
        )
        .unwrap();
        assert_eq!(
            p.edits,
            vec![
                (Target::Server, "loglevel", "DEBUG".to_owned()),
                (Target::Server, "dbpurgeage", "2d".to_owned()),
                (Target::JailDefaults, "bantime", "1h 30m".to_owned()),
                (Target::JailDefaults, "maxretry", "4".to_owned()),
                (Target::JailDefaults, "banaction", "dummy[x=1]".to_owned()),
                (
                    Target::JailDefaults,
                    "ignoreip",
                    "127.0.0.1/8 ::1 host.example".to_owned()
                ),
            ]
        );
        assert_eq!(
            p.runtime,
            vec![
                (ServerKey::LogLevel, "log_level", "DEBUG".to_owned()),
                (ServerKey::DbPurgeAge, "db_purge_age", "172800".to_owned()),
            ]
        );
        assert_eq!(
            p.at_reload,
            ["ban_time", "max_retry", "ban_action", "ignore_ip"]
        );
        // Numbers work for times and levels.
        let p = plan_of(r#"{"find_time":600,"log_level":"10"}"#).unwrap();
        assert_eq!(p.edits[0].2, "10");
        assert_eq!(p.edits[1], (Target::JailDefaults, "findtime", "600".into()));
    }

    #[test]
    fn bad_values_name_their_field() {
        for (json, field) in [
            (r#"{"log_level":"LOUD"}"#, "log_level"),
            (r#"{"log_target":"/etc/shadow"}"#, "log_target"),
            (r#"{"log_target":"relative.log"}"#, "log_target"),
            (r#"{"db_purge_age":"soon"}"#, "db_purge_age"),
            (r#"{"db_purge_age":"10"}"#, "db_purge_age"),
            (r#"{"db_max_matches":-1}"#, "db_max_matches"),
            (r#"{"ban_time":"10 parsecs"}"#, "ban_time"),
            (r#"{"find_time":"-1"}"#, "find_time"),
            (r#"{"max_retry":0}"#, "max_retry"),
            (r#"{"ban_action":"nosuch"}"#, "ban_action"),
            (r#"{"ban_action":"../x"}"#, "ban_action"),
            (r#"{"ignore_ip":["300.1.1.1"]}"#, "ignore_ip"),
            (r#"{"ignore_ip":["bad host"]}"#, "ignore_ip"),
            (r#"{"ignore_ip":["-x.example"]}"#, "ignore_ip"),
            (r#"{"ignore_ip":["192.0.2.1 192.0.2.2"]}"#, "ignore_ip"),
            (r#"{"ban_time":"-1h 30m"}"#, "ban_time"),
            (r#"{"find_time":"1 2 3"}"#, "find_time"),
        ] {
            let err = plan_of(json).unwrap_err();
            assert_eq!(err.code, ErrorCode::ConfigValidationFailed, "{json}");
            assert_eq!(err.metadata["field"], field, "{json}: {}", err.detail);
        }
        assert_eq!(plan_of("{}").unwrap_err().code, ErrorCode::InvalidInput);
    }

    #[test]
    fn edits_keep_other_lines_and_restore_puts_files_back() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("state");
        let jail = dir.path().join("jail.local");
        let original = "# mine\n[DEFAULT]\nbantime = 10m\n\n[sshd]\nenabled = true\n";
        std::fs::write(&jail, original).unwrap();
        let edits = vec![
            (Target::JailDefaults, "bantime", "1h".to_owned()),
            (Target::Server, "loglevel", "DEBUG".to_owned()),
        ];
        let written = write_edits(dir.path(), &backups, &edits).unwrap();
        let text = std::fs::read_to_string(&jail).unwrap();
        assert!(
            text.starts_with("# mine\n[DEFAULT]\nbantime = 1h\n"),
            "{text}"
        );
        assert!(text.contains("[sshd]\nenabled = true"), "{text}");
        let server = std::fs::read_to_string(dir.path().join("fail2ban.local")).unwrap();
        assert!(server.contains("[Definition]") && server.contains("loglevel = DEBUG"));
        assert_eq!(
            std::fs::read_to_string(backups.join("jail.local.prev")).unwrap(),
            original
        );

        restore(&written);
        assert_eq!(std::fs::read_to_string(&jail).unwrap(), original);
        assert!(!dir.path().join("fail2ban.local").exists());
    }

    #[test]
    fn files_give_the_effective_values() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("jail.conf"),
            "[DEFAULT]\nbantime = 10m\nmaxretry = 5\nbanaction = iptables\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("jail.local"),
            "[DEFAULT]\nmaxretry = 3\nignoreip = 127.0.0.1/8, ::1\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("fail2ban.d")).unwrap();
        std::fs::write(
            dir.path().join("fail2ban.conf"),
            "[Definition]\nloglevel = INFO\ndbmaxmatches = 10\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("fail2ban.d/x.local"),
            "[Definition]\nloglevel = DEBUG\n",
        )
        .unwrap();
        let c = read_files(dir.path()).unwrap();
        assert_eq!(c.log_level.as_deref(), Some("DEBUG"));
        assert_eq!(c.db_max_matches, Some(10));
        assert_eq!(c.ban_time.as_deref(), Some("10m"));
        assert_eq!(c.max_retry, Some(3));
        assert_eq!(c.ignore_ip, ["127.0.0.1/8", "::1"]);
        assert_eq!(c.log_target, None);
    }
}
