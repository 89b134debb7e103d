//! Turning results into responses: the one place where an [`ApiError`] becomes a status and the
//! flat error body `{code, detail, metadata, correlation_id}`, and where every response gets its
//! `X-Correlation-ID`.
//!
//! [`Reply`] is plain data so the request flow is tested on the host; `crate::spin` writes it
//! out through Spin's `ResponseOutparam` (keeping repeated headers such as two `Set-Cookie`s,
//! which the SDK's `Response` type, a map, would merge).

use std::convert::Infallible;

use bangui_shared::ApiError;
use serde_json::Value;

use crate::forward::Upstream;
use crate::merge::Merged;
use crate::request::{header_text, CORRELATION_HEADER};

/// A response, before it is written out. `S` is the transport's streamed body
/// ([`crate::forward::Transport::Stream`]); replies the edge builds itself have none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<S = Infallible> {
    pub status: u16,
    /// Lowercase names; repeated names allowed.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Body<S>,
}

/// A reply's body: built here, or an agent's still arriving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body<S> {
    Full(Vec<u8>),
    Stream(S),
}

/// Headers of an agent's response that are not passed on: hop-by-hop headers (which Spin
/// refuses in a response anyway) and the correlation id (set here). The length stays: the body
/// is passed on byte for byte, and a body cut short then shows as an error, not as a shorter
/// answer.
const NOT_PASSED_ON: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "http2-settings",
    "host",
    CORRELATION_HEADER,
];

impl<S> Reply<S> {
    /// A JSON response.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            body: Body::Full(serde_json::to_vec(body).unwrap_or_default()),
        }
    }

    /// A merged fleet response (a 204 has no body).
    pub fn merged(m: Merged) -> Self {
        match m.body {
            Some(body) => Self::json(m.status, &body),
            None => Self {
                status: m.status,
                headers: Vec::new(),
                body: Body::Full(Vec::new()),
            },
        }
    }

    /// An agent's response, its body streamed unchanged; its headers too, but hop-by-hop ones
    /// and the correlation id.
    pub fn passthrough(up: Upstream<S>) -> Self {
        Self {
            status: up.status,
            headers: up
                .headers
                .into_iter()
                .filter(|(n, _)| !NOT_PASSED_ON.contains(&n.to_ascii_lowercase().as_str()))
                .map(|(n, v)| (n.to_ascii_lowercase(), v))
                .collect(),
            body: Body::Stream(up.body),
        }
    }

    /// The body, when the edge built it rather than streams an agent's.
    pub fn full_body(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Full(b) => Some(b),
            Body::Stream(_) => None,
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_text(&self.headers, name)
    }

    fn set_default(&mut self, name: &str, value: &str) {
        if !self.headers.iter().any(|(n, _)| n == name) {
            self.headers
                .push((name.to_owned(), value.as_bytes().to_vec()));
        }
    }

    /// Sets the correlation id (replacing any) and the headers every API response has.
    pub fn finish(mut self, correlation_id: &str) -> Self {
        self.headers.retain(|(n, _)| n != CORRELATION_HEADER);
        self.headers.push((
            CORRELATION_HEADER.to_owned(),
            correlation_id.as_bytes().to_vec(),
        ));
        self.set_default("cache-control", "no-store");
        self.set_default("x-content-type-options", "nosniff");
        self
    }
}

/// The error response. 429s get `Retry-After` from `metadata.retry_after_seconds`; 5xx errors
/// are logged to stderr (Spin's component log) with the correlation id.
pub fn error<S>(err: &ApiError, correlation_id: &str) -> Reply<S> {
    if err.status() >= 500 {
        eprintln!(
            "bangui-edge: {} {} [correlation_id={correlation_id}]",
            err.status(),
            err
        );
    }
    let body = serde_json::to_value(err.to_body(correlation_id)).unwrap_or(Value::Null);
    let mut reply = Reply::json(err.status(), &body);
    if let Some(retry) = err
        .metadata
        .get("retry_after_seconds")
        .and_then(Value::as_u64)
    {
        reply = reply.with_header("retry-after", retry.to_string());
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangui_shared::ErrorCode;

    #[test]
    fn errors_have_the_flat_body_and_the_id() {
        let err =
            ApiError::new(ErrorCode::RateLimitExceeded, "slow down").with("retry_after_seconds", 7);
        let reply: Reply = error(&err, "cid").finish("cid");
        assert_eq!(reply.status, 429);
        assert_eq!(reply.header("retry-after"), Some("7"));
        assert_eq!(reply.header("x-correlation-id"), Some("cid"));
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body: Value = serde_json::from_slice(reply.full_body().unwrap()).unwrap();
        assert_eq!(body["code"], "rate_limit_exceeded");
        assert_eq!(body["detail"], "slow down");
        assert_eq!(body["metadata"]["retry_after_seconds"], 7);
        assert_eq!(body["correlation_id"], "cid");
        assert_eq!(body.as_object().unwrap().len(), 4);
    }

    #[test]
    fn passthrough_streams_the_body_and_drops_hop_by_hop_headers() {
        let up = Upstream {
            status: 200,
            headers: vec![
                ("Set-Cookie".into(), b"a=1".to_vec()),
                ("set-cookie".into(), b"b=2".to_vec()),
                ("connection".into(), b"close".to_vec()),
                ("content-length".into(), b"2".to_vec()),
                ("x-correlation-id".into(), b"agent".to_vec()),
            ],
            body: b"{}".to_vec(),
        };
        let reply = Reply::passthrough(up).finish("edge");
        let names: Vec<&str> = reply.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "set-cookie",
                "set-cookie",
                "content-length",
                "x-correlation-id",
                "cache-control",
                "x-content-type-options"
            ]
        );
        assert_eq!(reply.header("x-correlation-id"), Some("edge"));
        assert_eq!(reply.body, Body::Stream(b"{}".to_vec()));
    }

    #[test]
    fn merged_204_has_no_body() {
        let r: Reply = Reply::merged(Merged {
            status: 204,
            body: None,
        });
        assert!(r.body == Body::Full(Vec::new()) && r.headers.is_empty());
    }
}
