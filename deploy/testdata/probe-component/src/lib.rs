//! Test fixture for `bangui-devhost` (not part of the product): a spin-sdk 5.2 component that
//! reports what it sees and makes outbound requests on demand.
//!
//! Request headers it understands:
//! - `x-probe-vars: a,b` — read these component variables;
//! - `x-probe-fetch: URL [URL…]` — GET every URL concurrently (one joined future) and report
//!   each status and body, or the error;
//! - `x-probe-read: PATH [PATH…]` — read these files of the WASI file system (`files` mounts);
//! - `x-probe-write: PATH` — try to create this file (mounts must be read-only).
//!
//! Response: `200` with a JSON object `{method, uri, path, headers, vars, fetch, files, write,
//! calls}`; `calls` counts the requests this instance has served (1 in a fresh instance);
//! `headers` maps each lowercase header name to its value; `files` maps each read path to
//! `{ok: text}` or `{err}`, `write` is `{ok: true}`, `{err}` or null.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{json, Value};
use spin_sdk::http::{Request, Response};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

// The export exists only in the wasm build: the host build of the workspace compiles the
// handler but cannot link a `wasi:http` export into a `.so`.
#[cfg_attr(target_arch = "wasm32", http_component)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
async fn handle(req: Request) -> Response {
    static CALLS: AtomicU32 = AtomicU32::new(0);
    let calls = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
    let headers: BTreeMap<String, String> = req
        .headers()
        .map(|(k, v)| (k.to_string(), v.as_str().unwrap_or("<binary>").to_string()))
        .collect();
    let mut vars = serde_json::Map::new();
    if let Some(names) = headers.get("x-probe-vars") {
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let value = match spin_sdk::variables::get(name) {
                Ok(v) => json!({ "ok": v }),
                Err(e) => json!({ "err": format!("{e:?}") }),
            };
            vars.insert(name.to_string(), value);
        }
    }
    let mut fetch = Vec::new();
    if let Some(urls) = headers.get("x-probe-fetch") {
        let sends = urls.split_whitespace().map(|url| async move {
            let request = Request::get(url).build();
            match spin_sdk::http::send::<_, Response>(request).await {
                Ok(resp) => json!({
                    "url": url,
                    "status": *resp.status(),
                    "body": String::from_utf8_lossy(resp.body()),
                }),
                Err(e) => json!({ "url": url, "err": format!("{e:?}") }),
            }
        });
        fetch = futures::future::join_all(sends).await;
    }
    let mut files = serde_json::Map::new();
    if let Some(paths) = headers.get("x-probe-read") {
        for path in paths.split_whitespace() {
            let value = match std::fs::read_to_string(path) {
                Ok(text) => json!({ "ok": text }),
                Err(e) => json!({ "err": e.to_string() }),
            };
            files.insert(path.to_string(), value);
        }
    }
    let write = headers.get("x-probe-write").map(|path| {
        match std::fs::write(path.trim(), "written by the probe") {
            Ok(()) => json!({ "ok": true }),
            Err(e) => json!({ "err": e.to_string() }),
        }
    });
    let body: Value = json!({
        "method": format!("{:?}", req.method()),
        "uri": req.uri(),
        "path": req.path(),
        "headers": headers,
        "vars": vars,
        "fetch": fetch,
        "files": files,
        "write": write,
        "calls": calls,
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}
