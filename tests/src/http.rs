//! Small HTTP helpers for tests: a [`Response`] read completely into memory, and assertions on
//! the API's status codes and flat error body.

use std::io::Read;

use reqwest::header::HeaderMap;
use serde_json::Value;

/// A whole HTTP response, its body decoded as a browser would (`Content-Encoding: gzip`).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    /// How many body bytes came over the wire, before decoding.
    pub wire_len: usize,
    /// The body as text (lossy UTF-8).
    pub text: String,
    /// The body as JSON, or `Value::Null` when it is empty or not JSON.
    pub json: Value,
}

impl Response {
    /// Reads the whole body of `response`.
    ///
    /// # Panics
    ///
    /// When a body announced as gzip does not decode.
    pub async fn read(response: reqwest::Response) -> Result<Response, reqwest::Error> {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let wire = response.bytes().await?;
        let wire_len = wire.len();
        let bytes = match headers.get(reqwest::header::CONTENT_ENCODING) {
            Some(coding) if coding == "gzip" => gunzip(&wire)
                .unwrap_or_else(|e| panic!("HTTP {status}: the gzip body does not decode: {e}")),
            _ => wire.to_vec(),
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Response {
            status,
            headers,
            wire_len,
            text,
            json,
        })
    }

    /// A header's value, if present and valid UTF-8 (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A gzip body's content.
pub fn gunzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut decoded)?;
    Ok(decoded)
}

/// Asserts the status code, showing the body when it differs.
#[track_caller]
pub fn assert_status(response: &Response, status: u16) {
    assert_eq!(
        response.status, status,
        "expected HTTP {status}, got {}; body: {}",
        response.status, response.text
    );
}

/// Asserts an API error: the status, and the flat body `{code, detail, metadata,
/// correlation_id}` with all four keys, the given `code`, a non-empty `detail`, an object
/// `metadata`, and a non-empty `correlation_id` equal to the `X-Correlation-ID` header.
#[track_caller]
pub fn assert_error(response: &Response, status: u16, code: &str) {
    assert_status(response, status);
    let body = response.json.as_object().unwrap_or_else(|| {
        panic!(
            "HTTP {status}: error body is not a JSON object: {}",
            response.text
        )
    });
    for key in ["code", "detail", "metadata", "correlation_id"] {
        assert!(
            body.contains_key(key),
            "HTTP {status}: error body lacks {key:?}: {}",
            response.text
        );
    }
    assert_eq!(
        body["code"], code,
        "HTTP {status}: wrong error code in {}",
        response.text
    );
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        !detail.trim().is_empty(),
        "HTTP {status}: empty detail in {}",
        response.text
    );
    assert!(
        body["metadata"].is_object(),
        "HTTP {status}: metadata is not an object in {}",
        response.text
    );
    let id = body["correlation_id"].as_str().unwrap_or_default();
    assert!(
        !id.is_empty(),
        "HTTP {status}: empty correlation_id in {}",
        response.text
    );
    assert_eq!(
        response.header("x-correlation-id"),
        Some(id),
        "HTTP {status}: X-Correlation-ID header differs from the body's correlation_id ({})",
        response.text
    );
}

/// Asserts an API error whose `metadata.field` is `field`.
#[track_caller]
pub fn assert_field_error(response: &Response, status: u16, code: &str, field: &str) {
    assert_error(response, status, code);
    assert_eq!(
        response.json["metadata"]["field"], field,
        "wrong metadata.field in {}",
        response.text
    );
}

/// How long a state change may take to show up when polled.
pub const POLL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Calls `probe` every 50 ms until it returns `Some`, at most `timeout`; panics naming `what`.
pub async fn poll_until<T, F, Fut>(what: &str, timeout: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn response(status: u16, json: Value, header: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(id) = header {
            headers.insert("x-correlation-id", HeaderValue::from_str(id).unwrap());
        }
        let text = json.to_string();
        Response {
            status,
            headers,
            wire_len: text.len(),
            text,
            json,
        }
    }

    #[test]
    fn accepts_a_complete_error() {
        let body = json!({"code": "not_found", "detail": "no jail x", "metadata": {}, "correlation_id": "abc"});
        assert_error(&response(404, body, Some("abc")), 404, "not_found");
    }

    #[test]
    #[should_panic(expected = "X-Correlation-ID")]
    fn rejects_a_mismatched_correlation_id() {
        let body = json!({"code": "not_found", "detail": "no jail x", "metadata": {}, "correlation_id": "abc"});
        assert_error(&response(404, body, Some("xyz")), 404, "not_found");
    }

    #[test]
    #[should_panic(expected = "lacks \"metadata\"")]
    fn rejects_a_missing_key() {
        let body = json!({"code": "not_found", "detail": "no jail x", "correlation_id": "abc"});
        assert_error(&response(404, body, Some("abc")), 404, "not_found");
    }
}
