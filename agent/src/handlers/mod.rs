//! Route handlers: one module per router group. `dispatch` maps a matched route of the shared
//! table to its handler.

mod auth;
mod bans;
mod dashboard;
mod health;
mod jails;
mod server;
mod setup;

use bangui_shared::routes::Method::{Delete, Get, Post, Put};
use bangui_shared::{ApiError, ErrorCode};

use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

pub async fn dispatch(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    match (req.route.method, req.route.pattern) {
        (Post, "/api/v1/auth/login") => auth::login(state, req).await,
        (Get, "/api/v1/auth/session") => auth::session(req).await,
        (Post, "/api/v1/auth/logout") => auth::logout(state, req).await,

        (Get, "/api/v1/setup") => setup::status(state).await,
        (Post, "/api/v1/setup") => setup::create(state, req).await,
        (Get, "/api/v1/setup/timezone") => setup::timezone(state).await,

        (Get, "/api/v1/health") => health::get(state).await,
        (Get, "/api/v1/dashboard/status") => dashboard::status(state).await,

        (Get, "/api/v1/bans/active") => bans::active(state).await,
        (Post, "/api/v1/bans") => bans::ban(state, req).await,
        (Delete, "/api/v1/bans") => bans::unban(state, req).await,
        (Delete, "/api/v1/bans/all") => bans::unban_all(state).await,

        (Get, "/api/v1/jails") => jails::list(state, req).await,
        (Get, "/api/v1/jails/{name}") => jails::detail(state, req).await,
        (Post, "/api/v1/jails/reload-all") => jails::reload_all(state).await,
        (Post, "/api/v1/jails/{name}/start") => jails::start(state, req).await,
        (Post, "/api/v1/jails/{name}/stop") => jails::stop(state, req).await,
        (Post, "/api/v1/jails/{name}/idle") => jails::idle(state, req).await,
        (Post, "/api/v1/jails/{name}/reload") => jails::reload(state, req).await,
        (Get, "/api/v1/jails/{name}/ignoreip") => jails::ignore_list(state, req).await,
        (Post, "/api/v1/jails/{name}/ignoreip") => jails::add_ignore(state, req).await,
        (Delete, "/api/v1/jails/{name}/ignoreip") => jails::remove_ignore(state, req).await,
        (Post, "/api/v1/jails/{name}/ignoreself") => jails::ignore_self(state, req).await,
        (Get, "/api/v1/jails/{name}/banned") => jails::banned(state, req).await,

        (Get, "/api/v1/server/settings") => server::get_settings(state).await,
        (Put, "/api/v1/server/settings") => server::put_settings(state, req).await,
        (Post, "/api/v1/server/flush-logs") => server::flush_logs(state).await,

        (method, pattern) => Err(ApiError::new(
            ErrorCode::NotImplemented,
            format!(
                "{} {pattern} is part of the API but not served by this agent version",
                method.as_str()
            ),
        )),
    }
}
