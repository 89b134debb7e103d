//! `/api/v1/dashboard/*`: fail2ban's live counters (`status`), and lists and aggregates of
//! archived bans over a range (default 24h), filtered as the history is.

use std::collections::BTreeMap;

use bangui_shared::models::dashboard::{
    BanTrendResponse, BansByCountryResponse, BansByJailResponse, TrendBucket,
};
use bangui_shared::models::health::{ServerStatus, ServerStatusResponse};
use bangui_shared::timerange::{self, TimeRange};
use bangui_shared::ApiError;

use super::history::{ban_page, parse_query, timezone, Query};
use crate::history::query;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

/// The dashboard's range when the request names none.
const DEFAULT_RANGE: TimeRange = TimeRange::Last24Hours;

pub async fn status(state: &AppState) -> Result<Reply, ApiError> {
    let client = state.fail2ban();
    let version = client.version().await?;
    let jails = client.jail_names().await?;
    let statuses = client.jail_statuses(&jails).await?;
    let mut status = ServerStatus {
        online: true,
        version: Some(version),
        active_jails: statuses.len() as u64,
        jails: statuses.iter().map(|(j, _)| j.to_string()).collect(),
        currently_banned: 0,
        total_banned: 0,
        currently_failed: 0,
        total_failed: 0,
    };
    for (_, s) in &statuses {
        status.currently_banned += s.currently_banned;
        status.total_banned += s.total_banned;
        status.currently_failed += s.currently_failed;
        status.total_failed += s.total_failed;
    }
    Reply::ok(&ServerStatusResponse { status })
}

async fn ranged(state: &AppState, req: &ApiRequest) -> Result<(Query, TimeRange), ApiError> {
    let q = parse_query(state, req, Some(DEFAULT_RANGE), None).await?;
    let range = q.range.unwrap_or(DEFAULT_RANGE);
    Ok((q, range))
}

pub async fn bans(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (q, _) = ranged(state, req).await?;
    ban_page(state, req, q).await
}

pub async fn by_country(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (q, range) = ranged(state, req).await?;
    let filter = q.filter;
    let items = state
        .history
        .read(move |c| query::by_country(c, &filter))
        .await?;
    let mut countries = BTreeMap::new();
    let mut country_names = BTreeMap::new();
    let mut unknown = 0;
    for item in &items {
        match &item.country_code {
            Some(code) => {
                countries.insert(code.clone(), item.count);
                if let Some(name) = &item.country_name {
                    country_names.insert(code.clone(), name.clone());
                }
            }
            None => unknown += item.count,
        }
    }
    Reply::ok(&BansByCountryResponse {
        range,
        total: items.iter().map(|i| i.count).sum(),
        countries,
        country_names,
        items,
        unknown,
    })
}

pub async fn trend(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (q, range) = ranged(state, req).await?;
    let tz = timezone(state);
    let buckets = timerange::buckets(q.filter.window, range.bucket(), tz);
    let filter = q.filter;
    let bounds = buckets.clone();
    let counts = state
        .history
        .read(move |c| query::trend(c, &filter, &bounds))
        .await?;
    let buckets: Vec<TrendBucket> = buckets
        .iter()
        .zip(counts)
        .map(|(b, count)| TrendBucket {
            timestamp: b.start_utc(),
            local_start: b.start_local(tz),
            end: chrono::DateTime::from_timestamp(b.end, 0).unwrap_or_default(),
            count,
        })
        .collect();
    Reply::ok(&BanTrendResponse {
        range,
        bucket_size: range.bucket(),
        timezone: tz.name().to_owned(),
        total: buckets.iter().map(|b| b.count).sum(),
        buckets,
    })
}

pub async fn by_jail(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let (q, range) = ranged(state, req).await?;
    let filter = q.filter;
    let jails = state
        .history
        .read(move |c| query::by_jail(c, &filter))
        .await?;
    Reply::ok(&BansByJailResponse {
        range,
        total: jails.iter().map(|j| j.count).sum(),
        jails,
    })
}
