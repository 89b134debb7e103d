//! The HTTP API: one warp filter that resolves every request through the shared route table,
//! so routing, 404/405 and error bodies are decided in one place for all routes.

pub mod audit;
pub mod encoding;
pub mod gate;
pub mod request;
pub mod respond;
pub mod server;
pub mod ui;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bangui_shared::routes::{allowed_methods, match_route, Method, Route, RouteMatch};
use bangui_shared::{ApiError, ErrorCode};
use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use warp::http::HeaderMap;
use warp::reply::Response;
use warp::Filter;

use crate::handlers;
use crate::state::AppState;
use request::{parse_query, ApiRequest};

/// The whole API as one warp filter that never rejects.
pub fn api(
    state: Arc<AppState>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let state = warp::any().map(move || state.clone());
    warp::method()
        .and(warp::path::full())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(warp::ext::optional::<server::PeerAddr>())
        .and(warp::ext::optional::<server::EdgePeer>())
        .and(warp::body::stream())
        .and(state)
        .then(
            |method: warp::http::Method,
             path: warp::path::FullPath,
             query: String,
             headers: HeaderMap,
             peer: Option<server::PeerAddr>,
             edge: Option<server::EdgePeer>,
             body,
             state: Arc<AppState>| async move {
                let peer = peer.map(|p| p.0).unwrap_or(([0, 0, 0, 0], 0).into());
                let incoming = Incoming {
                    method,
                    path: path.as_str(),
                    query: &query,
                    headers,
                    peer,
                    edge,
                };
                handle(incoming, body, &state).await
            },
        )
}

/// What the filter extracted from one request.
struct Incoming<'a> {
    method: warp::http::Method,
    path: &'a str,
    query: &'a str,
    headers: HeaderMap,
    peer: SocketAddr,
    edge: Option<server::EdgePeer>,
}

async fn handle<S, B>(incoming: Incoming<'_>, body: S, state: &AppState) -> Response
where
    S: Stream<Item = Result<B, warp::Error>> + Unpin,
    B: Buf,
{
    let started = Instant::now();
    let correlation_id = correlation_id(&incoming.headers);
    let (method, path) = (incoming.method.clone(), incoming.path.to_owned());
    let response = match route(incoming, body, state, &correlation_id).await {
        Ok(response) => response,
        Err(err) => respond::error(&err, &correlation_id),
    };
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        %correlation_id,
        "request"
    );
    response
}

/// Matches the route, admits the request, runs its handler and audits it. Errors before the
/// request is identified (404, 405, 413) are not audited.
async fn route<S, B>(
    incoming: Incoming<'_>,
    body: S,
    state: &AppState,
    correlation_id: &str,
) -> Result<Response, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>> + Unpin,
    B: Buf,
{
    let path = incoming.path;
    let matched = match to_method(&incoming.method) {
        Some(m) => match_route(m, path),
        // An unsupported method on a known path is a 405, on anything else a 404.
        None if allowed_methods(path).is_empty() => RouteMatch::NotFound,
        None => RouteMatch::MethodNotAllowed {
            allowed: allowed_methods(path),
        },
    };
    let (route, params) = match matched {
        RouteMatch::Found { route, params } => (route, params),
        RouteMatch::MethodNotAllowed { allowed } => {
            let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
            return Err(ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{path} accepts only {}", names.join(", ")),
            )
            .with("allow", names.join(", ")));
        }
        RouteMatch::NotFound => return Err(ApiError::not_found(format!("no route for {path}"))),
    };
    let body = read_body(body, state.config.listen.max_body_bytes).await?;
    let client_ip = gate::client_ip(
        incoming.peer,
        &incoming.headers,
        &state.config.auth.trusted_proxies,
        incoming.edge.as_ref(),
    );
    let mut request = ApiRequest {
        route,
        params,
        query: parse_query(incoming.query),
        headers: incoming.headers,
        body,
        correlation_id: correlation_id.to_owned(),
        client_ip,
        session: None,
        edge: incoming.edge,
    };
    let admitted = gate::admit(
        state,
        route,
        &request.headers,
        client_ip,
        request.edge.as_ref(),
    );
    let result = match admitted {
        Ok(session) => {
            request.session = session;
            handlers::dispatch(state, &request)
                .await
                .map_err(|e| body_error_per_contract(route, e))
        }
        Err(e) => Err(e),
    };
    if audit::is_audited(route) {
        let (status, code) = match &result {
            Ok(reply) => (reply.status(), None),
            Err(e) => (e.status(), Some(e.code.as_str())),
        };
        audit::record(state, &request, status, code).await;
    }
    let coding = encoding::Coding::choose(route, &request.headers);
    result.map(|reply| respond::success(reply, correlation_id, coding))
}

/// A bad body is a 422 — except on routes whose contract lists 400 and not 422 (e.g.
/// `POST /bans`): there it is a 400 with the same detail.
fn body_error_per_contract(route: &Route, err: ApiError) -> ApiError {
    let statuses = route.statuses;
    if err.code == ErrorCode::InvalidBody && !statuses.contains(&422) && statuses.contains(&400) {
        let mut moved = ApiError::invalid_input(err.detail);
        moved.metadata = err.metadata;
        return moved.with("reason", "invalid_body");
    }
    err
}

fn to_method(m: &warp::http::Method) -> Option<Method> {
    match *m {
        warp::http::Method::GET => Some(Method::Get),
        warp::http::Method::POST => Some(Method::Post),
        warp::http::Method::PUT => Some(Method::Put),
        warp::http::Method::DELETE => Some(Method::Delete),
        _ => None,
    }
}

async fn read_body<S, B>(mut body: S, limit: u64) -> Result<Bytes, ApiError>
where
    S: Stream<Item = Result<B, warp::Error>> + Unpin,
    B: Buf,
{
    let mut buf = BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk =
            chunk.map_err(|e| ApiError::invalid_body(format!("cannot read request body: {e}")))?;
        if (buf.len() + chunk.remaining()) as u64 > limit {
            return Err(ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!("request body larger than {limit} bytes"),
            ));
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            let n = part.len();
            buf.extend_from_slice(part);
            chunk.advance(n);
        }
    }
    Ok(buf.freeze())
}

/// The caller's `X-Correlation-ID` when it is a sane token, else a fresh UUID.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}
