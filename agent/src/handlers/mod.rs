//! Route handlers: one module per router group. `dispatch` maps a matched route of the shared
//! table to its handler.

mod action_config;
mod auth;
mod bans;
mod blocklists;
mod dashboard;
mod fail2ban_log;
mod filter_config;
mod geo;
mod global_config;
mod health;
mod history;
// Also used by the blocklist importer to create its jail.
pub(crate) mod jail_config;
mod jails;
mod map_thresholds;
mod preview_log;
mod regex_test;
mod server;
mod service;
mod setup;

use std::future::Future;
use std::pin::Pin;

use bangui_shared::routes::Method::{Delete, Get, Post, Put};
use bangui_shared::{ApiError, ErrorCode};

use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

/// The handler future of a route, boxed: each handler's future lives on the heap, so neither
/// this match nor the worker's stack holds all of them at once (debug builds would overflow).
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Reply, ApiError>> + Send + 'a>>;

pub fn dispatch<'a>(state: &'a AppState, req: &'a ApiRequest) -> HandlerFuture<'a> {
    match (req.route.method, req.route.pattern) {
        (Post, "/api/v1/auth/login") => Box::pin(auth::login(state, req)),
        (Get, "/api/v1/auth/session") => Box::pin(auth::session(req)),
        (Post, "/api/v1/auth/logout") => Box::pin(auth::logout(state, req)),

        (Get, "/api/v1/setup") => Box::pin(setup::status(state)),
        (Post, "/api/v1/setup") => Box::pin(setup::create(state, req)),
        (Get, "/api/v1/setup/timezone") => Box::pin(setup::timezone(state)),

        (Get, "/api/v1/health") => Box::pin(health::get(state, req)),
        (Get, "/api/v1/dashboard/status") => Box::pin(dashboard::status(state)),
        (Get, "/api/v1/dashboard/bans") => Box::pin(dashboard::bans(state, req)),
        (Get, "/api/v1/dashboard/bans/by-country") => Box::pin(dashboard::by_country(state, req)),
        (Get, "/api/v1/dashboard/bans/trend") => Box::pin(dashboard::trend(state, req)),
        (Get, "/api/v1/dashboard/bans/by-jail") => Box::pin(dashboard::by_jail(state, req)),

        (Get, "/api/v1/history") => Box::pin(history::list(state, req)),
        (Get, "/api/v1/history/archive") => Box::pin(history::archive(state, req)),
        (Get, "/api/v1/history/{ip}") => Box::pin(history::ip(state, req)),

        (Get, "/api/v1/geo/lookup/{ip}") => Box::pin(geo::lookup(state, req)),
        (Get, "/api/v1/geo/stats") => Box::pin(geo::stats(state)),
        (Post, "/api/v1/geo/re-resolve") => Box::pin(geo::re_resolve(state)),

        (Get, "/api/v1/bans/active") => Box::pin(bans::active(state)),
        (Post, "/api/v1/bans") => Box::pin(bans::ban(state, req)),
        (Delete, "/api/v1/bans") => Box::pin(bans::unban(state, req)),
        (Delete, "/api/v1/bans/all") => Box::pin(bans::unban_all(state)),

        (Get, "/api/v1/jails") => Box::pin(jails::list(state, req)),
        (Get, "/api/v1/jails/{name}") => Box::pin(jails::detail(state, req)),
        (Post, "/api/v1/jails/reload-all") => Box::pin(jails::reload_all(state)),
        (Post, "/api/v1/jails/{name}/start") => Box::pin(jails::start(state, req)),
        (Post, "/api/v1/jails/{name}/stop") => Box::pin(jails::stop(state, req)),
        (Post, "/api/v1/jails/{name}/idle") => Box::pin(jails::idle(state, req)),
        (Post, "/api/v1/jails/{name}/reload") => Box::pin(jails::reload(state, req)),
        (Get, "/api/v1/jails/{name}/ignoreip") => Box::pin(jails::ignore_list(state, req)),
        (Post, "/api/v1/jails/{name}/ignoreip") => Box::pin(jails::add_ignore(state, req)),
        (Delete, "/api/v1/jails/{name}/ignoreip") => Box::pin(jails::remove_ignore(state, req)),
        (Post, "/api/v1/jails/{name}/ignoreself") => Box::pin(jails::ignore_self(state, req)),
        (Get, "/api/v1/jails/{name}/banned") => Box::pin(jails::banned(state, req)),

        (Get, "/api/v1/config/global") => Box::pin(global_config::get(state)),
        (Put, "/api/v1/config/global") => Box::pin(global_config::put(state, req)),
        (Post, "/api/v1/config/reload") => Box::pin(global_config::reload(state)),
        (Post, "/api/v1/config/restart") => Box::pin(service::restart(state)),
        (Get, "/api/v1/config/service-status") => Box::pin(service::status(state)),
        (Get, "/api/v1/config/fail2ban-log") => Box::pin(fail2ban_log::get(state, req)),
        (Post, "/api/v1/config/regex-test") => Box::pin(regex_test::test(req)),
        (Post, "/api/v1/config/preview-log") => Box::pin(preview_log::preview(state, req)),
        (Get, "/api/v1/config/map-color-thresholds") => Box::pin(map_thresholds::get(state)),
        (Put, "/api/v1/config/map-color-thresholds") => Box::pin(map_thresholds::put(state, req)),
        (Get, "/api/v1/config/jails") => Box::pin(jail_config::list(state)),
        (Get, "/api/v1/config/jails/{name}") => Box::pin(jail_config::detail(state, req)),
        (Put, "/api/v1/config/jails/{name}") => Box::pin(jail_config::update(state, req)),
        (Post, "/api/v1/config/jails/{name}/commit") => Box::pin(jail_config::commit(state, req)),
        (Get, "/api/v1/config/jails/{name}/rollback") => {
            Box::pin(jail_config::rollback(state, req))
        }
        (Delete, "/api/v1/config/jails/{name}") => Box::pin(jail_config::delete(state, req)),
        (Post, "/api/v1/config/jails") => Box::pin(jail_config::create(state, req)),
        (Get, "/api/v1/config/jails/{name}/files") => Box::pin(jail_config::files(state, req)),
        (Get, "/api/v1/config/filters") => Box::pin(filter_config::list(state)),
        (Get, "/api/v1/config/filters/{name}") => Box::pin(filter_config::detail(state, req)),
        (Put, "/api/v1/config/filters/{name}") => Box::pin(filter_config::update(state, req)),
        (Post, "/api/v1/config/filters") => Box::pin(filter_config::create(state, req)),
        (Delete, "/api/v1/config/filters/{name}") => Box::pin(filter_config::delete(state, req)),
        (Get, "/api/v1/config/actions") => Box::pin(action_config::list(state)),
        (Get, "/api/v1/config/actions/{name}") => Box::pin(action_config::detail(state, req)),
        (Put, "/api/v1/config/actions/{name}") => Box::pin(action_config::update(state, req)),
        (Post, "/api/v1/config/actions") => Box::pin(action_config::create(state, req)),
        (Delete, "/api/v1/config/actions/{name}") => Box::pin(action_config::delete(state, req)),

        (Get, "/api/v1/server/settings") => Box::pin(server::get_settings(state)),
        (Put, "/api/v1/server/settings") => Box::pin(server::put_settings(state, req)),
        (Post, "/api/v1/server/flush-logs") => Box::pin(server::flush_logs(state)),

        (Get, "/api/v1/blocklists") => Box::pin(blocklists::list(state)),
        (Post, "/api/v1/blocklists") => Box::pin(blocklists::create(state, req)),
        (Post, "/api/v1/blocklists/import") => Box::pin(blocklists::run_import(state, req)),
        (Get, "/api/v1/blocklists/schedule") => Box::pin(blocklists::get_schedule(state)),
        (Put, "/api/v1/blocklists/schedule") => Box::pin(blocklists::put_schedule(state, req)),
        (Get, "/api/v1/blocklists/log") => Box::pin(blocklists::log(state, req)),
        (Get, "/api/v1/blocklists/{source_id}") => Box::pin(blocklists::get(state, req)),
        (Put, "/api/v1/blocklists/{source_id}") => Box::pin(blocklists::update(state, req)),
        (Delete, "/api/v1/blocklists/{source_id}") => Box::pin(blocklists::delete(state, req)),
        (Get, "/api/v1/blocklists/{source_id}/preview") => {
            Box::pin(blocklists::preview(state, req))
        }

        (method, pattern) => Box::pin(std::future::ready(Err(ApiError::new(
            ErrorCode::NotImplemented,
            format!(
                "{} {pattern} is part of the API but not served by this agent version",
                method.as_str()
            ),
        )))),
    }
}
