//! `/api/v1/config/filters*`: fail2ban filters, edited through `filter.d/<name>.local` only.
//! Regexes are compiled before anything is written (422 when one does not compile) and the whole
//! configuration is validated with `fail2ban-client -d` after the write (undone if refused).

use std::collections::BTreeMap;

use bangui_shared::models::config_files::{
    FilterCreateRequest, FilterListResponse, FilterUpdateRequest,
};
use bangui_shared::{ApiError, ErrorCode};

use super::jail_config::{
    blocking, config_dir, config_files, edit_error, files_error, is_defined, running, stream_error,
    validate_config, CONFIG_LOCK,
};
use crate::f2bconf::editor::Editor;
use crate::f2bconf::files::{check_name, Kind};
use crate::f2bconf::stream::Reader;
use crate::f2bconf::{model, regex};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

/// Keys to set (`Some`) or remove (`None`).
pub(super) type KeyEdits = Vec<(String, Option<String>)>;

fn not_found(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::FilterNotFound,
        format!("Filter '{name}' not found in filter.d/"),
    )
    .with("filter", name)
}

fn regex_error(field: &str, e: regex::RegexError) -> ApiError {
    ApiError::invalid_body(e.to_string())
        .with("reason", "regex_compile_failed")
        .with("field", field)
        .with("regex", e.regex)
}

/// Checks every regex of a field (one per list entry).
fn check_regexes(field: &str, list: &[String]) -> Result<(), ApiError> {
    for re in list {
        if re.contains(['\n', '\r']) {
            return Err(ApiError::invalid_field(
                field,
                "one regex per list entry, without line breaks",
            ));
        }
        if re.len() > regex::MAX_REGEX_LEN {
            return Err(ApiError::invalid_field(
                field,
                format!("regex longer than {} characters", regex::MAX_REGEX_LEN),
            ));
        }
        regex::compile(re, false).map_err(|e| regex_error(field, e))?;
    }
    Ok(())
}

async fn detail_reply(state: &AppState, name: &str, status: u16) -> Result<Reply, ApiError> {
    let running = running(state).await?;
    let dir = config_dir(state);
    let n = name.to_owned();
    let detail = blocking(move || {
        model::filter_detail(&mut Reader::new(&dir), &n, &running).map_err(stream_error)
    })
    .await?
    .ok_or_else(|| not_found(name))?;
    Reply::json(status, &detail)
}

pub async fn list(state: &AppState) -> Result<Reply, ApiError> {
    let running = running(state).await?;
    let dir = config_dir(state);
    let items = blocking(move || {
        model::filter_list(&mut Reader::new(&dir), &running).map_err(stream_error)
    })
    .await?;
    Reply::ok(&FilterListResponse {
        total: items.len() as u64,
        items,
    })
}

pub async fn detail(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = req.param("name").to_owned();
    check_name(Kind::Filter, &name).map_err(|_| not_found(&name))?;
    detail_reply(state, &name, 200).await
}

/// Writes `[Definition]`/`[Init]` keys to the agent file, validates, undoes on refusal.
pub(super) async fn write_keys(
    state: &AppState,
    kind: Kind,
    name: &str,
    sections: Vec<(&'static str, KeyEdits)>,
    header: String,
) -> Result<(), ApiError> {
    let client = state.config.fail2ban.client.clone();
    let dir = config_dir(state);
    let files = config_files(state);
    let n = name.to_owned();
    blocking(move || {
        let old = files.read_local(kind, &n).map_err(files_error)?;
        let mut editor = Editor::new(old.as_deref().unwrap_or(&header)).map_err(edit_error)?;
        for (section, keys) in &sections {
            for (k, v) in keys {
                match v {
                    Some(v) => editor.set(section, k, v).map_err(edit_error)?,
                    None => {
                        editor.remove(section, k);
                    }
                }
            }
        }
        files
            .write_local(kind, &n, &editor.render())
            .map_err(files_error)?;
        if let Err(invalid) = validate_config(&client, &dir, None) {
            files
                .restore_exact(kind, &n, old.as_deref())
                .map_err(files_error)?;
            return Err(invalid.to_api(ErrorCode::ConfigValidationFailed));
        }
        Ok(())
    })
    .await
}

fn definition_keys(
    failregex: Option<&Vec<String>>,
    ignoreregex: Option<&Vec<String>>,
    prefregex: Option<&String>,
    datepattern: Option<&String>,
    maxlines: Option<u32>,
    journalmatch: Option<&String>,
) -> Result<Vec<(String, Option<String>)>, ApiError> {
    let mut keys = Vec::new();
    if let Some(f) = failregex {
        check_regexes("failregex", f)?;
        keys.push(("failregex".into(), Some(f.join("\n"))));
    }
    if let Some(i) = ignoreregex {
        check_regexes("ignoreregex", i)?;
        keys.push(("ignoreregex".into(), Some(i.join("\n"))));
    }
    if let Some(p) = prefregex {
        if !p.is_empty() {
            check_regexes("prefregex", std::slice::from_ref(p))?;
        }
        keys.push(("prefregex".into(), Some(p.clone())));
    }
    if let Some(d) = datepattern {
        keys.push(("datepattern".into(), Some(d.clone())));
    }
    if let Some(m) = maxlines {
        keys.push(("maxlines".into(), Some(m.to_string())));
    }
    if let Some(j) = journalmatch {
        keys.push(("journalmatch".into(), Some(j.clone())));
    }
    Ok(keys)
}

pub async fn update(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = req.param("name").to_owned();
    check_name(Kind::Filter, &name).map_err(files_error)?;
    if !is_defined(state, Kind::Filter, &name) {
        return Err(not_found(&name));
    }
    let body: FilterUpdateRequest = req.json()?;
    let mut def = definition_keys(
        body.failregex.as_ref(),
        body.ignoreregex.as_ref(),
        body.prefregex.as_ref(),
        body.datepattern.as_ref(),
        body.maxlines,
        body.journalmatch.as_ref(),
    )?;
    def.extend(extra(&body.definition));
    let init = extra(&body.init);
    let _guard = CONFIG_LOCK.lock().await;
    write_keys(
        state,
        Kind::Filter,
        &name,
        vec![("Definition", def), ("Init", init)],
        format!("# Written by bangui-agent: overrides for filter '{name}'.\n"),
    )
    .await?;
    detail_reply(state, &name, 200).await
}

pub(super) fn extra(map: &BTreeMap<String, Option<String>>) -> Vec<(String, Option<String>)> {
    map.iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect()
}

pub async fn create(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: FilterCreateRequest = req.json()?;
    let name = body.name.clone();
    check_name(Kind::Filter, &name).map_err(files_error)?;
    for re in body.failregex.iter().chain(&body.ignoreregex) {
        if re.len() > regex::MAX_REGEX_LEN {
            return Err(ApiError::invalid_field(
                "failregex",
                format!("regex longer than {} characters", regex::MAX_REGEX_LEN),
            ));
        }
    }
    if body.failregex.is_empty() {
        return Err(ApiError::invalid_body(
            "a filter needs at least one failregex",
        ));
    }
    let def = definition_keys(
        Some(&body.failregex),
        Some(&body.ignoreregex),
        body.prefregex.as_ref(),
        body.datepattern.as_ref(),
        body.maxlines,
        body.journalmatch.as_ref(),
    )?;
    let _guard = CONFIG_LOCK.lock().await;
    if is_defined(state, Kind::Filter, &name) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("filter '{name}' already exists"),
        )
        .with("filter", name.as_str()));
    }
    write_keys(
        state,
        Kind::Filter,
        &name,
        vec![("Definition", def)],
        format!("# Written by bangui-agent: filter '{name}'.\n"),
    )
    .await?;
    detail_reply(state, &name, 201).await
}

pub async fn delete(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    delete_kind(state, req, Kind::Filter).await
}

/// DELETE of a filter or action: only an agent-owned `.local` without a shipped `.conf`, and
/// not while an enabled jail uses it.
pub(super) async fn delete_kind(
    state: &AppState,
    req: &ApiRequest,
    kind: Kind,
) -> Result<Reply, ApiError> {
    let name = req.param("name").to_owned();
    check_name(kind, &name).map_err(files_error)?;
    let d = config_dir(state).join(kind.dir());
    let shipped = d.join(format!("{name}.conf")).is_file();
    let local = d.join(format!("{name}.local")).is_file();
    let nf = || match kind {
        Kind::Filter => not_found(&name),
        _ => ApiError::new(
            ErrorCode::ActionNotFound,
            format!("Action '{name}' not found in action.d/"),
        )
        .with("action", name.as_str()),
    };
    if !shipped && !local {
        return Err(nf());
    }
    if shipped {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("{} '{name}' is a shipped default ({}/{name}.conf); only its overrides can be edited", kind.noun(), kind.dir()),
        )
        .with(kind.noun(), name.as_str()));
    }
    let _guard = CONFIG_LOCK.lock().await;
    let dir = config_dir(state);
    let files = config_files(state);
    let n = name.clone();
    blocking(move || {
        let mut reader = Reader::new(&dir);
        let usage = model::usage(&mut reader).map_err(stream_error)?;
        let users = match kind {
            Kind::Filter => usage.filters.get(&n),
            _ => usage.actions.get(&n),
        }
        .cloned()
        .unwrap_or_default();
        let cfg = reader.jail_config().map_err(stream_error)?;
        let enabled: Vec<String> = users
            .into_iter()
            .filter(|j| {
                cfg.get(j, "enabled", &Default::default())
                    .map(|v| crate::f2bconf::options::as_bool(&v))
                    .unwrap_or(false)
            })
            .collect();
        if !enabled.is_empty() {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "{} '{n}' is used by enabled jails: {}",
                    kind.noun(),
                    enabled.join(", ")
                ),
            ));
        }
        files.delete_local(kind, &n).map_err(files_error)?;
        Ok(())
    })
    .await?;
    Ok(Reply::no_content())
}
