//! `ApiRequest`: what a handler sees of an HTTP request, with typed accessors that fail with the
//! API's errors (422 for bodies, 400 for query values, 404 for path parameters).

use std::collections::HashMap;
use std::net::IpAddr;

use bangui_shared::routes::Route;
use bangui_shared::validate::JailName;
use bangui_shared::ApiError;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use warp::http::HeaderMap;

use crate::auth::Session;
use crate::http::server::EdgePeer;

#[derive(Debug)]
pub struct ApiRequest {
    pub route: &'static Route,
    pub params: Vec<(&'static str, String)>,
    pub query: HashMap<String, String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub correlation_id: String,
    /// The caller's address (see `gate::client_ip`).
    pub client_ip: IpAddr,
    /// The verified session; `None` on public routes and through the edge.
    pub session: Option<Session>,
    /// Set when the request came through the edge listener.
    pub edge: Option<EdgePeer>,
}

/// Header in which the edge names the session (its store key) a request belongs to.
pub const EDGE_SESSION_HEADER: &str = bangui_shared::edge_headers::SESSION;

impl ApiRequest {
    /// Who made the request, for the audit log: the session, or the edge certificate and the
    /// session the edge vouched for.
    pub fn actor(&self) -> String {
        if let Some(edge) = &self.edge {
            let id = edge.uris.first().map(String::as_str).unwrap_or("unknown");
            let session = self
                .headers
                .get(EDGE_SESSION_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(|key| format!(" session:{}", &key[..12.min(key.len())]))
                .unwrap_or_default();
            return format!("edge:{id}{session}");
        }
        self.session
            .as_ref()
            .map(|s| s.actor())
            .unwrap_or_else(|| "anonymous".into())
    }
}

impl ApiRequest {
    /// A path parameter; the route table guarantees it exists for the matched route.
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// The `{name}` jail of the path. A name that cannot be a jail cannot exist: 404.
    pub fn jail(&self) -> Result<JailName, ApiError> {
        let raw = self.param("name");
        raw.parse().map_err(|_| ApiError::jail_not_found(raw))
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The JSON body, required.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::invalid_body("request body is required (JSON)"));
        }
        parse_json(&self.body)
    }

    /// The JSON body, or the default when the request has none.
    pub fn json_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(T::default());
        }
        parse_json(&self.body)
    }
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // serde reads a struct from a JSON array too; the API's bodies are objects only.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::invalid_body("request body must be a JSON object"));
    }
    serde_json::from_slice(body).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Data => "does not match the expected schema",
            _ => "is not valid JSON",
        };
        ApiError::invalid_body(format!("request body {kind}: {e}"))
            .with("line", e.line() as u64)
            .with("column", e.column() as u64)
    })
}

/// Parses `a=1&b=two` with percent-decoding; later duplicates win.
pub fn parse_query(raw: &str) -> HashMap<String, String> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(k), decode_component(v))
        })
        .collect()
}

fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_decoded() {
        let q = parse_query("page=2&search=2001%3Adb8&x=a+b&flag&bad=%zz%4");
        assert_eq!(q["page"], "2");
        assert_eq!(q["search"], "2001:db8");
        assert_eq!(q["x"], "a b");
        assert_eq!(q["flag"], "");
        assert_eq!(q["bad"], "%zz%4");
    }
}
