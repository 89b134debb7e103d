//! Turning handler results into HTTP responses: the one place where an `ApiError` becomes a
//! status and a body.

use bangui_shared::ApiError;
use serde::Serialize;
use warp::http::{header, HeaderName, HeaderValue, StatusCode};
use warp::reply::Response;

use super::encoding::Coding;

/// A successful handler result: a status and an optional JSON body.
#[derive(Debug)]
pub struct Reply {
    status: u16,
    body: Option<Vec<u8>>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::internal(format!("cannot encode response: {e}")))?;
        Ok(Self {
            status,
            body: Some(body),
            headers: Vec::new(),
        })
    }

    pub fn ok<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        Self::json(200, value)
    }

    pub fn created<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        Self::json(201, value)
    }

    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: None,
            headers: Vec::new(),
        }
    }

    /// Adds a response header (e.g. `Set-Cookie`); values that are not valid header text are
    /// dropped.
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }

    pub fn status(&self) -> u16 {
        self.status
    }
}

fn build(status: u16, body: Option<Vec<u8>>, correlation_id: &str) -> Response {
    let has_body = body.is_some();
    let mut response = Response::new(body.unwrap_or_default().into());
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if has_body {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(id) = HeaderValue::from_str(correlation_id) {
        headers.insert("x-correlation-id", id);
    }
    response
}

/// The handler's answer, its body in `coding` when that makes it smaller.
pub fn success(reply: Reply, correlation_id: &str, coding: Coding) -> Response {
    let (body, encoding) = match reply.body {
        Some(body) => {
            let (body, encoding) = coding.encode(body);
            (Some(body), encoding)
        }
        None => (None, None),
    };
    let mut response = build(reply.status, body, correlation_id);
    let headers = response.headers_mut();
    if let Some(encoding) = encoding {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    if coding.varies() {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    response
}

pub fn error(err: &ApiError, correlation_id: &str) -> Response {
    if err.status() >= 500 && err.status() != 502 && err.status() != 503 {
        tracing::error!(%correlation_id, code = %err.code, detail = %err.detail, "request failed");
    }
    let body = serde_json::to_vec(&err.to_body(correlation_id)).unwrap_or_default();
    let mut response = build(err.status(), Some(body), correlation_id);
    if let Some(secs) = err
        .metadata
        .get("retry_after_seconds")
        .and_then(|v| v.as_u64())
    {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    response
}
