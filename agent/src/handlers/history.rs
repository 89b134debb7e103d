//! `/api/v1/history*`: archived bans, one address's timeline. The query parsing here is shared
//! with the dashboard, so both compute their window with the same function.

use bangui_shared::models::history::{parse_ip_prefix, IpDetailResponse, OriginFilter, Source};
use bangui_shared::pagination::{Page, PageRequest};
use bangui_shared::timerange::{TimeRange, Window, SLACK_SECONDS};
use bangui_shared::validate::{parse_ip, JailName};
use bangui_shared::ApiError;
use chrono::DateTime;
use chrono_tz::Tz;

use crate::auth::now_secs;
use crate::history::query::{self, Filter};
use crate::history::task;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

/// Events of one address returned at most; the totals count them all.
const TIMELINE_LIMIT: u32 = 1000;

/// The filters of a list or aggregate request, and the range they used.
pub(super) struct Query {
    pub filter: Filter,
    pub range: Option<TimeRange>,
}

/// Parses `range`, `jail`, `origin`, `ip` and `source` (400 naming the field when one is
/// bad). Without `range` the window is `default_range`, or all time. `source=fail2ban` syncs
/// first (502 when fail2ban's database cannot be read) and keeps to what fail2ban still holds;
/// otherwise the request only asks the background task for a sync and never waits.
pub(super) async fn parse_query(
    state: &AppState,
    req: &ApiRequest,
    default_range: Option<TimeRange>,
    source: Option<Source>,
) -> Result<Query, ApiError> {
    let now = now_secs();
    let range = TimeRange::parse_query(req.query("range"))?.or(default_range);
    let jail = match req.query("jail").filter(|j| !j.is_empty()) {
        Some(j) => Some(j.parse::<JailName>()?.to_string()),
        None => None,
    };
    let origin = match req.query("origin") {
        Some(o) => o.parse()?,
        None => OriginFilter::All,
    };
    let ip_prefix = match req.query("ip").filter(|p| !p.is_empty()) {
        Some(p) => Some(parse_ip_prefix(p)?),
        None => None,
    };
    let source = match source {
        Some(s) => s,
        None => req
            .query("source")
            .map(str::parse)
            .transpose()?
            .unwrap_or_default(),
    };
    let mut window = range.map_or(Window::ALL_TIME, |r| r.window(now));
    match source {
        Source::Archive => state.history.kick(now),
        Source::Fail2ban => {
            task::sync_once(state).await.map_err(|e| {
                ApiError::fail2ban_unreachable(format!("cannot read fail2ban's database: {e}"))
            })?;
            if let Some(age) = state.history.status().purge_age_secs.filter(|a| *a > 0) {
                window.since = window.since.max(now - age - SLACK_SECONDS);
            }
        }
    }
    Ok(Query {
        filter: Filter {
            window,
            jail,
            origin,
            ip_prefix,
        },
        range,
    })
}

/// The time zone trend buckets align to: setup's, else UTC.
pub(super) fn timezone(state: &AppState) -> Tz {
    state
        .auth
        .setup_record()
        .and_then(|r| r.timezone.parse().ok())
        .unwrap_or(Tz::UTC)
}

/// One page of bans for `query`.
pub(super) async fn ban_page(
    state: &AppState,
    req: &ApiRequest,
    query: Query,
) -> Result<Reply, ApiError> {
    let page = PageRequest::parse(req.query("page"), req.query("page_size"))?;
    let filter = query.filter;
    let (items, total) = state
        .history
        .read(move |c| query::page(c, &filter, page))
        .await?;
    Reply::ok(&Page {
        items,
        pagination: page.pagination(total),
    })
}

pub async fn list(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let query = parse_query(state, req, None, None).await?;
    ban_page(state, req, query).await
}

/// The archive itself: every archived ban, whatever fail2ban still holds.
pub async fn archive(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let query = parse_query(state, req, None, Some(Source::Archive)).await?;
    ban_page(state, req, query).await
}

pub async fn ip(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let ip = parse_ip(req.param("ip"))?.to_canonical().to_string();
    state.history.kick(now_secs());
    let key = ip.clone();
    let found = state
        .history
        .read(move |c| {
            let Some((id, geo)) = query::address(c, &key)? else {
                return Ok(None);
            };
            let totals = query::address_totals(c, id)?;
            let (events, jails) = query::timeline(c, id, TIMELINE_LIMIT)?;
            Ok(Some((geo, totals, events, jails)))
        })
        .await?;
    let Some((geo, totals, events, jails)) = found.filter(|(_, t, _, _)| t.bans > 0) else {
        return Err(ApiError::not_found(format!("no ban history for {ip}")).with("ip", ip));
    };
    let at = |t| DateTime::from_timestamp(t, 0).unwrap_or_default();
    Reply::ok(&IpDetailResponse {
        ip,
        total_bans: totals.bans,
        total_failures: totals.failures,
        first_seen: at(totals.first),
        last_seen: at(totals.last),
        jails,
        geo,
        events,
    })
}
