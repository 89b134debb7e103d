//! Downloading a list safely: every hop's host is resolved once and checked by the [`Guard`],
//! the connection is pinned to the checked address (no second lookup an attacker's DNS could
//! answer differently), redirects are followed by hand and checked again, and the body is
//! bounded by time and size. Failed downloads are retried with doubling waits.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use reqwest::{StatusCode, Url};

use super::guard::{check_url, Guard, GuardError};
use super::settings::BlocklistsConfig;

/// Redirects followed per download.
pub const MAX_REDIRECTS: usize = 5;
/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    Refused(#[from] GuardError),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirect without a valid Location from {0}")]
    BadRedirect(String),
    #[error("the list is larger than the limit of {0} bytes")]
    TooLarge(u64),
    #[error("TLS setup failed: {0}")]
    Tls(String),
}

impl FetchError {
    /// Worth another attempt: network trouble, 429 and 5xx.
    fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Refused(e) => e.is_transient(),
            _ => false,
        }
    }

    /// A refusal by the SSRF guard or a malformed URL (a 400, not a 502).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Refused(e) if !e.is_transient())
    }
}

/// The TLS settings of every download: our ring provider and the system's trust roots.
static TLS: LazyLock<Result<rustls::ClientConfig, String>> = LazyLock::new(|| {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_platform_verifier()
        .map_err(|e| e.to_string())
        .map(|b| b.with_no_client_auth())
});

/// Downloads lists under the `[blocklists]` settings.
#[derive(Debug, Clone)]
pub struct Fetcher {
    config: BlocklistsConfig,
    guard: Guard,
}

impl Fetcher {
    pub fn new(config: &BlocklistsConfig) -> Self {
        Self {
            config: config.clone(),
            guard: Guard::new(config),
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The body of `url`, after up to `retries` further attempts on transient failures.
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let mut wait = Duration::from_millis(self.config.retry_backoff_ms);
        let mut attempt = 0;
        loop {
            match self.fetch_once(url).await {
                Err(e) if e.is_transient() && attempt < self.config.retries => {
                    tracing::info!(error = %e, attempt, "blocklist download failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(MAX_BACKOFF);
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn fetch_once(&self, start: &str) -> Result<Vec<u8>, FetchError> {
        let mut url = check_url(start)?;
        for _ in 0..=MAX_REDIRECTS {
            let addr = self.guard.resolve(&url).await?;
            let client = self.client(&url, addr)?;
            let unreachable = |e: reqwest::Error| FetchError::Unreachable {
                url: redacted(&url),
                reason: error_chain(&e),
            };
            let response = client.get(url.clone()).send().await.map_err(unreachable)?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::BadRedirect(redacted(&url)))?;
                let next = url
                    .join(location)
                    .map_err(|_| FetchError::BadRedirect(redacted(&url)))?;
                url = check_url(next.as_str())?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: redacted(&url),
                    status: status.as_u16(),
                });
            }
            return self.read_body(response, &url).await;
        }
        Err(FetchError::TooManyRedirects)
    }

    /// A client that connects to `addr` only: the name is pinned, proxies are off (a proxy
    /// would resolve the name again), redirects are ours to check.
    fn client(&self, url: &Url, addr: SocketAddr) -> Result<reqwest::Client, FetchError> {
        let tls = TLS.clone().map_err(FetchError::Tls)?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(self.config.connect_timeout())
            .read_timeout(self.config.read_timeout())
            .timeout(self.config.total_timeout())
            .user_agent(concat!("bangui-agent/", env!("CARGO_PKG_VERSION")))
            .tls_backend_preconfigured(tls);
        if let Some(url::Host::Domain(name)) = url.host() {
            builder = builder.resolve(name, addr);
        }
        builder.build().map_err(|e| FetchError::Tls(e.to_string()))
    }

    async fn read_body(
        &self,
        mut response: reqwest::Response,
        url: &Url,
    ) -> Result<Vec<u8>, FetchError> {
        let cap = self.config.max_body_bytes;
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(FetchError::TooLarge(cap));
        }
        let mut body = Vec::new();
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|e| FetchError::Unreachable {
                    url: redacted(url),
                    reason: error_chain(&e),
                })?;
            let Some(chunk) = chunk else { break };
            if body.len() as u64 + chunk.len() as u64 > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// The URL without its query (list keys often travel there) for messages and logs.
pub fn redacted(url: &Url) -> String {
    let mut u = url.clone();
    if u.query().is_some() {
        u.set_query(Some("…"));
    }
    u.set_fragment(None);
    u.to_string()
}

/// reqwest's error with its causes ("error sending request: … connection refused").
fn error_chain(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_config_builds() {
        assert!(TLS.is_ok(), "{:?}", TLS.as_ref().err());
    }

    #[test]
    fn queries_are_redacted() {
        let u = Url::parse("https://example.org/l.txt?key=secret#x").unwrap();
        assert_eq!(redacted(&u), "https://example.org/l.txt?%E2%80%A6");
        assert!(!redacted(&u).contains("secret"));
    }

    #[tokio::test]
    async fn refused_before_any_connection() {
        let f = Fetcher::new(&BlocklistsConfig::default());
        for url in [
            "file:///etc/passwd",
            "http://127.0.0.1:1/",
            "http://[::1]:1/",
        ] {
            let e = f.fetch(url).await.unwrap_err();
            assert!(e.is_refusal(), "{url}: {e}");
        }
    }
}
