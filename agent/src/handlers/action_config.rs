//! `/api/v1/config/actions*`: fail2ban actions, edited through `action.d/<name>.local` only
//! (`[Definition]` commands and `[Init]` parameters), validated with `fail2ban-client -d`.

use bangui_shared::models::config_files::{
    ActionCreateRequest, ActionListResponse, ActionUpdateRequest,
};
use bangui_shared::{ApiError, ErrorCode};

use super::filter_config::{delete_kind, extra, write_keys};
use super::jail_config::{
    blocking, config_dir, files_error, is_defined, running, stream_error, CONFIG_LOCK,
};
use crate::f2bconf::files::{check_name, Kind};
use crate::f2bconf::model;
use crate::f2bconf::stream::Reader;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

fn not_found(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::ActionNotFound,
        format!("Action '{name}' not found in action.d/"),
    )
    .with("action", name)
}

async fn detail_reply(state: &AppState, name: &str, status: u16) -> Result<Reply, ApiError> {
    let running = running(state).await?;
    let dir = config_dir(state);
    let n = name.to_owned();
    let detail = blocking(move || {
        model::action_detail(&mut Reader::new(&dir), &n, &running).map_err(stream_error)
    })
    .await?
    .ok_or_else(|| not_found(name))?;
    Reply::json(status, &detail)
}

pub async fn list(state: &AppState) -> Result<Reply, ApiError> {
    let running = running(state).await?;
    let dir = config_dir(state);
    let items = blocking(move || {
        model::action_list(&mut Reader::new(&dir), &running).map_err(stream_error)
    })
    .await?;
    Reply::ok(&ActionListResponse {
        total: items.len() as u64,
        items,
    })
}

pub async fn detail(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = req.param("name").to_owned();
    check_name(Kind::Action, &name).map_err(|_| not_found(&name))?;
    detail_reply(state, &name, 200).await
}

pub async fn update(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let name = req.param("name").to_owned();
    check_name(Kind::Action, &name).map_err(files_error)?;
    if !is_defined(state, Kind::Action, &name) {
        return Err(not_found(&name));
    }
    let body: ActionUpdateRequest = req.json()?;
    let _guard = CONFIG_LOCK.lock().await;
    write_keys(
        state,
        Kind::Action,
        &name,
        vec![
            ("Definition", extra(&body.commands)),
            ("Init", extra(&body.parameters)),
        ],
        format!("# Written by bangui-agent: overrides for action '{name}'.\n"),
    )
    .await?;
    detail_reply(state, &name, 200).await
}

pub async fn create(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: ActionCreateRequest = req.json()?;
    let name = body.name.clone();
    check_name(Kind::Action, &name).map_err(files_error)?;
    let _guard = CONFIG_LOCK.lock().await;
    if is_defined(state, Kind::Action, &name) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("action '{name}' already exists"),
        )
        .with("action", name.as_str()));
    }
    let commands = body
        .commands
        .iter()
        .map(|(k, v)| (k.to_lowercase(), Some(v.clone())))
        .collect();
    let params = body
        .parameters
        .iter()
        .map(|(k, v)| (k.to_lowercase(), Some(v.clone())))
        .collect();
    write_keys(
        state,
        Kind::Action,
        &name,
        vec![("Definition", commands), ("Init", params)],
        format!("# Written by bangui-agent: action '{name}'.\n[Definition]\n"),
    )
    .await?;
    detail_reply(state, &name, 201).await
}

pub async fn delete(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    delete_kind(state, req, Kind::Action).await
}
