//! `/api/v1/config/jails*`: jails as configured in fail2ban's files, edits to the agent's own
//! `jail.d/<name>.local`, and commits that validate the whole configuration before fail2ban
//! reloads the jail, restoring the last good files if fail2ban refuses.

use std::path::PathBuf;
use std::sync::LazyLock;

use bangui_shared::models::config_files::{
    ConfigFileListResponse, JailConfigDetailResponse, JailConfigListResponse, JailConfigUpdate,
};
use bangui_shared::validate::{ignore_list_value, JailName};
use bangui_shared::{ApiError, ErrorCode};

use crate::f2bconf::duration::parse_seconds;
use crate::f2bconf::editor::{EditError, Editor};
use crate::f2bconf::files::{check_name, ConfigFiles, FilesError, Kind, Version};
use crate::f2bconf::options::{extract_options, split_with_options, splitwords};
use crate::f2bconf::pyrepr::PyVal;
use crate::f2bconf::stream::{Reader, StreamError};
use crate::f2bconf::{model, regex, validate};
use crate::fail2ban::{Command, ReloadTarget};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

/// One config change at a time: edits, validation and reloads of the files are serialised.
pub(crate) static CONFIG_LOCK: LazyLock<tokio::sync::Mutex<()>> =
    LazyLock::new(|| tokio::sync::Mutex::new(()));

pub(super) fn config_files(state: &AppState) -> ConfigFiles {
    ConfigFiles::new(&state.config.fail2ban.config_dir, &state.config.state.dir)
}

pub(super) fn config_dir(state: &AppState) -> PathBuf {
    state.config.fail2ban.config_dir.clone()
}

/// Runs blocking file work off the async runtime.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("config task failed: {e}")))?
}

pub(super) fn stream_error(e: StreamError) -> ApiError {
    ApiError::new(
        ErrorCode::ConfigValidationFailed,
        format!("fail2ban's configuration cannot be read: {e}"),
    )
}

pub(super) fn files_error(e: FilesError) -> ApiError {
    match e {
        FilesError::BadName { .. } => ApiError::invalid_field("name", e.to_string()),
        FilesError::Outside { .. } | FilesError::NotRegular { .. } => {
            ApiError::invalid_input(e.to_string())
        }
        FilesError::Io { .. } => ApiError::internal(e.to_string()),
    }
}

pub(super) fn edit_error(e: EditError) -> ApiError {
    let err = ApiError::new(ErrorCode::ConfigValidationFailed, e.to_string());
    match &e {
        EditError::BadKey(k) | EditError::Unrepresentable { key: k, .. } => {
            err.with("key", k.as_str())
        }
        _ => err,
    }
}

/// Names of the running jails (502 when fail2ban cannot be reached).
pub(super) async fn running(state: &AppState) -> Result<Vec<String>, ApiError> {
    Ok(state
        .fail2ban()
        .jail_names()
        .await?
        .iter()
        .map(|j| j.to_string())
        .collect())
}

/// The `{name}` of the path as a jail that can exist (else 404).
/// True when `filter.d/` or `action.d/` holds `name.conf` or `name.local`.
pub(super) fn is_defined(state: &AppState, kind: Kind, name: &str) -> bool {
    let d = config_dir(state).join(kind.dir());
    d.join(format!("{name}.conf")).is_file() || d.join(format!("{name}.local")).is_file()
}

/// True when the configuration defines a `[name]` jail section.
pub(crate) async fn is_configured(state: &AppState, name: &str) -> Result<bool, ApiError> {
    let dir = config_dir(state);
    let name = name.to_owned();
    blocking(move || {
        Ok(Reader::new(&dir)
            .jail_names()
            .map_err(stream_error)?
            .contains(&name))
    })
    .await
}

fn path_jail(req: &ApiRequest) -> Result<String, ApiError> {
    let raw = req.param("name");
    check_name(Kind::Jail, raw).map_err(|_| ApiError::jail_not_found(raw))?;
    Ok(raw.to_owned())
}

async fn detail_reply(state: &AppState, name: &str, status: u16) -> Result<Reply, ApiError> {
    let running = running(state).await?;
    let dir = config_dir(state);
    let files = config_files(state);
    let n = name.to_owned();
    let detail = blocking(move || {
        let mut reader = Reader::new(&dir);
        model::jail_detail(&mut reader, &files, &n, &running).map_err(stream_error)
    })
    .await?
    .ok_or_else(|| ApiError::jail_not_found(name))?;
    Reply::json(status, &JailConfigDetailResponse { jail: detail })
}

pub async fn list(state: &AppState) -> Result<Reply, ApiError> {
    let running = running(state).await?;
    let dir = config_dir(state);
    let files = config_files(state);
    let items = blocking(move || {
        let mut reader = Reader::new(&dir);
        model::jail_list(&mut reader, &files, &running).map_err(stream_error)
    })
    .await?;
    Reply::ok(&JailConfigListResponse {
        total: items.len() as u64,
        items,
    })
}

pub async fn detail(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = path_jail(req)?;
    detail_reply(state, &name, 200).await
}

pub async fn files(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = path_jail(req)?;
    let dir = config_dir(state);
    let cf = config_files(state);
    let n = name.clone();
    let (entries, prev, good) = blocking(move || {
        let mut reader = Reader::new(&dir);
        let entries = model::jail_files(&mut reader, &cf, &n).map_err(stream_error)?;
        let prev = cf
            .version(Kind::Jail, &n, Version::Previous)
            .map_err(files_error)?;
        let good = cf
            .version(Kind::Jail, &n, Version::Good)
            .map_err(files_error)?;
        Ok((entries, prev.is_some(), good.is_some()))
    })
    .await?;
    let files = entries.ok_or_else(|| ApiError::jail_not_found(&name))?;
    Reply::ok(&ConfigFileListResponse {
        agent_file: format!("jail.d/{name}.local"),
        jail: name,
        files,
        has_previous_version: prev,
        has_committed_version: good,
    })
}

/// The keys an update sets (`None` removes the key from the agent's file).
fn update_keys(
    dir: &std::path::Path,
    u: &JailConfigUpdate,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let bad = |key: &str, why: String| {
        ApiError::new(ErrorCode::ConfigValidationFailed, why).with("key", key)
    };
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    if let Some(e) = u.enabled {
        keys.push(("enabled".into(), Some(e.to_string())));
    }
    if let Some(f) = &u.filter {
        let (name, _) =
            extract_options(f).map_err(|e| bad("filter", format!("filter {f:?}: {e}")))?;
        let name = name.trim();
        check_name(Kind::Filter, name).map_err(|e| bad("filter", e.to_string()))?;
        let d = dir.join("filter.d");
        if !d.join(format!("{name}.conf")).is_file() && !d.join(format!("{name}.local")).is_file() {
            return Err(bad(
                "filter",
                format!("filter '{name}' does not exist in filter.d/"),
            ));
        }
        keys.push(("filter".into(), Some(f.trim().to_owned())));
    }
    if let Some(actions) = &u.actions {
        for a in actions {
            let (name, _) = extract_options(a.trim())
                .map_err(|e| bad("action", format!("action {a:?}: {e}")))?;
            let name = name.trim();
            let d = dir.join("action.d");
            let known = if let Some(stem) = name.strip_suffix(".py") {
                check_name(Kind::Action, stem).is_ok() && d.join(name).is_file()
            } else {
                check_name(Kind::Action, name).is_ok()
                    && (d.join(format!("{name}.conf")).is_file()
                        || d.join(format!("{name}.local")).is_file())
            };
            if !known {
                return Err(bad(
                    "action",
                    format!("action '{name}' does not exist in action.d/"),
                ));
            }
            if split_with_options(a).len() > 1 {
                return Err(bad("action", format!("one action per entry, got {a:?}")));
            }
        }
        keys.push((
            "action".into(),
            Some(
                actions
                    .iter()
                    .map(|a| a.trim())
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ));
    }
    if let Some(paths) = &u.log_paths {
        for p in paths {
            if !p.starts_with('/') || p.contains(['\n', '\r']) || p.trim() != p {
                return Err(bad(
                    "logpath",
                    format!("log path {p:?} must be an absolute path on one line"),
                ));
            }
        }
        keys.push(("logpath".into(), Some(paths.join("\n"))));
    }
    if let Some(b) = &u.backend {
        let ok = matches!(
            b.as_str(),
            "auto" | "polling" | "pyinotify" | "gamin" | "systemd"
        ) || b.starts_with("systemd[");
        if !ok {
            return Err(bad("backend", format!("unknown backend {b:?}")));
        }
        keys.push(("backend".into(), Some(b.clone())));
    }
    if let Some(m) = u.max_retry {
        keys.push(("maxretry".into(), Some(m.to_string())));
    }
    for (key, v) in [("findtime", &u.find_time), ("bantime", &u.ban_time)] {
        if let Some(v) = v {
            check_time(key, v)?;
            keys.push((key.into(), Some(v.clone())));
        }
    }
    if let Some(ips) = &u.ignore_ip {
        let value = ignore_list_value(ips).map_err(|e| bad("ignoreip", e.detail))?;
        keys.push(("ignoreip".into(), Some(value)));
    }
    for (key, v) in [("port", &u.port), ("protocol", &u.protocol)] {
        if let Some(v) = v {
            keys.push((key.into(), Some(v.clone())));
        }
    }
    if let Some(b) = &u.bantime_increment {
        if let Some(i) = b.increment {
            keys.push(("bantime.increment".into(), Some(i.to_string())));
        }
        if let Some(o) = b.overall_jails {
            keys.push(("bantime.overalljails".into(), Some(o.to_string())));
        }
        for (key, v) in [
            ("bantime.factor", &b.factor),
            ("bantime.formula", &b.formula),
            ("bantime.multipliers", &b.multipliers),
            ("bantime.maxtime", &b.max_time),
            ("bantime.rndtime", &b.rnd_time),
        ] {
            if let Some(v) = v {
                if TIME_KEYS.contains(&key) {
                    check_time(key, v)?;
                }
                keys.push((key.into(), Some(v.clone())));
            }
        }
    }
    for (k, v) in &u.settings {
        let k = k.to_lowercase();
        // `%(known/ignoreip)s 10.0.0.0/8` and the like are resolved by the config reader.
        if let Some(v) = v.as_ref().filter(|v| !v.contains("%(")) {
            match k.as_str() {
                "maxretry" | "maxmatches" | "maxlines" if v.trim().parse::<u32>().is_err() => {
                    return Err(bad(
                        &k,
                        format!("{k} must be a non-negative integer, got {v:?}"),
                    ));
                }
                // The same keys as the named fields get the same checks.
                key if TIME_KEYS.contains(&key) => check_time(key, v)?,
                "ignoreip" => {
                    ignore_list_value(&splitwords(v)).map_err(|e| bad("ignoreip", e.detail))?;
                }
                _ => {}
            }
        }
        keys.push((k, v.clone()));
    }
    Ok(keys)
}

/// Jail keys whose values fail2ban reads with `MyTime.str2seconds`.
const TIME_KEYS: [&str; 4] = ["findtime", "bantime", "bantime.maxtime", "bantime.rndtime"];

/// A fail2ban time value (`600`, `-1`, `10m`, `1h 30m`, `1d12h`), as fail2ban reads it.
fn check_time(key: &str, v: &str) -> Result<(), ApiError> {
    parse_seconds(v).map(drop).map_err(|e| {
        ApiError::new(ErrorCode::ConfigValidationFailed, format!("{key} {e}")).with("key", key)
    })
}

/// What validation found wrong with the configuration on disk.
pub(super) struct Invalid {
    pub message: String,
    pub key: Option<String>,
}

impl Invalid {
    pub(super) fn to_api(&self, code: ErrorCode) -> ApiError {
        let e =
            ApiError::new(code, self.message.clone()).with("reason", "config_validation_failed");
        match &self.key {
            Some(k) => e.with("key", k.as_str()),
            None => e,
        }
    }
}

/// Validates the whole configuration with `fail2ban-client -d` and the agent's reader; for
/// `jail`, also that its log files exist and its regexes compile (blocking).
pub(super) fn validate_config(
    client: &std::path::Path,
    dir: &std::path::Path,
    jail: Option<&str>,
) -> Result<(), Invalid> {
    let dump = validate::dump(client, dir).map_err(|e| Invalid {
        message: e.to_string(),
        key: None,
    })?;
    if !dump.success || dump.stream.is_empty() {
        let errors = dump.errors();
        return Err(Invalid {
            message: format!(
                "fail2ban-client refused the configuration: {}",
                if errors.is_empty() {
                    dump.messages.join("; ")
                } else {
                    errors.join("; ")
                }
            ),
            key: None,
        });
    }
    if let Some(e) = dump.config_errors().into_iter().next() {
        return Err(Invalid {
            message: e,
            key: None,
        });
    }
    let Some(jail) = jail else {
        return Ok(());
    };
    let mut reader = Reader::new(dir);
    let read = reader.read_jail(jail, false).map_err(|e| Invalid {
        message: e.to_string(),
        key: None,
    })?;
    if !read.enabled {
        return Ok(());
    }
    if read.missing_logs {
        return Err(Invalid {
            message: format!("no log file of jail '{jail}' exists (logpath matches nothing)"),
            key: Some("logpath".into()),
        });
    }
    let use_dns = !read.stream.iter().any(|c| {
        matches!(c, PyVal::List(v) if v.get(2).and_then(PyVal::as_str) == Some("usedns")
            && v.get(3).and_then(PyVal::as_str) == Some("no"))
    });
    for cmd in &read.stream {
        let PyVal::List(v) = cmd else { continue };
        let what = v.get(2).and_then(PyVal::as_str).unwrap_or_default();
        if what != "addfailregex" && what != "addignoreregex" {
            continue;
        }
        let regexes: Vec<&str> = match v.get(3) {
            Some(PyVal::List(items)) => items.iter().filter_map(PyVal::as_str).collect(),
            Some(PyVal::Str(s)) => vec![s.as_str()],
            _ => Vec::new(),
        };
        for re in regexes {
            regex::compile(re, use_dns).map_err(|e| Invalid {
                message: e.to_string(),
                key: Some(what.trim_start_matches("add").to_owned()),
            })?;
        }
    }
    Ok(())
}

/// Applies the jail's files to fail2ban: validate, then reload (or start/stop); on refusal
/// restore the last good files and reload again. Call with [`CONFIG_LOCK`] held.
pub(crate) async fn apply(state: &AppState, name: &str) -> Result<(), ApiError> {
    let before = running(state).await?;
    let was_running = before.iter().any(|j| j == name);
    let client = state.config.fail2ban.client.clone();
    let dir = config_dir(state);
    let files = config_files(state);
    let n = name.to_owned();
    let (checked, enabled, current) = {
        let (client, dir, files) = (client.clone(), dir.clone(), files.clone());
        blocking(move || {
            let checked = validate_config(&client, &dir, Some(&n));
            let mut reader = Reader::new(&dir);
            let enabled = reader
                .read_jail(&n, false)
                .map(|j| j.enabled && j.config_error.is_none())
                .unwrap_or(false);
            let current = files.read_local(Kind::Jail, &n).map_err(files_error)?;
            Ok((checked, enabled, current))
        })
        .await?
    };
    let outcome = match checked {
        Err(invalid) => Err(invalid.message.clone()).map_err(|m| (m, invalid.key)),
        Ok(()) => reload(state, name, enabled, was_running, &before)
            .await
            .map_err(|m| (m, None)),
    };
    match outcome {
        Ok(()) => {
            let n = name.to_owned();
            blocking(move || {
                files
                    .store_version(Kind::Jail, &n, Version::Good, current.as_deref())
                    .map_err(files_error)
            })
            .await?;
            Ok(())
        }
        Err((message, key)) => {
            // Put back the last version fail2ban accepted (or the one before the edit).
            let n = name.to_owned();
            let f2 = files.clone();
            let restored = blocking(move || {
                let good = f2
                    .version(Kind::Jail, &n, Version::Good)
                    .map_err(files_error)?;
                let target = match good {
                    Some(g) => Some(g),
                    None => f2
                        .version(Kind::Jail, &n, Version::Previous)
                        .map_err(files_error)?,
                };
                if let Some(t) = &target {
                    f2.restore_exact(Kind::Jail, &n, t.as_deref())
                        .map_err(files_error)?;
                }
                Ok(target.is_some())
            })
            .await?;
            let mut recovered = false;
            if restored {
                let n = name.to_owned();
                let d2 = dir.clone();
                let enabled_again = blocking(move || {
                    let mut reader = Reader::new(&d2);
                    Ok(reader
                        .read_jail(&n, false)
                        .map(|j| j.enabled)
                        .unwrap_or(false))
                })
                .await?;
                // The failed reload may have stopped the jail: start it rather than reload it.
                let running_now = running(state).await?.iter().any(|j| j == name);
                recovered = reload(state, name, enabled_again, running_now, &before)
                    .await
                    .is_ok();
            }
            let running_now = running(state).await.unwrap_or_default();
            let mut err = ApiError::operation_failed(format!(
                "commit of jail '{name}' failed, previous configuration restored: {message}"
            ))
            .with("reason", "config_validation_failed")
            .with("jail", name)
            .with("rolled_back", restored)
            .with("recovered", recovered)
            .with("jails_running", running_now.len() as u64);
            if let Some(k) = key {
                err = err.with("key", k);
            }
            Err(err)
        }
    }
}

/// Brings fail2ban in line with the files for one jail and checks that nothing was lost.
async fn reload(
    state: &AppState,
    name: &str,
    enabled: bool,
    was_running: bool,
    before: &[String],
) -> Result<(), String> {
    let jail: JailName = name.parse().map_err(|e: ApiError| e.detail)?;
    let result = match (enabled, was_running) {
        (true, true) => state.reloader().reload(&ReloadTarget::Jail(jail)).await,
        (true, false) => {
            state
                .reloader()
                .reload(&ReloadTarget::StartJail(jail))
                .await
        }
        (false, true) => state
            .fail2ban()
            .call(Command::StopJail(jail))
            .await
            .map(|_| ()),
        (false, false) => Ok(()),
    };
    state.forget_idle(Some(name));
    if let Err(e) = result {
        return Err(format!("fail2ban refused: {e}"));
    }
    let now = running(state).await.map_err(|e| e.detail)?;
    if enabled && !now.iter().any(|j| j == name) {
        return Err(format!("jail '{name}' did not come back after the reload"));
    }
    let lost: Vec<&String> = before
        .iter()
        .filter(|j| *j != name && !now.contains(j))
        .collect();
    if !lost.is_empty() {
        return Err(format!("jails stopped by the reload: {lost:?}"));
    }
    Ok(())
}

/// Writes `keys` into the agent file of `name`, validates the whole configuration and undoes
/// the write when fail2ban would refuse it. Returns whether `enabled` changed.
pub(crate) async fn write_jail(
    state: &AppState,
    name: &str,
    keys: Vec<(String, Option<String>)>,
    create: bool,
) -> Result<(), ApiError> {
    let client = state.config.fail2ban.client.clone();
    let dir = config_dir(state);
    let files = config_files(state);
    let n = name.to_owned();
    blocking(move || {
        let old = files.read_local(Kind::Jail, &n).map_err(files_error)?;
        let mut editor = Editor::new(old.as_deref().unwrap_or("")).map_err(edit_error)?;
        if old.is_none() {
            editor = Editor::new(&format!(
                "# Written by bangui-agent: overrides for jail '{n}'.\n[{n}]\n"
            ))
            .map_err(edit_error)?;
        }
        for (k, v) in &keys {
            match v {
                Some(v) => editor.set(&n, k, v).map_err(edit_error)?,
                None => {
                    editor.remove(&n, k);
                }
            }
        }
        let text = editor.render();
        files
            .write_local(Kind::Jail, &n, &text)
            .map_err(files_error)?;
        if let Err(invalid) = validate_config(&client, &dir, if create { None } else { Some(&n) }) {
            files
                .restore_exact(Kind::Jail, &n, old.as_deref())
                .map_err(files_error)?;
            if let Some(prev) = files
                .version(Kind::Jail, &n, Version::Previous)
                .ok()
                .flatten()
            {
                let _ = prev; // the previous version stays what it was before this write
            }
            return Err(invalid.to_api(ErrorCode::ConfigValidationFailed));
        }
        Ok(())
    })
    .await
}

pub async fn update(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = path_jail(req)?;
    let body: JailConfigUpdate = req.json()?;
    let _guard = CONFIG_LOCK.lock().await;
    let exists = is_configured(state, &name).await?;
    if !exists {
        return Err(ApiError::jail_not_found(&name));
    }
    let keys = update_keys(&config_dir(state), &body)?;
    if keys.is_empty() {
        return detail_reply(state, &name, 200).await;
    }
    write_jail(state, &name, keys, false).await?;
    if body.enabled.is_some() {
        apply(state, &name).await?;
    }
    detail_reply(state, &name, 200).await
}

pub async fn commit(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = path_jail(req)?;
    let _guard = CONFIG_LOCK.lock().await;
    let exists = is_configured(state, &name).await?;
    if !exists {
        return Err(ApiError::jail_not_found(&name));
    }
    apply(state, &name).await?;
    detail_reply(state, &name, 200).await
}

pub async fn rollback(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = path_jail(req)?;
    let _guard = CONFIG_LOCK.lock().await;
    let files = config_files(state);
    if !is_configured(state, &name).await? {
        return Err(ApiError::jail_not_found(&name));
    }
    let n = name.clone();
    blocking(move || {
        let prev = files
            .version(Kind::Jail, &n, Version::Previous)
            .map_err(files_error)?
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::ConfigFileNotFound,
                    format!("no previous version of jail.d/{n}.local to roll back to"),
                )
                .with("jail", n.as_str())
            })?;
        let current = files.read_local(Kind::Jail, &n).map_err(files_error)?;
        files
            .restore_exact(Kind::Jail, &n, prev.as_deref())
            .map_err(files_error)?;
        files
            .store_version(Kind::Jail, &n, Version::Previous, current.as_deref())
            .map_err(files_error)
    })
    .await?;
    let still = is_configured(state, &name).await?;
    if still {
        apply(state, &name).await?;
        detail_reply(state, &name, 200).await
    } else {
        if let Ok(j) = name.parse::<JailName>() {
            if running(state).await?.contains(&name) {
                state.fail2ban().call(Command::StopJail(j)).await?;
            }
        }
        Err(ApiError::jail_not_found(&name)
            .with("reason", "the restored version does not define this jail"))
    }
}

pub async fn delete(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = path_jail(req)?;
    let _guard = CONFIG_LOCK.lock().await;
    let dir = config_dir(state);
    let files = config_files(state);
    let n = name.clone();
    let defined = blocking(move || {
        let mut reader = Reader::new(&dir);
        if !reader.jail_names().map_err(stream_error)?.contains(&n) {
            return Ok(None);
        }
        let cfg = reader.jail_config().map_err(stream_error)?;
        let d = reader_dir_files(cfg, &n);
        Ok(Some(d))
    })
    .await?
    .ok_or_else(|| ApiError::jail_not_found(&name))?;
    let agent_file = files.local_path(Kind::Jail, &name).map_err(files_error)?;
    if defined.iter().any(|f| *f != agent_file) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("jail '{name}' is defined in files the agent does not own (a shipped default or a local file); only jails created through the API can be deleted"),
        )
        .with("jail", name.as_str()));
    }
    if let Ok(j) = name.parse::<JailName>() {
        match state.fail2ban().jail_names().await {
            Ok(list) if list.contains(&j) => {
                state.fail2ban().call(Command::StopJail(j)).await?;
            }
            _ => {}
        }
    }
    let n = name.clone();
    blocking(move || files.delete_local(Kind::Jail, &n).map_err(files_error)).await?;
    Ok(Reply::no_content())
}

fn reader_dir_files(cfg: &crate::f2bconf::merged::Merged, name: &str) -> Vec<PathBuf> {
    cfg.section_files
        .get(name)
        .map(|idx| {
            idx.iter()
                .filter_map(|i| cfg.files.get(*i))
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn create(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let mut body: serde_json::Value = req.json()?;
    let name = match body.as_object_mut().and_then(|o| o.remove("name")) {
        Some(serde_json::Value::String(s)) => s,
        _ => {
            return Err(ApiError::invalid_body(
                "request body needs a string field 'name'",
            ))
        }
    };
    check_name(Kind::Jail, &name).map_err(files_error)?;
    let update: JailConfigUpdate = serde_json::from_value(body).map_err(|e| {
        ApiError::invalid_body(format!("request body does not match the schema: {e}"))
    })?;
    let _guard = CONFIG_LOCK.lock().await;
    if update.enabled == Some(true) {
        running(state).await?;
    }
    let exists = is_configured(state, &name).await?;
    if exists {
        return Err(
            ApiError::new(ErrorCode::Conflict, format!("jail '{name}' already exists"))
                .with("jail", name.as_str()),
        );
    }
    let mut keys = update_keys(&config_dir(state), &update)?;
    if !keys.iter().any(|(k, _)| k == "enabled") {
        keys.insert(0, ("enabled".into(), Some("false".into())));
    }
    write_jail(state, &name, keys, true).await?;
    if update.enabled == Some(true) {
        if let Err(e) = apply(state, &name).await {
            let files = config_files(state);
            let n = name.clone();
            let _ = blocking(move || {
                files
                    .restore_exact(Kind::Jail, &n, None)
                    .map_err(files_error)
            })
            .await;
            return Err(e);
        }
    }
    detail_reply(state, &name, 201).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(json: &str) -> Result<Vec<(String, Option<String>)>, ApiError> {
        let update: JailConfigUpdate = serde_json::from_str(json).unwrap();
        update_keys(&std::env::temp_dir(), &update)
    }

    fn refused(json: &str, key: &str) -> ApiError {
        let err = keys_of(json).unwrap_err();
        assert_eq!(err.code, ErrorCode::ConfigValidationFailed, "{json}");
        assert_eq!(err.metadata["key"], key, "{json}: {}", err.detail);
        err
    }

    #[test]
    fn times_are_read_as_fail2ban_reads_them() {
        let keys = keys_of(
            r#"{"ban_time":"1d12h","find_time":"10 m",
                "bantime_increment":{"max_time":"1year-6mo","rnd_time":".5m"},
                "settings":{"bantime":"-1","findtime":"%(known/findtime)s"}}"#,
        )
        .unwrap();
        let value = |k: &str| keys.iter().find(|(key, _)| key == k).unwrap().1.clone();
        assert_eq!(value("findtime").as_deref(), Some("10 m"));
        assert_eq!(value("bantime.maxtime").as_deref(), Some("1year-6mo"));
        // The message names the key and says why.
        let err = refused(r#"{"ban_time":"10parsecs"}"#, "bantime");
        assert_eq!(
            err.detail,
            "bantime \"10parsecs\" is not a fail2ban time (e.g. 600, 10m, 1h 30m, 1d, -1): \
             unknown unit (use s, m, h, d, w, mo or y, or their long forms)"
        );
        refused(r#"{"find_time":"1 2 3"}"#, "findtime");
        refused(r#"{"find_time":"1.5.2h"}"#, "findtime");
        refused(
            r#"{"bantime_increment":{"max_time":"007"}}"#,
            "bantime.maxtime",
        );
        refused(
            r#"{"bantime_increment":{"rnd_time":"1x"}}"#,
            "bantime.rndtime",
        );
        refused(r#"{"settings":{"BanTime":"soon"}}"#, "bantime");
        refused(r#"{"settings":{"findtime":"1e9"}}"#, "findtime");
    }

    #[test]
    fn ignore_lists_are_checked_entry_by_entry() {
        let keys = keys_of(r#"{"ignore_ip":["127.0.0.1/8","::1","gw.example.net"]}"#).unwrap();
        assert_eq!(
            keys,
            [(
                "ignoreip".to_owned(),
                Some("127.0.0.1/8 ::1 gw.example.net".to_owned())
            )]
        );
        assert_eq!(
            keys_of(r#"{"ignore_ip":[]}"#).unwrap(),
            [("ignoreip".to_owned(), Some(String::new()))]
        );
        let err = refused(r#"{"ignore_ip":["300.1.1.1"]}"#, "ignoreip");
        assert!(
            err.detail.contains("'300.1.1.1' is not an IP address"),
            "{}",
            err.detail
        );
        refused(r#"{"ignore_ip":["under_score.example"]}"#, "ignoreip");
        refused(r#"{"ignore_ip":["192.0.2.1 192.0.2.2"]}"#, "ignoreip");
        refused(r#"{"ignore_ip":[""]}"#, "ignoreip");
        // The raw setting is a list as fail2ban splits it.
        assert!(keys_of(r#"{"settings":{"ignoreip":"127.0.0.1/8 ::1,\n 10.0.0.0/8"}}"#).is_ok());
        assert!(keys_of(r#"{"settings":{"ignoreip":"%(known/ignoreip)s 10.0.0.0/8"}}"#).is_ok());
        refused(r#"{"settings":{"ignoreip":"::1 999.1.1.1"}}"#, "ignoreip");
    }
}
