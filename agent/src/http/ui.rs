//! The web dashboard in agent-only mode: with `[ui] dir` set, the user listener answers every
//! non-API `GET`/`HEAD` from the built files, exactly as the edge's `ui` component does (same
//! `bangui_shared::static_files` rules); everything else goes to the API filter unchanged.
//! The edge listener never serves files.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bangui_shared::static_files::{self, FileSource, StaticRequest, StaticResponse};
use warp::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use warp::reply::Response;
use warp::Filter;

use super::encoding::reads_gzip;
use crate::state::AppState;

/// The API filter, preceded by the dashboard's files when `[ui] dir` is configured.
pub fn with_dashboard(
    state: Arc<AppState>,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    let root = warp::any().map({
        let root = state.config.ui.dir.clone().map(Arc::new);
        move || root.clone()
    });
    let files = root
        .and(warp::method())
        .and(warp::path::full())
        .and(warp::header::headers_cloned())
        .and_then(serve_file);
    files.or(super::api(state)).unify()
}

/// Answers a `GET`/`HEAD` outside `/api` from `root`; rejects everything else (the API's).
async fn serve_file(
    root: Option<Arc<PathBuf>>,
    method: Method,
    path: warp::path::FullPath,
    headers: HeaderMap,
) -> Result<Response, warp::Rejection> {
    let root = match root {
        Some(root) if method == Method::GET || method == Method::HEAD => root,
        _ => return Err(warp::reject::not_found()),
    };
    let path = path.as_str().to_owned();
    // File reads block: keep them off the async workers.
    let served = tokio::task::spawn_blocking(move || {
        let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let request = StaticRequest {
            method: method.as_str(),
            path: &path,
            if_none_match: text(header::IF_NONE_MATCH),
            accept_gzip: reads_gzip(&headers),
        };
        static_files::serve(request, &Dir::new(&root)).map(|r| (path, r))
    })
    .await
    .map_err(|_| warp::reject::not_found())?;
    match served {
        Some((path, r)) => {
            tracing::debug!(path, status = r.status, "ui file");
            Ok(response(r))
        }
        None => Err(warp::reject::not_found()),
    }
}

/// The files under a directory; a path that resolves (through symlinks) outside it is treated
/// as missing.
struct Dir<'a> {
    root: &'a Path,
}

impl<'a> Dir<'a> {
    fn new(root: &'a Path) -> Self {
        Self { root }
    }

    /// The canonical path of `rel` when it is a regular file inside the root.
    fn locate(&self, rel: &str) -> Option<PathBuf> {
        // No root (the UI is not built) means no files.
        let root = self.root.canonicalize().ok()?;
        let full = match root.join(rel).canonicalize() {
            Ok(p) => p,
            Err(e) => {
                if e.kind() != ErrorKind::NotFound {
                    tracing::debug!(rel, error = %e, "ui file not resolvable");
                }
                return None;
            }
        };
        if !full.starts_with(&root) {
            tracing::warn!(rel, target = %full.display(), "ui file refused: it leaves ui.dir");
            return None;
        }
        full.metadata().ok()?.is_file().then_some(full)
    }
}

impl FileSource for Dir<'_> {
    fn read(&self, rel: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(path) = self.locate(rel) else {
            return Ok(None);
        };
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cannot read ui file");
                Err(e.to_string())
            }
        }
    }
}

fn response(r: StaticResponse) -> Response {
    let mut response = Response::new(r.body.into());
    *response.status_mut() =
        StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    for (name, value) in r.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_files_inside_the_root_only() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        let root = dir.path().join("dist");
        std::fs::create_dir_all(root.join("assets")).unwrap();
        std::fs::write(root.join("index.html"), "<!doctype html>").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            root.join("assets/leak.txt"),
        )
        .unwrap();
        let d = Dir::new(&root);
        assert_eq!(d.read("index.html"), Ok(Some(b"<!doctype html>".to_vec())));
        assert_eq!(d.read("out/secret.txt"), Ok(None));
        assert_eq!(d.read("assets/leak.txt"), Ok(None));
        assert_eq!(d.read("assets"), Ok(None));
        assert_eq!(d.read("index.html/x"), Ok(None));
        assert_eq!(
            Dir::new(&dir.path().join("none")).read("index.html"),
            Ok(None)
        );
    }
}
