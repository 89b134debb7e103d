//! HTTP routing the way Spin's `spin-http-routes` crate does it, on the same `routefinder`
//! matcher, and the `spin-*` headers Spin's trigger adds for the component.
//!
//! - `/exact` matches only that path; `/x/...` matches `/x`, `/x/` and everything below;
//!   `:name` matches one segment; `/...` matches everything.
//! - The most specific route wins (routefinder orders `Exact > Param > Wildcard`), so exact
//!   routes beat wildcards and longer prefixes beat shorter ones.
//! - A route is normalised like Spin's: made absolute, one trailing `/` stripped; `/...` becomes
//!   routefinder's `/*`. When two entries have the same route, the later one wins (Spin warns).
//! - `{ private = true }` routes are not routable.

use std::net::SocketAddr;

use http::header::{HeaderName, HeaderValue};

/// A route that could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Error parsing route {route} associated with component {component}: {reason}")]
pub struct RouteError {
    route: String,
    component: String,
    reason: String,
}

#[derive(Debug, Clone)]
struct Handler {
    /// Index of the component in the host's component list.
    component: usize,
    /// Its `spin-*` headers that do not depend on the request, made once.
    fixed: RouteHeaders,
}

/// The `spin-*` header values that come from the route alone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RouteHeaders {
    /// The normalised route (Spin's "based route"; the base is always `/` since Spin 3).
    matched_route: Option<HeaderValue>,
    /// The route as written in the manifest.
    raw_component_route: Option<HeaderValue>,
    /// The route as written, without a trailing `/...`.
    component_route: Option<HeaderValue>,
}

impl RouteHeaders {
    /// A route that is not a valid header value (non-ASCII) gets no header, as before.
    fn new(based_route: &str, raw_route: &str) -> Self {
        let value = |v: &str| HeaderValue::from_str(v).ok();
        Self {
            matched_route: value(based_route),
            raw_component_route: value(raw_route),
            component_route: value(raw_route.strip_suffix("/...").unwrap_or(raw_route)),
        }
    }
}

/// The route table.
#[derive(Debug, Default)]
pub struct Router {
    inner: routefinder::Router<Handler>,
}

/// The result of routing one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'a> {
    /// Index of the component that handles the request.
    pub component: usize,
    /// `:name` captures in route order (`spin-path-match-<name>`).
    pub named: Vec<(String, String)>,
    /// The part under a trailing wildcard, Spin style (`spin-path-info`).
    pub path_info: String,
    fixed: &'a RouteHeaders,
}

impl Router {
    /// Builds the table from `(route, component index, component id)` entries.
    ///
    /// Returns the table and the routes that were given twice (the later entry wins).
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, usize, &'a str)>,
    ) -> Result<(Self, Vec<String>), RouteError> {
        // Keep the manifest order, later duplicates replace earlier ones (Spin: IndexMap).
        let mut entries: Vec<(String, usize, String)> = Vec::new();
        let mut duplicates = Vec::new();
        for (raw, component, id) in routes {
            if let Some(existing) = entries.iter_mut().find(|e| e.0 == raw) {
                duplicates.push(raw.to_string());
                existing.1 = component;
                existing.2 = id.to_string();
            } else {
                entries.push((raw.to_string(), component, id.to_string()));
            }
        }
        let mut inner = routefinder::Router::new();
        for (raw, component, id) in entries {
            let based_route = sanitize(&raw);
            let spec = match based_route.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => based_route.clone(),
            };
            let handler = Handler {
                component,
                fixed: RouteHeaders::new(&based_route, &raw),
            };
            inner.add(spec, handler).map_err(|reason| RouteError {
                route: based_route,
                component: id,
                reason,
            })?;
        }
        Ok((Self { inner }, duplicates))
    }

    /// Routes a request path; `None` means 404.
    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let m = self.inner.best_match(path)?;
        let handler = m.handler();
        let captures = m.captures();
        let named = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Spin has always kept trailing slashes in the path info; routefinder drops them.
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some(w) => match (w.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{w}"),
                (false, true) => format!("/{w}/"),
            },
        };
        Some(RouteMatch {
            component: handler.component,
            named,
            path_info,
            fixed: &handler.fixed,
        })
    }

    /// Number of routes in the table.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

/// Spin's `sanitize_with_base("/", route)`: absolute, one trailing slash stripped.
fn sanitize(route: &str) -> String {
    let absolute = if route.starts_with('/') {
        route.to_string()
    } else {
        format!("/{route}")
    };
    match absolute.strip_suffix('/') {
        Some(s) => s.to_string(),
        None => absolute,
    }
}

/// The headers Spin's HTTP trigger adds for a matched request, in Spin's order
/// (`spin-trigger-http` `compute_default_headers`). A value that is not a valid header value is
/// left out.
///
/// `host` is the request's `Host` header (Spin uses `localhost` when there is none) and
/// `path_and_query` the request target.
pub fn spin_headers(
    scheme: &str,
    host: &str,
    path_and_query: &str,
    route: &RouteMatch<'_>,
    client_addr: SocketAddr,
) -> Vec<(HeaderName, HeaderValue)> {
    let value = |v: String| HeaderValue::try_from(v).ok();
    let fixed = route.fixed;
    let mut headers: Vec<(HeaderName, Option<HeaderValue>)> = vec![
        (
            HeaderName::from_static("spin-path-info"),
            value(route.path_info.clone()),
        ),
        (
            HeaderName::from_static("spin-full-url"),
            value(format!("{scheme}://{host}{path_and_query}")),
        ),
        (
            HeaderName::from_static("spin-matched-route"),
            fixed.matched_route.clone(),
        ),
        (
            HeaderName::from_static("spin-base-path"),
            Some(HeaderValue::from_static("/")),
        ),
        (
            HeaderName::from_static("spin-raw-component-route"),
            fixed.raw_component_route.clone(),
        ),
        (
            HeaderName::from_static("spin-component-route"),
            fixed.component_route.clone(),
        ),
        (
            HeaderName::from_static("spin-client-addr"),
            value(client_addr.to_string()),
        ),
    ];
    for (name, captured) in &route.named {
        // Spin builds SPIN_PATH_MATCH_<NAME> and lowercases it, turning `_` into `-`.
        let header = format!(
            "spin-path-match-{}",
            name.to_ascii_lowercase().replace('_', "-")
        );
        if let Ok(header) = HeaderName::try_from(header) {
            headers.push((header, value(captured.clone())));
        }
    }
    headers
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect()
}

/// Looks up a `:name` capture.
pub fn named_capture<'a>(named: &'a [(String, String)], name: &str) -> Option<&'a str> {
    named
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, usize)]) -> Router {
        Router::build(routes.iter().map(|(r, c)| (*r, *c, "c")))
            .unwrap()
            .0
    }

    #[test]
    fn exact_route() {
        let r = router(&[("/foo", 0)]);
        let m = r.route("/foo").unwrap();
        assert_eq!(m.component, 0);
        assert_eq!(m.path_info, "");
        assert!(r.route("/foo/bar").is_none());
        assert!(r.route("/bar").is_none());
    }

    #[test]
    fn wildcard_route_and_path_info() {
        let r = router(&[("/foo/...", 0)]);
        assert_eq!(r.route("/foo").unwrap().path_info, "");
        assert_eq!(r.route("/foo/").unwrap().path_info, "/");
        assert_eq!(r.route("/foo/bar").unwrap().path_info, "/bar");
        assert_eq!(r.route("/foo/bar/").unwrap().path_info, "/bar/");
        assert_eq!(r.route("/foo/a/b").unwrap().path_info, "/a/b");
        assert!(r.route("/foobar").is_none());
    }

    #[test]
    fn exact_beats_wildcard_and_longest_prefix_wins() {
        let r = router(&[
            ("/...", 0),
            ("/api/...", 1),
            ("/api/v1/auth/...", 2),
            ("/api/v1/auth/login", 3),
        ]);
        assert_eq!(r.route("/").unwrap().component, 0);
        assert_eq!(r.route("/other").unwrap().component, 0);
        assert_eq!(r.route("/api/x").unwrap().component, 1);
        assert_eq!(r.route("/api/v1/auth/session").unwrap().component, 2);
        assert_eq!(r.route("/api/v1/auth/login").unwrap().component, 3);
        assert_eq!(r.route("/api/v1/auth").unwrap().component, 2);
    }

    #[test]
    fn params_are_captured() {
        let r = router(&[("/users/:userid/cart/...", 0)]);
        let m = r.route("/users/42/cart/items/3/edit").unwrap();
        assert_eq!(named_capture(&m.named, "userid"), Some("42"));
        assert_eq!(m.path_info, "/items/3/edit");
        assert_eq!(
            m.fixed.component_route,
            Some(HeaderValue::from_static("/users/:userid/cart"))
        );
        let r = router(&[("/users/:userid/edit", 0)]);
        assert!(r.route("/users/1").is_none());
        assert!(r.route("/users/1/edit/x").is_none());
    }

    #[test]
    fn trailing_slash_and_relative_routes_are_normalised() {
        let r = router(&[("foo/", 0)]);
        let m = r.route("/foo").unwrap();
        assert_eq!(
            m.fixed.matched_route,
            Some(HeaderValue::from_static("/foo"))
        );
        assert_eq!(
            m.fixed.raw_component_route,
            Some(HeaderValue::from_static("foo/"))
        );
    }

    #[test]
    fn later_duplicate_wins() {
        let (r, dups) = Router::build([("/a", 0, "x"), ("/a", 1, "y")]).unwrap();
        assert_eq!(dups, ["/a"]);
        assert_eq!(r.route("/a").unwrap().component, 1);
        assert_eq!(r.len(), 1);
    }

    /// The workspace's own `spin.toml`: the UI's catch-all `/...` never shadows an API route.
    #[test]
    fn the_apps_ui_route_is_the_least_specific() {
        let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../spin.toml"));
        let manifest = crate::manifest::Manifest::load(path).unwrap();
        let routes = manifest.http_routes(path).unwrap();
        let ids: Vec<&str> = routes.iter().map(|r| r.component.as_str()).collect();
        let (router, _) = Router::build(
            routes
                .iter()
                .enumerate()
                .map(|(i, r)| (r.route.as_str(), i, r.component.as_str())),
        )
        .unwrap();
        let reaches = |p: &str| ids[router.route(p).unwrap().component];
        for (p, id) in [
            ("/api/v1/health", "health"),
            ("/api/v1/hosts", "health"),
            ("/api/v1/nosuch", "health"),
            ("/api/v1/jails/sshd", "jails"),
            ("/api/v1/config/jails/sshd", "jail-config"),
            ("/", "ui"),
            ("/dashboard", "ui"),
            ("/jails/sshd", "ui"),
            ("/assets/x.js", "ui"),
            ("/index.html", "ui"),
        ] {
            assert_eq!(reaches(p), id, "{p}");
        }
    }

    #[test]
    fn headers_match_spin() {
        let r = router(&[("/foo/:userid/...", 0)]);
        let m = r.route("/foo/42/bar").unwrap();
        let h = spin_headers(
            "https",
            "fermyon.dev",
            "/foo/42/bar?key1=value1",
            &m,
            "127.0.0.1:8777".parse().unwrap(),
        );
        let get = |n: &str| {
            h.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.to_str().unwrap())
        };
        assert_eq!(
            get("spin-full-url"),
            Some("https://fermyon.dev/foo/42/bar?key1=value1")
        );
        assert_eq!(get("spin-path-info"), Some("/bar"));
        assert_eq!(get("spin-matched-route"), Some("/foo/:userid/..."));
        assert_eq!(get("spin-raw-component-route"), Some("/foo/:userid/..."));
        assert_eq!(get("spin-component-route"), Some("/foo/:userid"));
        assert_eq!(get("spin-base-path"), Some("/"));
        assert_eq!(get("spin-client-addr"), Some("127.0.0.1:8777"));
        assert_eq!(get("spin-path-match-userid"), Some("42"));
    }
}
