//! The Spin component that serves the web dashboard (`functions/ui/web`, built to `dist/`).
//!
//! spin.toml mounts the build output at `/` (`files = [{ source = "functions/ui/web/dist",
//! destination = "/" }]`) and routes `/...` here, the least specific route, so every `/api/v1`
//! route still reaches its group's component. Which file a path names, the SPA fallback and
//! the headers are `bangui_shared::static_files`'s, shared with the agent's agent-only mode.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use bangui_shared::accept_encoding::accepts_gzip;
use bangui_shared::static_files::{self, FileSource, StaticRequest};
use spin_sdk::http::{Method, Request, Response};
#[cfg(target_arch = "wasm32")]
use spin_sdk::http_component;

/// The files under a directory of the component's WASI file system.
struct Mount {
    root: PathBuf,
}

impl FileSource for Mount {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let path = self.root.join(rel);
        // No mount (UI not built) or no such entry: both mean "not there".
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            _ => return Ok(None),
        }
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => {
                let message = format!("cannot read {}: {e}", path.display());
                eprintln!("ui: {message}");
                Err(message)
            }
        }
    }
}

fn method_name(method: &Method) -> &str {
    match method {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Delete => "DELETE",
        Method::Patch => "PATCH",
        Method::Options => "OPTIONS",
        Method::Connect => "CONNECT",
        Method::Trace => "TRACE",
        Method::Other(other) => other,
    }
}

/// Answers one request from the files under `root`.
fn respond(req: &Request, root: &Path) -> Response {
    let request = StaticRequest {
        method: method_name(req.method()),
        path: req.path(),
        if_none_match: req.header("if-none-match").and_then(|v| v.as_str()),
        accept_gzip: accepts_gzip(
            req.headers()
                .filter(|(name, _)| name.eq_ignore_ascii_case("accept-encoding"))
                .filter_map(|(_, value)| value.as_str()),
        ),
    };
    let mount = Mount {
        root: root.to_owned(),
    };
    match static_files::serve(request, &mount) {
        Some(r) => {
            let mut builder = Response::builder();
            builder.status(r.status);
            for (name, value) in &r.headers {
                builder.header(*name, value.as_str());
            }
            builder.body(r.body).build()
        }
        // `/api` paths outside `/api/v1` (those have their own catch-all route).
        None => Response::builder()
            .status(404)
            .header("content-type", "text/plain; charset=utf-8")
            .body("not found\n")
            .build(),
    }
}

#[cfg_attr(target_arch = "wasm32", http_component)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
async fn handle(req: Request) -> Response {
    respond(&req, Path::new("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str) -> Request {
        Request::builder()
            .method(method)
            .uri(format!("http://ui.test{path}"))
            .build()
    }

    fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
        r.header(name).and_then(|v| v.as_str())
    }

    #[test]
    fn serves_a_build_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html>").unwrap();
        std::fs::write(dir.path().join("assets/app-1.js"), "x").unwrap();

        let r = respond(&request(Method::Get, "/jails/sshd"), dir.path());
        assert_eq!(*r.status(), 200);
        assert_eq!(r.body(), b"<!doctype html>");
        assert!(header(&r, "content-security-policy").is_some());

        let r = respond(&request(Method::Get, "/assets/app-1.js"), dir.path());
        assert_eq!(
            header(&r, "cache-control"),
            Some(static_files::CACHE_IMMUTABLE)
        );
        let r = respond(&request(Method::Head, "/assets/app-1.js"), dir.path());
        assert_eq!(*r.status(), 200);
        assert!(r.body().is_empty());

        // A directory is not a file: `assets` has no extension, so the app gets it.
        let r = respond(&request(Method::Get, "/assets"), dir.path());
        assert_eq!(r.body(), b"<!doctype html>");
        assert_eq!(
            *respond(&request(Method::Get, "/assets/none.js"), dir.path()).status(),
            404
        );
        assert_eq!(
            *respond(&request(Method::Get, "/api/v2/x"), dir.path()).status(),
            404
        );
    }

    #[test]
    fn missing_build_is_503() {
        let dir = tempfile::tempdir().unwrap();
        let r = respond(&request(Method::Get, "/"), &dir.path().join("dist"));
        assert_eq!(*r.status(), 503);
        assert!(String::from_utf8_lossy(r.body()).contains("npm run build"));
    }
}
