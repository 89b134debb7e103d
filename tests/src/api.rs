//! `ApiClient`: HTTP helpers against one base URL (the agent's or the dev host's), sending the
//! session token as `Authorization: Bearer` when one is set.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::http::Response;
use crate::process;
use crate::service::lock;

/// Timeout of one HTTP request made by the helpers.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
    token: Mutex<Option<String>>,
    /// The server's stderr, quoted when a request fails at the transport level.
    server_stderr: Arc<Mutex<String>>,
}

/// A reqwest client builder for the tests' plain-HTTP clients. The agent's blocklist fetcher
/// turns on reqwest's rustls without a built-in crypto provider (one reqwest build for the
/// workspace), so the process's default provider is set to ring first.
pub fn http_client() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

impl ApiClient {
    pub fn new(base_url: &str, server_stderr: Arc<Mutex<String>>) -> ApiClient {
        let http = http_client()
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("an HTTP client");
        ApiClient {
            http,
            base_url: base_url.to_owned(),
            token: Mutex::new(None),
            server_stderr,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `path` (e.g. `/api/v1/health`) on this server; absolute URLs are returned unchanged.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else if path.starts_with('/') {
            format!("{}{path}", self.base_url)
        } else {
            format!("{}/{path}", self.base_url)
        }
    }

    /// The HTTP client (no proxy, 30 s timeout); it sends no token by itself (see
    /// [`request`](Self::request)).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The session token the helpers send as `Authorization: Bearer`, if any.
    pub fn token(&self) -> Option<String> {
        lock(&self.token).clone()
    }

    /// Replaces (or with `None` drops) the token the helpers send.
    pub fn set_token(&self, token: Option<String>) {
        *lock(&self.token) = token;
    }

    /// A request with the helpers' `Authorization: Bearer` token, if one is set.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match self.token() {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// `GET path`
    pub async fn get(&self, path: &str) -> Response {
        self.send(self.request(Method::GET, path)).await
    }

    /// `POST path` without a body.
    /// `GET path` from a client that reads the given codings (`Accept-Encoding`).
    pub async fn get_accepting(&self, path: &str, codings: &str) -> Response {
        let request = self
            .request(Method::GET, path)
            .header(reqwest::header::ACCEPT_ENCODING, codings);
        self.send(request).await
    }

    pub async fn post(&self, path: &str) -> Response {
        self.send(self.request(Method::POST, path)).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    /// `DELETE path` without a body.
    pub async fn delete(&self, path: &str) -> Response {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// `DELETE path` with a JSON body.
    pub async fn delete_json(&self, path: &str, body: &Value) -> Response {
        self.send(self.request(Method::DELETE, path).json(body))
            .await
    }

    /// `POST path` with a body sent as is (e.g. malformed JSON) and the given `Content-Type`.
    pub async fn post_raw(&self, path: &str, body: &str, content_type: &str) -> Response {
        self.raw(Method::POST, path, body, content_type).await
    }

    /// Any method with a body sent as is and the given `Content-Type`.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: &str,
        content_type: &str,
    ) -> Response {
        let request = self
            .request(method, path)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body.to_owned());
        self.send(request).await
    }

    /// Sends a request and reads the whole response; panics with the server's stderr when the
    /// request fails at the transport level.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let described = request
            .try_clone()
            .and_then(|r| r.build().ok())
            .map(|r| format!("{} {}", r.method(), r.url()))
            .unwrap_or_else(|| "request".to_owned());
        let result = match request.send().await {
            Ok(response) => Response::read(response).await,
            Err(e) => Err(e),
        };
        result.unwrap_or_else(|e| {
            panic!(
                "HTTP {described} failed: {e}\n--- server stderr:\n{}",
                process::tail(&lock(&self.server_stderr), 40)
            )
        })
    }
}
