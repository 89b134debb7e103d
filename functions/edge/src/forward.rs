//! Forwarding to an agent: the outbound request the edge builds, the [`Transport`] that sends
//! it, and how an agent's answer is read back.
//!
//! The outbound request is built from scratch, never copied: method, path, query (minus `host`),
//! body and `Content-Type`, plus the edge's own headers — `X-Correlation-ID`, `X-Forwarded-For`
//! (the client address Spin saw), `X-BanGUI-Session` (the verified session's key) and the user's
//! token as `Authorization: Bearer`. A request whose answer is passed on unread also carries the
//! client's `Accept-Encoding` ([`Outbound::accepting`]): the agent may then compress it for the
//! client, while answers the edge merges come as plain JSON. Anything else the client sent — its
//! own `X-Forwarded-For`, any `X-BanGUI-*` — never reaches an agent.

use std::future::Future;
use std::time::Duration;

use bangui_shared::routes::Method;
use bangui_shared::{ApiError, ErrorBody, ErrorCode};
use serde_json::Value;

use crate::hosts::Agent;
use crate::merge::Answer;
use crate::request::CORRELATION_HEADER;

/// Header naming the client address for the agent's audit log and login limiter.
pub const FORWARDED_FOR_HEADER: &str = "x-forwarded-for";
/// Header carrying the verified session's key (`session_key(sid)`) for the agent's audit log.
pub const SESSION_HEADER: &str = bangui_shared::edge_headers::SESSION;

/// A request to one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub method: Method,
    /// `true` for `https`.
    pub https: bool,
    /// `host:port` of the agent.
    pub authority: String,
    /// Path and query, `/api/v1/jails?page=1`.
    pub path_and_query: String,
    /// Header names are lowercase.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeouts: Timeouts,
}

/// How long a request to an agent may take. A dead agent fails at `connect`; an agent that
/// accepts but never answers fails at `first_byte`; `total` bounds everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub first_byte: Duration,
    pub between_bytes: Duration,
    pub total: Duration,
}

impl Timeouts {
    /// Reads: fail2ban commands time out on the agent after 10 s.
    pub const READ: Self = Self {
        connect: Duration::from_secs(3),
        first_byte: Duration::from_secs(15),
        between_bytes: Duration::from_secs(10),
        total: Duration::from_secs(20),
    };
    /// State changes: a reload may take the agent up to 60 s.
    pub const WRITE: Self = Self {
        connect: Duration::from_secs(3),
        first_byte: Duration::from_secs(75),
        between_bytes: Duration::from_secs(10),
        total: Duration::from_secs(85),
    };
}

/// What came back from an agent: the whole body (`B = Vec<u8>`, what merges read) or a body
/// still arriving ([`Transport::Stream`], passed on to the client as it comes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream<B = Vec<u8>> {
    pub status: u16,
    /// Header names are lowercase.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: B,
}

/// Why nothing came back: refused, timed out, TLS failure, denied by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

/// Sends requests to agents. [`crate::spin::SpinTransport`] in components; a fake in tests.
pub trait Transport {
    /// A response body still arriving from an agent.
    type Stream;

    /// Sends and reads the whole answer (for merges and the edge's own questions).
    fn send(&self, request: Outbound) -> impl Future<Output = Result<Upstream, Unreachable>>;

    /// Sends and returns at the answer's head: a single-host answer is passed on unchanged, so
    /// its body goes to the client as it arrives instead of after the last byte.
    fn open(
        &self,
        request: Outbound,
    ) -> impl Future<Output = Result<Upstream<Self::Stream>, Unreachable>>;
}

/// What every request forwarded for one client request carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub correlation_id: String,
    /// The client IP, for `X-Forwarded-For`.
    pub client_ip: Option<String>,
    /// `session_key(sid)` of the verified session, for `X-BanGUI-Session`.
    pub session_key: Option<String>,
    /// The user's token, for `Authorization: Bearer`.
    pub token: Option<String>,
    pub content_type: Option<String>,
}

// === impl Outbound ===

impl Outbound {
    /// Builds the request for `agent`. `query` is already rewritten (no `host`).
    pub fn new(
        agent: &Agent,
        method: Method,
        path: &str,
        query: &str,
        body: &[u8],
        ctx: &Context,
        timeouts: Timeouts,
    ) -> Self {
        let mut headers = vec![
            ("accept".to_owned(), "application/json".to_owned()),
            (CORRELATION_HEADER.to_owned(), ctx.correlation_id.clone()),
        ];
        let mut add = |name: &str, value: &Option<String>| {
            if let Some(v) = value.as_deref().filter(|v| is_header_text(v)) {
                headers.push((name.to_owned(), v.to_owned()));
            }
        };
        add(FORWARDED_FOR_HEADER, &ctx.client_ip);
        add(SESSION_HEADER, &ctx.session_key);
        add(
            "authorization",
            &ctx.token.as_ref().map(|t| format!("Bearer {t}")),
        );
        if !body.is_empty() {
            add("content-type", &ctx.content_type);
        }
        let path_and_query = if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        };
        Self {
            method,
            https: agent.is_https(),
            authority: agent.authority().to_owned(),
            path_and_query,
            headers,
            body: body.to_vec(),
            timeouts,
        }
    }

    /// Adds the client's `Accept-Encoding`. Only for an answer passed on unread: the edge
    /// parses every other answer as JSON.
    #[must_use]
    pub fn accepting(mut self, codings: Option<&str>) -> Self {
        if let Some(codings) = codings.filter(|v| is_header_text(v)) {
            self.headers
                .push(("accept-encoding".to_owned(), codings.to_owned()));
        }
        self
    }

    /// The full URL, for messages.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.path_and_query)
    }

    /// The value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Printable ASCII without CR/LF: safe as a header value.
fn is_header_text(v: &str) -> bool {
    v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

// === reading answers ===

/// The 502 for an agent that did not answer.
pub fn unreachable(agent: &Agent, why: &Unreachable) -> ApiError {
    ApiError::new(
        ErrorCode::AgentUnreachable,
        format!(
            "agent {} ({}) is unreachable: {}",
            agent.name, agent.url, why.0
        ),
    )
    .with("host", agent.name.as_str())
}

/// Reads an agent's answer as JSON when `accept(status)`, else as the agent's error.
///
/// # Errors
///
/// The agent's own error (its code, detail and metadata), or a 500 when it answered something
/// that is not the API's JSON.
pub fn answer(
    agent: &Agent,
    sent: Result<Upstream, Unreachable>,
    accept: impl Fn(u16) -> bool,
) -> Result<Answer, ApiError> {
    let up = sent.map_err(|e| unreachable(agent, &e))?;
    if accept(up.status) {
        let body = if up.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&up.body).map_err(|e| {
                ApiError::internal(format!(
                    "agent {} answered {} with a body that is not JSON: {e}",
                    agent.name, up.status
                ))
            })?
        };
        return Ok(Answer {
            status: up.status,
            body,
        });
    }
    Err(agent_error(agent, &up))
}

/// The agent's error body as an [`ApiError`]; an unknown code or a non-API body becomes a 500
/// that says what the agent sent.
pub fn agent_error(agent: &Agent, up: &Upstream) -> ApiError {
    match serde_json::from_slice::<ErrorBody>(&up.body) {
        Ok(body) if body.code.status() == up.status => ApiError {
            code: body.code,
            detail: body.detail,
            metadata: body.metadata,
        },
        _ => {
            let code = serde_json::from_slice::<Value>(&up.body)
                .ok()
                .and_then(|v| v.get("code").and_then(Value::as_str).map(str::to_owned));
            ApiError::internal(format!(
                "agent {} answered HTTP {}{}",
                agent.name,
                up.status,
                code.map(|c| format!(" ({c})")).unwrap_or_default()
            ))
            .with("host", agent.name.as_str())
            .with("agent_status", up.status)
        }
    }
}

/// 2xx.
pub fn success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::Fleet;

    fn agent() -> Agent {
        Fleet::parse("web1=https://localhost:8651", "")
            .unwrap()
            .control()
            .clone()
    }

    #[test]
    fn outbound_carries_only_the_edge_headers() {
        let ctx = Context {
            correlation_id: "cid-1".into(),
            client_ip: Some("192.0.2.9".into()),
            session_key: Some("abcd".into()),
            token: Some("tok".into()),
            content_type: Some("application/json".into()),
        };
        let out = Outbound::new(
            &agent(),
            Method::Post,
            "/api/v1/bans",
            "x=1",
            b"{}",
            &ctx,
            Timeouts::WRITE,
        );
        assert_eq!(out.url(), "https://localhost:8651/api/v1/bans?x=1");
        assert_eq!(out.header("x-correlation-id"), Some("cid-1"));
        assert_eq!(out.header("x-forwarded-for"), Some("192.0.2.9"));
        assert_eq!(out.header("x-bangui-session"), Some("abcd"));
        assert_eq!(out.header("authorization"), Some("Bearer tok"));
        assert_eq!(out.header("content-type"), Some("application/json"));
        assert_eq!(out.headers.len(), 6);

        let bare = Outbound::new(
            &agent(),
            Method::Get,
            "/api/v1/health",
            "",
            b"",
            &Context {
                correlation_id: "c".into(),
                content_type: Some("text/plain".into()),
                token: Some("bad\r\nx: y".into()),
                ..Context::default()
            },
            Timeouts::READ,
        );
        assert_eq!(bare.path_and_query, "/api/v1/health");
        assert_eq!(bare.header("content-type"), None);
        assert_eq!(bare.header("authorization"), None);
    }

    #[test]
    fn answers_are_json_or_the_agents_error() {
        let a = agent();
        let up = |status: u16, body: &str| {
            Ok(Upstream {
                status,
                headers: Vec::new(),
                body: body.as_bytes().to_vec(),
            })
        };
        let ok = answer(&a, up(200, r#"{"x":1}"#), success).unwrap();
        assert_eq!(ok.body["x"], 1);
        assert_eq!(answer(&a, up(204, ""), success).unwrap().body, Value::Null);
        let err = answer(
            &a,
            up(
                404,
                r#"{"code":"jail_not_found","detail":"Jail 'x' not found","metadata":{"jail":"x"},"correlation_id":"c"}"#,
            ),
            success,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::JailNotFound);
        assert_eq!(err.metadata["jail"], "x");
        let odd = answer(&a, up(418, r#"{"code":"teapot"}"#), success).unwrap_err();
        assert_eq!(odd.status(), 500);
        assert!(odd.detail.contains("418 (teapot)"), "{}", odd.detail);
        let junk = answer(&a, up(200, "<html>"), success).unwrap_err();
        assert!(junk.detail.contains("not JSON"), "{}", junk.detail);
        let dead = answer(&a, Err(Unreachable("connection refused".into())), success).unwrap_err();
        assert_eq!(dead.status(), 502);
        assert_eq!(dead.code, ErrorCode::AgentUnreachable);
        assert_eq!(dead.metadata["host"], "web1");
        assert!(dead.detail.contains("connection refused"));
    }
}
