//! `/api/v1/geo/*`: one address looked up, the archive's resolution counts, and re-resolving
//! every archived address.

use bangui_shared::models::geo::{GeoCacheStatsResponse, IpLookupResponse};
use bangui_shared::validate::parse_ip;
use bangui_shared::ApiError;
use chrono::DateTime;

use crate::history::{query, resolve};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

pub async fn lookup(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let addr = parse_ip(req.param("ip"))?.to_canonical();
    let ip = addr.to_string();
    let geo = state.history.geo.current().lookup(addr);

    let client = state.fail2ban();
    let names = client.jail_names().await?;
    let mut jails: Vec<String> = client
        .ban_lists(&names)
        .await?
        .into_iter()
        .filter(|(_, entries)| {
            entries
                .iter()
                .any(|e| e.ip.parse().map(|a: std::net::IpAddr| a.to_canonical()) == Ok(addr))
        })
        .map(|(jail, _)| jail.to_string())
        .collect();
    jails.sort();

    let key = ip.clone();
    let totals = state
        .history
        .read(move |c| match query::address(c, &key)? {
            Some((id, _)) => query::address_totals(c, id).map(Some),
            None => Ok(None),
        })
        .await?;
    Reply::ok(&IpLookupResponse {
        ip,
        geo,
        currently_banned: !jails.is_empty(),
        jails,
        ban_count: totals.map_or(0, |t| t.bans),
        last_banned_at: totals
            .filter(|t| t.bans > 0)
            .and_then(|t| DateTime::from_timestamp(t.last, 0)),
    })
}

pub async fn stats(state: &AppState) -> Result<Reply, ApiError> {
    let loaded = state.history.geo.current();
    let (resolved, total) = state.history.read(query::geo_counts).await?;
    Reply::ok(&GeoCacheStatsResponse {
        database: loaded.info.clone(),
        error: loaded.error.clone(),
        resolved,
        unresolved: total - resolved,
        total,
    })
}

pub async fn re_resolve(state: &AppState) -> Result<Reply, ApiError> {
    let geo = state.history.geo.clone();
    let done = state
        .history
        .write(move |c| {
            geo.refresh();
            resolve::all(c, &geo.current())
        })
        .await?;
    Reply::ok(&done)
}
