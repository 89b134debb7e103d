//! `/api/v1/blocklists*`: blocklist sources, imports now, the import schedule, the import log
//! and previews.

use bangui_shared::models::blocklists::{
    BlocklistListResponse, BlocklistSource, BlocklistSourceCreate, BlocklistSourceUpdate,
    ImportRequest, PreviewResponse, ScheduleUpdate,
};
use bangui_shared::pagination::{Page, PageRequest};
use bangui_shared::{ApiError, ErrorCode};
use chrono::Utc;

use crate::blocklists::import::{self, check_source_url, source_not_found};
use crate::blocklists::{scheduler, sources};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;
use crate::store::blocklists::{self as db, Saved};

/// Preview entries shown when `?limit=` is absent, and the most it may ask for.
const PREVIEW_DEFAULT: usize = 50;
const PREVIEW_MAX: usize = 500;

/// The `{source_id}` of the path; an id that cannot exist is a 404.
fn source_id(req: &ApiRequest) -> Result<i64, ApiError> {
    let raw = req.param("source_id");
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| source_not_found(raw))
}

/// Source `id` from the store, or 404.
async fn stored_source(state: &AppState, id: i64) -> Result<BlocklistSource, ApiError> {
    state
        .auth
        .store()
        .run(move |c| db::get_source(c, id))
        .await?
        .ok_or_else(|| source_not_found(id))
}

fn saved_reply(saved: Saved, id: impl std::fmt::Display, status: u16) -> Result<Reply, ApiError> {
    match saved {
        Saved::Ok(source) => Reply::json(status, &source),
        Saved::Duplicate(field) => Err(ApiError::new(
            ErrorCode::Conflict,
            format!("another blocklist source has the same {field}"),
        )
        .with("field", field)),
        Saved::NotFound => Err(source_not_found(id)),
    }
}

pub async fn list(state: &AppState) -> Result<Reply, ApiError> {
    let items = state.auth.store().run(|c| db::list_sources(c)).await?;
    Reply::ok(&BlocklistListResponse {
        total: items.len() as u64,
        items,
    })
}

pub async fn create(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: BlocklistSourceCreate = req.json()?;
    let url = check_source_url(state, &body.url).await?;
    let fields = sources::from_create(&body, url, state.config.blocklists.default_max_entries)?;
    let now = Utc::now().timestamp();
    let saved = state
        .auth
        .store()
        .run(move |c| db::insert_source(c, &fields, now))
        .await?;
    saved_reply(saved, "new", 201)
}

pub async fn get(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let id = source_id(req)?;
    let source = stored_source(state, id).await?;
    Reply::ok(&source)
}

pub async fn update(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let id = source_id(req)?;
    // 404 before the body is judged.
    stored_source(state, id).await?;
    let store = state.auth.store().clone();
    let body: BlocklistSourceUpdate = req.json()?;
    sources::check_update(&body)?;
    let url = match &body.url {
        Some(u) => Some(check_source_url(state, u).await?),
        None => None,
    };
    let now = Utc::now().timestamp();
    let saved = store
        .run(move |c| db::update_source(c, id, now, |cur| sources::apply_update(cur, &body, url)))
        .await?;
    saved_reply(saved, id, 200)
}

pub async fn delete(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let id = source_id(req)?;
    // Not while it is being imported: the import would write entries of a deleted source.
    let _claim = state.blocklists.try_start(id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::Conflict,
            format!("blocklist source {id} is being imported; delete it afterwards"),
        )
        .with("source_id", id)
    })?;
    if state
        .auth
        .store()
        .run(move |c| db::delete_source(c, id))
        .await?
    {
        Ok(Reply::no_content())
    } else {
        Err(source_not_found(id))
    }
}

pub async fn run_import(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: ImportRequest = req.json_or_default()?;
    let result = import::import_all(state, body.source_id).await?;
    Reply::ok(&result)
}

pub async fn preview(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let id = source_id(req)?;
    let limit = match req.query("limit") {
        None => PREVIEW_DEFAULT,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=PREVIEW_MAX).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_field("limit", format!("limit must be 1-{PREVIEW_MAX}"))
            })?,
    };
    let source = stored_source(state, id).await?;
    let checked = import::read_list(state, &source)
        .await
        .map_err(|e| e.to_api())?;
    let counts = checked.parsed.counts;
    Reply::ok(&PreviewResponse {
        source_id: id,
        entries: checked
            .entries
            .iter()
            .take(limit)
            .map(crate::fail2ban::command::net_text)
            .collect(),
        valid_count: counts.valid,
        invalid_count: counts.invalid,
        ignored_count: counts.ignored,
        counts,
        invalid_samples: checked.parsed.invalid_samples,
    })
}

pub async fn get_schedule(state: &AppState) -> Result<Reply, ApiError> {
    let saved = scheduler::load(state).await?;
    Reply::ok(&scheduler::info(&saved, scheduler::zone(state), Utc::now()))
}

pub async fn put_schedule(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: ScheduleUpdate = req.json()?;
    let saved = scheduler::save(state, body).await?;
    Reply::ok(&scheduler::info(&saved, scheduler::zone(state), Utc::now()))
}

pub async fn log(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let page = PageRequest::parse(req.query("page"), req.query("page_size"))?;
    let source =
        match req.query("source_id") {
            None => None,
            Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
                ApiError::invalid_field("source_id", "source_id must be an integer")
            })?),
        };
    let (offset, limit) = (page.offset(), page.page_size as usize);
    let (items, total) = state
        .auth
        .store()
        .run(move |c| db::list_log(c, source, offset, limit))
        .await?;
    Reply::ok(&Page {
        items,
        pagination: page.pagination(total),
    })
}
