//! Serving the dashboard's built files (a single-page app): which file a request path names,
//! its content type and caching headers, the SPA fallback to `index.html`, and the security
//! headers on HTML.
//!
//! Pure: the caller supplies the files through [`FileSource`] (the edge's `ui` component reads
//! its WASI mount, the agent a directory with symlink checks), so both serve exactly the same
//! responses and this module is tested without a file system.
//!
//! Rules:
//! - only `GET` and `HEAD` (others: `405` with `Allow`);
//! - `/api` and `/api/...` are not ours ([`serve`] returns `None`);
//! - percent-decoded segments; `..`, `.`, backslashes, NUL and encoded `/` are refused (`400`);
//!   hidden names (`.vite/`, `.env`) are never served (`404`);
//! - an existing file is served; a missing path whose last segment has an extension is a `404`
//!   (a missing script must not come back as HTML); any other path gets `index.html`, where the
//!   app's router takes over;
//! - no `index.html` at all: `503`, saying how to build the UI;
//! - hashed `assets/*` are cached for a year (`immutable`), everything else revalidates
//!   (`no-cache`) with a strong `ETag` (`If-None-Match` answers `304`);
//! - a client that reads gzip gets the build's precompressed twin of a file (`app.js.gz` beside
//!   `app.js`, written by `npm run build`) with `Content-Encoding: gzip` and its own `ETag`;
//!   every file answer says `Vary: Accept-Encoding`.

/// Where the built files come from.
pub trait FileSource {
    /// The bytes of the regular file at `rel` (a checked relative path such as
    /// `assets/index-3f2a.js`: no `..`, no leading `/`); `Ok(None)` when there is no such regular
    /// file. `Err` means the file exists but cannot be read: the implementation logs why, the
    /// client gets a bare `500`.
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String>;
}

/// The single-page app's entry point.
pub const INDEX: &str = "index.html";

/// Body of the `503` when the UI has not been built.
pub const NOT_BUILT: &str =
    "UI not built: run `npm ci && npm run build` in functions/ui/web (bash deploy/run.sh does it)\n";

/// The Content-Security-Policy sent with HTML.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/// The suffix of a file's precompressed twin.
pub const GZIP_TWIN: &str = ".gz";

/// Cache-Control for content-hashed assets (their name changes when their content does).
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Cache-Control for everything else: the browser revalidates with the ETag.
pub const CACHE_REVALIDATE: &str = "no-cache";

/// Where a request path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// `/api` or below: the API's, not the UI's.
    Api,
    /// `/` (or `/index.html`): the app's entry point.
    Index,
    /// A file path, relative to the root; when it is missing, `spa_fallback` says whether to
    /// serve `index.html` (no extension: an app route) or `404` (a missing asset).
    File {
        /// The checked relative path.
        rel: String,
        /// Serve `index.html` when the file does not exist.
        spa_fallback: bool,
    },
    /// A path with a hidden (dot) segment: build metadata such as `.vite/`, never served.
    Hidden,
    /// A path that tries to leave the root or is malformed.
    Refused(&'static str),
}

/// A response, ready for any HTTP stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(&'static str, String)>,
    /// The body (empty for `HEAD` and `304`).
    pub body: Vec<u8>,
}

impl StaticResponse {
    /// The value of header `name` (lowercase), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Maps a request path (without the query) to what it names.
pub fn resolve(path: &str) -> Resolution {
    if path == "/api" || path.starts_with("/api/") {
        return Resolution::Api;
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Resolution::Refused("the path must be absolute");
    };
    let decoded = match percent_decode(rest) {
        Ok(d) => d,
        Err(why) => return Resolution::Refused(why),
    };
    let mut segments = Vec::new();
    for segment in decoded.split('/') {
        match segment {
            // `//` and a trailing `/` add nothing.
            "" => continue,
            "." | ".." => return Resolution::Refused("'.' and '..' segments are not allowed"),
            s if s.contains(['\\', '\0']) => {
                return Resolution::Refused("backslashes and NUL are not allowed")
            }
            s => segments.push(s),
        }
    }
    if segments.iter().any(|s| s.starts_with('.')) {
        return Resolution::Hidden;
    }
    if segments.is_empty() || segments == [INDEX] {
        return Resolution::Index;
    }
    let rel = segments.join("/");
    let spa_fallback = extension(&rel).is_none();
    Resolution::File { rel, spa_fallback }
}

/// Percent-decodes a path; an encoded `/` is refused (it would change the segments).
fn percent_decode(s: &str) -> Result<String, &'static str> {
    if !s.contains('%') {
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("invalid percent-encoding")?;
            if hex == b'/' {
                return Err("an encoded '/' is not allowed");
            }
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the path is not UTF-8")
}

/// The extension of the last segment (lowercase match is the caller's), if it has one.
fn extension(rel: &str) -> Option<&str> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Some(ext),
        _ => None,
    }
}

/// The content type for a file name, by extension.
pub fn content_type(rel: &str) -> &'static str {
    let ext = extension(rel).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("avif") => "image/avif",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("txt") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Whether `rel` is a content-hashed build asset (Vite writes them to `assets/`).
pub fn is_hashed_asset(rel: &str) -> bool {
    rel.starts_with("assets/")
}

/// The headers for serving `rel` with entity tag `etag`.
pub fn headers_for(rel: &str, etag: &str) -> Vec<(&'static str, String)> {
    let ctype = content_type(rel);
    let cache = if is_hashed_asset(rel) {
        CACHE_IMMUTABLE
    } else {
        CACHE_REVALIDATE
    };
    let mut headers = vec![
        ("content-type", ctype.to_owned()),
        ("cache-control", cache.to_owned()),
        ("etag", etag.to_owned()),
        ("x-content-type-options", "nosniff".to_owned()),
    ];
    if ctype.starts_with("text/html") {
        headers.extend(html_security_headers());
    }
    headers
}

/// The security headers every HTML response carries.
pub fn html_security_headers() -> Vec<(&'static str, String)> {
    vec![
        ("content-security-policy", CSP.to_owned()),
        ("referrer-policy", "same-origin".to_owned()),
        ("x-frame-options", "DENY".to_owned()),
    ]
}

/// A strong entity tag from the content (FNV-1a, 64 bits, and the length): cheap, stable across
/// restarts and identical on every host serving the same build.
pub fn etag(body: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{:x}-{hash:016x}\"", body.len())
}

/// Whether an `If-None-Match` value matches `etag` (a list, weak tags compared weakly, `*`).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

/// The request, as far as serving files is concerned.
#[derive(Debug, Clone, Copy)]
pub struct StaticRequest<'a> {
    /// The method, uppercase.
    pub method: &'a str,
    /// The path, without the query.
    pub path: &'a str,
    /// The `If-None-Match` header, if any.
    pub if_none_match: Option<&'a str>,
    /// Whether the client reads gzip ([`crate::accept_encoding::accepts_gzip`]).
    pub accept_gzip: bool,
}

/// Answers one request from `source`; `None` for `/api` paths (not the UI's).
pub fn serve(req: StaticRequest<'_>, source: &impl FileSource) -> Option<StaticResponse> {
    let resolution = resolve(req.path);
    if resolution == Resolution::Api {
        return None;
    }
    let head = match req.method {
        "GET" => false,
        "HEAD" => true,
        _ => {
            let mut r = plain(405, "method not allowed: the UI serves GET and HEAD\n");
            r.headers.push(("allow", "GET, HEAD".to_owned()));
            return Some(r);
        }
    };
    // A client that reads gzip gets a file's twin, read instead of the file when there is one;
    // a twin that cannot be read is not sent.
    let load = |rel: &str| {
        let twin = req
            .accept_gzip
            .then(|| source.read(&format!("{rel}{GZIP_TWIN}")));
        match twin {
            Some(Ok(Some(packed))) => Ok(Some((packed, true))),
            _ => source.read(rel).map(|b| b.map(|b| (b, false))),
        }
    };
    let index = || load(INDEX).map(|f| f.map(|(b, gzipped)| (INDEX.to_owned(), b, gzipped)));
    let found = match resolution {
        Resolution::Api => return None,
        Resolution::Refused(why) => return Some(plain(400, &format!("bad path: {why}\n"))),
        Resolution::Hidden => return Some(plain(404, "no such file\n")),
        Resolution::Index => index(),
        Resolution::File { rel, spa_fallback } => match load(&rel) {
            Ok(Some((body, gzipped))) => Ok(Some((rel, body, gzipped))),
            Ok(None) if spa_fallback => index(),
            // A missing asset is a 404, unless nothing is built at all.
            Ok(None) => match index() {
                Ok(Some(_)) => return Some(plain(404, &format!("no such file: /{rel}\n"))),
                other => other,
            },
            Err(e) => Err(e),
        },
    };
    let (rel, body, gzipped) = match found {
        Ok(Some(file)) => file,
        Ok(None) => return Some(plain(503, NOT_BUILT)),
        Err(_) => return Some(plain(500, "cannot read the UI's files\n")),
    };
    let tag = etag(&body);
    let mut headers = headers_for(&rel, &tag);
    headers.push(("vary", "accept-encoding".to_owned()));
    if gzipped {
        headers.push(("content-encoding", "gzip".to_owned()));
    }
    if req.if_none_match.is_some_and(|v| matches_etag(v, &tag)) {
        return Some(StaticResponse {
            status: 304,
            headers,
            body: Vec::new(),
        });
    }
    Some(StaticResponse {
        status: 200,
        headers,
        body: if head { Vec::new() } else { body },
    })
}

fn plain(status: u16, text: &str) -> StaticResponse {
    StaticResponse {
        status,
        headers: vec![
            ("content-type", "text/plain; charset=utf-8".to_owned()),
            ("cache-control", "no-store".to_owned()),
            ("x-content-type-options", "nosniff".to_owned()),
        ],
        body: text.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Mem(BTreeMap<&'static str, &'static str>);

    impl FileSource for Mem {
        fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
            assert!(!rel.starts_with('/') && !rel.split('/').any(|s| s == ".."));
            if rel == "broken.txt" {
                return Err("permission denied".into());
            }
            Ok(self.0.get(rel).map(|s| s.as_bytes().to_vec()))
        }
    }

    fn built() -> Mem {
        Mem(BTreeMap::from([
            ("index.html", "<!doctype html><title>BanGUI</title>"),
            ("assets/index-abc123.js", "console.log(1)"),
            ("assets/index-abc123.css", "body{}"),
            ("favicon.svg", "<svg/>"),
        ]))
    }

    fn get(path: &str, source: &Mem) -> StaticResponse {
        serve(
            StaticRequest {
                method: "GET",
                path,
                if_none_match: None,
                accept_gzip: false,
            },
            source,
        )
        .expect("a UI path")
    }

    #[test]
    fn resolves_paths() {
        assert_eq!(resolve("/api"), Resolution::Api);
        assert_eq!(resolve("/api/v1/health"), Resolution::Api);
        assert_eq!(resolve("/"), Resolution::Index);
        assert_eq!(resolve("//index.html"), Resolution::Index);
        assert_eq!(
            resolve("/apis"),
            Resolution::File {
                rel: "apis".into(),
                spa_fallback: true
            }
        );
        assert_eq!(
            resolve("/assets//x.js"),
            Resolution::File {
                rel: "assets/x.js".into(),
                spa_fallback: false
            }
        );
        assert_eq!(
            resolve("/jails/my%20jail/"),
            Resolution::File {
                rel: "jails/my jail".into(),
                spa_fallback: true
            }
        );
        assert_eq!(resolve("/.hidden"), Resolution::Hidden);
        assert_eq!(resolve("/.vite/manifest.json"), Resolution::Hidden);
        assert_eq!(resolve("/assets/%2egit/x"), Resolution::Hidden);
        for bad in [
            "/../etc/passwd",
            "/assets/../../x",
            "/%2e%2e/x",
            "/a%2fb",
            "/a\\b",
            "/a%00",
            "/%zz",
            "/%ff",
            "relative",
            "/./x",
        ] {
            assert!(matches!(resolve(bad), Resolution::Refused(_)), "{bad}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("assets/a-1.JS"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("assets/a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("logo.svg"), "image/svg+xml");
        assert_eq!(content_type("f.woff2"), "font/woff2");
        assert_eq!(content_type("noext"), "application/octet-stream");
        assert_eq!(content_type(".bashrc"), "application/octet-stream");
    }

    #[test]
    fn index_carries_security_headers_and_revalidates() {
        let r = get("/", &built());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.header("content-security-policy"), Some(CSP));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("same-origin"));
        assert_eq!(r.header("cache-control"), Some(CACHE_REVALIDATE));
        assert!(r.body.starts_with(b"<!doctype html>"));
        assert_eq!(get("/index.html", &built()), r);
    }

    #[test]
    fn hashed_assets_are_immutable() {
        let r = get("/assets/index-abc123.js", &built());
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        assert_eq!(r.header("cache-control"), Some(CACHE_IMMUTABLE));
        assert_eq!(r.header("content-security-policy"), None);
        assert_eq!(r.body, b"console.log(1)");
        let r = get("/favicon.svg", &built());
        assert_eq!(r.header("cache-control"), Some(CACHE_REVALIDATE));
    }

    #[test]
    fn spa_fallback_and_missing_assets() {
        let index = get("/", &built());
        for route in ["/dashboard", "/jails/sshd", "/jails/sshd/", "/history?x=1"] {
            let path = route.split('?').next().unwrap();
            assert_eq!(get(path, &built()), index, "{route}");
        }
        for missing in ["/nonexistent.js", "/assets/gone-1.css", "/jails/x.y"] {
            let r = get(missing, &built());
            assert_eq!(r.status, 404, "{missing}");
            assert_eq!(r.header("cache-control"), Some("no-store"));
        }
        assert_eq!(get("/../x", &built()).status, 400);
        assert_eq!(get("/.vite/manifest.json", &built()).status, 404);
        assert_eq!(get("/broken.txt", &built()).status, 500);
    }

    #[test]
    fn api_paths_are_not_served() {
        let req = StaticRequest {
            method: "GET",
            path: "/api/v1/health",
            if_none_match: None,
            accept_gzip: false,
        };
        assert_eq!(serve(req, &built()), None);
    }

    #[test]
    fn head_post_and_conditional_requests() {
        let full = get("/assets/index-abc123.css", &built());
        let head = serve(
            StaticRequest {
                method: "HEAD",
                path: "/assets/index-abc123.css",
                if_none_match: None,
                accept_gzip: false,
            },
            &built(),
        )
        .unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.headers, full.headers);
        assert!(head.body.is_empty());

        let post = serve(
            StaticRequest {
                method: "POST",
                path: "/",
                if_none_match: None,
                accept_gzip: false,
            },
            &built(),
        )
        .unwrap();
        assert_eq!(post.status, 405);
        assert_eq!(post.header("allow"), Some("GET, HEAD"));

        let tag = full.header("etag").unwrap().to_owned();
        let conditional = |value: &str| {
            serve(
                StaticRequest {
                    method: "GET",
                    path: "/assets/index-abc123.css",
                    if_none_match: Some(value),
                    accept_gzip: false,
                },
                &built(),
            )
            .unwrap()
            .status
        };
        assert_eq!(conditional(&tag), 304);
        assert_eq!(conditional(&format!("\"x\", W/{tag}")), 304);
        assert_eq!(conditional("\"other\""), 200);
    }

    #[test]
    fn a_client_that_reads_gzip_gets_the_precompressed_twin() {
        let mut files = built();
        files.0.insert("assets/index-abc123.js.gz", "packed js");
        files.0.insert("index.html.gz", "packed html");
        let ask = |path: &'static str, accept_gzip: bool, if_none_match: Option<&str>| {
            serve(
                StaticRequest {
                    method: "GET",
                    path,
                    if_none_match,
                    accept_gzip,
                },
                &files,
            )
            .unwrap()
        };
        let packed = ask("/assets/index-abc123.js", true, None);
        assert_eq!(packed.body, b"packed js");
        assert_eq!(packed.header("content-encoding"), Some("gzip"));
        assert_eq!(packed.header("vary"), Some("accept-encoding"));
        assert_eq!(
            packed.header("content-type"),
            Some("text/javascript; charset=utf-8")
        );
        let plain = ask("/assets/index-abc123.js", false, None);
        assert_eq!(plain.body, b"console.log(1)");
        assert_eq!(plain.header("content-encoding"), None);
        assert_eq!(plain.header("vary"), Some("accept-encoding"));
        // Each form has its own tag: a cache holding one never takes it for the other.
        let tag = packed.header("etag").unwrap();
        assert_ne!(Some(tag), plain.header("etag"));
        assert_eq!(ask("/assets/index-abc123.js", true, Some(tag)).status, 304);
        assert_eq!(ask("/assets/index-abc123.js", false, Some(tag)).status, 200);
        // The app's routes fall back to the index's twin, with its security headers.
        let route = ask("/jails", true, None);
        assert_eq!(route.body, b"packed html");
        assert_eq!(route.header("x-frame-options"), Some("DENY"));
        // A file without a twin goes out as it is.
        let css = ask("/assets/index-abc123.css", true, None);
        assert_eq!(
            (css.body.as_slice(), css.header("content-encoding")),
            (&b"body{}"[..], None)
        );
    }

    #[test]
    fn unbuilt_ui_answers_503() {
        let empty = Mem(BTreeMap::new());
        for path in ["/", "/dashboard", "/assets/index-abc123.js"] {
            let r = get(path, &empty);
            assert_eq!(r.status, 503, "{path}");
            assert!(String::from_utf8_lossy(&r.body).contains("npm run build"));
        }
    }

    #[test]
    fn etags_follow_content() {
        assert_eq!(etag(b"abc"), etag(b"abc"));
        assert_ne!(etag(b"abc"), etag(b"abd"));
        assert!(etag(b"").starts_with("\"0-"));
    }
}
