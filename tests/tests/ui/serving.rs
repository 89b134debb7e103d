//! The built files at the HTTP level, through the edge and in agent-only mode: the same rules
//! (`bangui_shared::static_files`) in both, and every `/api/v1` route still reaches the API.

use bangui_shared::static_files::{CACHE_IMMUTABLE, CACHE_REVALIDATE, CSP};
use bangui_tests::{assert_status, ApiClient, Fleet, FleetOptions, Response};
use reqwest::Method;

use crate::support::{require_build, some_script};

async fn send(api: &ApiClient, method: Method, path: &str, etag: Option<&str>) -> Response {
    let mut request = api.http().request(method, api.url(path));
    if let Some(tag) = etag {
        request = request.header("if-none-match", tag);
    }
    api.send(request).await
}

#[track_caller]
fn assert_header(r: &Response, name: &str, value: &str, what: &str) {
    assert_eq!(r.header(name), Some(value), "{what}: {name}");
}

/// Every check of one shape (`what` names it in failures).
async fn check(what: &str, api: &ApiClient, index: &str, script: &(String, Vec<u8>)) {
    let r = send(api, Method::GET, "/", None).await;
    assert_status(&r, 200);
    assert_eq!(r.text, index, "{what}: GET / is index.html");
    assert_header(&r, "content-type", "text/html; charset=utf-8", what);
    assert_header(&r, "content-security-policy", CSP, what);
    assert_header(&r, "x-content-type-options", "nosniff", what);
    assert_header(&r, "referrer-policy", "same-origin", what);
    assert_header(&r, "cache-control", CACHE_REVALIDATE, what);

    // App routes get the app; its router takes over.
    for path in ["/dashboard", "/jails/sshd", "/history/", "/index.html"] {
        let r = send(api, Method::GET, path, None).await;
        assert_status(&r, 200);
        assert_eq!(r.text, index, "{what}: {path}");
        assert_header(&r, "content-security-policy", CSP, what);
    }

    let (rel, bytes) = script;
    let path = format!("/{rel}");
    let r = send(api, Method::GET, &path, None).await;
    assert_status(&r, 200);
    assert_eq!(r.text.as_bytes(), bytes.as_slice(), "{what}: {path}");
    assert_header(&r, "content-type", "text/javascript; charset=utf-8", what);
    assert_header(&r, "cache-control", CACHE_IMMUTABLE, what);
    assert_eq!(
        r.header("content-security-policy"),
        None,
        "{what}: CSP on JS"
    );
    let etag = r.header("etag").expect("an ETag").to_owned();

    let head = send(api, Method::HEAD, &path, None).await;
    assert_status(&head, 200);
    assert!(head.text.is_empty(), "{what}: HEAD has no body");
    // A HEAD Content-Length, if any, must be the GET body's (never a misleading 0).
    let full = bytes.len().to_string();
    let length = head.header("content-length");
    assert!(
        length.is_none() || length == Some(full.as_str()),
        "{what}: {length:?}"
    );
    assert_header(
        &head,
        "content-type",
        "text/javascript; charset=utf-8",
        what,
    );

    let again = send(api, Method::GET, &path, Some(&etag)).await;
    assert_status(&again, 304);
    assert!(again.text.is_empty(), "{what}: 304 has no body");

    // A browser that reads gzip gets the build's precompressed twin, which decodes to the file.
    let request = api
        .http()
        .get(api.url(&path))
        .header("accept-encoding", "gzip, deflate, br, zstd");
    let packed = api.send(request).await;
    assert_status(&packed, 200);
    assert_header(&packed, "content-encoding", "gzip", what);
    assert_header(&packed, "vary", "accept-encoding", what);
    assert_header(
        &packed,
        "content-type",
        "text/javascript; charset=utf-8",
        what,
    );
    assert_eq!(
        packed.text.as_bytes(),
        bytes.as_slice(),
        "{what}: {path} gzipped"
    );
    assert!(
        packed.wire_len * 2 < bytes.len(),
        "{what}: {} bytes gzipped, {} plain",
        packed.wire_len,
        bytes.len()
    );
    assert_ne!(
        packed.header("etag"),
        Some(etag.as_str()),
        "{what}: one tag per form"
    );

    // A missing asset is not HTML; hidden build metadata is never served.
    for missing in [
        "/nonexistent.js",
        "/assets/nonexistent-0000.css",
        "/.vite/manifest.json",
    ] {
        let r = send(api, Method::GET, missing, None).await;
        assert_status(&r, 404);
        assert!(!r.text.contains("<html"), "{what}: {missing}");
    }
    // An encoded '/' would change the path's segments.
    assert_status(
        &send(api, Method::GET, "/assets%2f..%2fx.js", None).await,
        400,
    );

    // The API is untouched.
    let r = send(api, Method::GET, "/api/v1/health", None).await;
    assert_status(&r, 200);
    assert_header(&r, "content-type", "application/json", what);
    assert!(
        r.json["status"].is_string(),
        "{what}: health body {}",
        r.text
    );
    let r = send(api, Method::GET, "/api/v1/nosuch", None).await;
    assert_status(&r, 404);
    assert!(
        r.json["code"].is_string(),
        "{what}: API 404 body {}",
        r.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_edge_and_agent_only_mode_serve_the_same_files() {
    let dist = require_build();
    let _one = crate::exclusive().await;
    let fleet = Fleet::start_opts(
        1,
        &FleetOptions {
            skip_setup: true,
            ui_dir: Some(dist.clone()),
            ..FleetOptions::default()
        },
    );
    let index = std::fs::read_to_string(dist.join("index.html")).expect("index.html");
    let script = some_script(&dist);

    check("edge", &fleet.devhost, &index, &script).await;
    check("agent-only", &fleet.control().agent, &index, &script).await;

    // Other methods: the edge's component refuses them; on the agent they are API requests.
    let r = send(&fleet.devhost, Method::POST, "/", None).await;
    assert_status(&r, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    let r = send(&fleet.control().agent, Method::POST, "/", None).await;
    assert_status(&r, 404);
    assert!(r.json["code"].is_string(), "agent API 404: {}", r.text);
}
