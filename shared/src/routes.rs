//! The route table of API v1 as data, and a pure matcher over it.
//!
//! [`ROUTES`] is the single list of routes (`spec/routes.txt`, in spec order): the agent's router,
//! the edge components, the `spin.toml` checks and the end-to-end tests all read it, so a route is
//! added in exactly one place. [`match_route`] resolves a method and a path against it: segment by
//! segment, a literal segment beating a `{param}` at the same position.

use std::fmt;
use std::str::FromStr;

use crate::error::{ApiError, ErrorCode};
use crate::validate::quoted;

/// An HTTP method used by the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`: reads.
    Get,
    /// `POST`: creations and commands.
    Post,
    /// `PUT`: updates.
    Put,
    /// `DELETE`: removals.
    Delete,
}

/// A router group: one Spin component (and one agent router module) per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// `/api/v1/auth*`: login, session check, logout.
    Auth,
    /// `/api/v1/setup*`: first-run setup.
    Setup,
    /// `/api/v1/health`.
    Health,
    /// `/api/v1/dashboard*`.
    Dashboard,
    /// `/api/v1/bans*`.
    Bans,
    /// `/api/v1/jails*`: runtime jail control.
    Jails,
    /// `/api/v1/history*`.
    History,
    /// `/api/v1/geo*`.
    Geo,
    /// `/api/v1/server*`.
    Server,
    /// `/api/v1/config*` except jails, filters and actions.
    Config,
    /// `/api/v1/config/jails*`.
    JailConfig,
    /// `/api/v1/config/filters*`.
    FilterConfig,
    /// `/api/v1/config/actions*`.
    ActionConfig,
    /// `/api/v1/blocklists*`.
    Blocklists,
}

/// One route of the API: method, path pattern, router group and the statuses the spec lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, parameters in braces: `"/api/v1/jails/{name}"`.
    pub pattern: &'static str,
    /// The router group that serves the route.
    pub group: Group,
    /// The status codes the spec lists for the route, in spec order.
    pub statuses: &'static [u16],
    /// `true` when the route needs no session (login, setup, health).
    pub public: bool,
}

/// The outcome of [`match_route`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteMatch {
    /// The route, with its path parameters (percent-decoded, non-empty) in pattern order.
    Found {
        /// The matched route.
        route: &'static Route,
        /// `(name, value)` for each `{name}` of the pattern.
        params: Vec<(&'static str, String)>,
    },
    /// The path exists, but not with this method: answer 405 with an `Allow` header.
    MethodNotAllowed {
        /// The methods the path does accept, in [`Method::ALL`] order.
        allowed: Vec<Method>,
    },
    /// No route has this path: answer 404.
    NotFound,
}

// === impl Method ===

impl Method {
    /// Every method the API uses.
    pub const ALL: &'static [Method] = &[Self::Get, Self::Post, Self::Put, Self::Delete];

    /// The method as sent on the wire: `"GET"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Parses a wire method. Methods are case-sensitive (RFC 9110), so only `"GET"` etc. are
/// accepted. Any other method is a 405 `method_not_allowed`; a caller that wants 404 for an
/// unknown path checks [`allowed_methods`] first.
impl FromStr for Method {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        Self::ALL
            .iter()
            .copied()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::MethodNotAllowed,
                    format!("method {} is not used by this API", quoted(s)),
                )
            })
    }
}

// === impl Group ===

impl Group {
    /// Every group, in spec order.
    pub const ALL: &'static [Group] = &[
        Self::Auth,
        Self::Setup,
        Self::Health,
        Self::Dashboard,
        Self::Bans,
        Self::Jails,
        Self::History,
        Self::Geo,
        Self::Server,
        Self::Config,
        Self::JailConfig,
        Self::FilterConfig,
        Self::ActionConfig,
        Self::Blocklists,
    ];

    /// The group's name, also the name of its component: `"auth"`, `"jail_config"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Setup => "setup",
            Self::Health => "health",
            Self::Dashboard => "dashboard",
            Self::Bans => "bans",
            Self::Jails => "jails",
            Self::History => "history",
            Self::Geo => "geo",
            Self::Server => "server",
            Self::Config => "config",
            Self::JailConfig => "jail_config",
            Self::FilterConfig => "filter_config",
            Self::ActionConfig => "action_config",
            Self::Blocklists => "blocklists",
        }
    }

    /// The path prefix the group serves; a route belongs to the group with the longest prefix
    /// that is the whole path or is followed by `/`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Auth => "/api/v1/auth",
            Self::Setup => "/api/v1/setup",
            Self::Health => "/api/v1/health",
            Self::Dashboard => "/api/v1/dashboard",
            Self::Bans => "/api/v1/bans",
            Self::Jails => "/api/v1/jails",
            Self::History => "/api/v1/history",
            Self::Geo => "/api/v1/geo",
            Self::Server => "/api/v1/server",
            Self::Config => "/api/v1/config",
            Self::JailConfig => "/api/v1/config/jails",
            Self::FilterConfig => "/api/v1/config/filters",
            Self::ActionConfig => "/api/v1/config/actions",
            Self::Blocklists => "/api/v1/blocklists",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// === impl Route ===

impl Route {
    /// `true` for `POST`, `PUT` and `DELETE`: the routes that change state by method.
    ///
    /// Note `GET /api/v1/config/jails/{name}/rollback` changes state too, as the spec has it.
    pub const fn is_write(&self) -> bool {
        !matches!(self.method, Method::Get)
    }

    /// The names of the pattern's parameters, in order: `["name"]` for `/api/v1/jails/{name}`.
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        segments(self.pattern).filter_map(param_name)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.pattern)
    }
}

// === impl RouteMatch ===

impl RouteMatch {
    /// The value of path parameter `name`, when a route was found and has it.
    pub fn param(&self, name: &str) -> Option<&str> {
        match self {
            Self::Found { params, .. } => params
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

// === the table ===

const fn route(
    method: Method,
    pattern: &'static str,
    group: Group,
    statuses: &'static [u16],
) -> Route {
    Route {
        method,
        pattern,
        group,
        statuses,
        public: false,
    }
}

const fn public(
    method: Method,
    pattern: &'static str,
    group: Group,
    statuses: &'static [u16],
) -> Route {
    Route {
        method,
        pattern,
        group,
        statuses,
        public: true,
    }
}

use Group as G;
use Method as M;

/// Every route of API v1, in the order of `spec/routes.txt`.
#[rustfmt::skip]
pub static ROUTES: &[Route] = &[
    // --- Auth ---
    public(M::Post, "/api/v1/auth/login", G::Auth, &[200, 401, 422, 429, 503]),
    route(M::Get, "/api/v1/auth/session", G::Auth, &[200, 401]),
    route(M::Post, "/api/v1/auth/logout", G::Auth, &[200, 401]),
    // --- Setup ---
    public(M::Get, "/api/v1/setup", G::Setup, &[200]),
    public(M::Post, "/api/v1/setup", G::Setup, &[201, 400, 409]),
    public(M::Get, "/api/v1/setup/timezone", G::Setup, &[200]),
    // --- Health ---
    public(M::Get, "/api/v1/health", G::Health, &[200, 503]),
    // --- Dashboard ---
    route(M::Get, "/api/v1/dashboard/status", G::Dashboard, &[200, 401, 502]),
    route(M::Get, "/api/v1/dashboard/bans", G::Dashboard, &[200, 401, 502]),
    route(M::Get, "/api/v1/dashboard/bans/by-country", G::Dashboard, &[200, 401, 502]),
    route(M::Get, "/api/v1/dashboard/bans/trend", G::Dashboard, &[200, 401, 502]),
    route(M::Get, "/api/v1/dashboard/bans/by-jail", G::Dashboard, &[200, 401, 502]),
    // --- Bans ---
    route(M::Get, "/api/v1/bans/active", G::Bans, &[200, 401, 502]),
    route(M::Post, "/api/v1/bans", G::Bans, &[201, 400, 401, 404, 409, 429, 502]),
    route(M::Delete, "/api/v1/bans", G::Bans, &[200, 400, 401, 404, 409, 429, 502]),
    route(M::Delete, "/api/v1/bans/all", G::Bans, &[200, 401, 502]),
    // --- Jails ---
    route(M::Get, "/api/v1/jails", G::Jails, &[200, 401, 502]),
    route(M::Get, "/api/v1/jails/{name}", G::Jails, &[200, 401, 404, 502]),
    route(M::Post, "/api/v1/jails/reload-all", G::Jails, &[200, 401, 409, 502]),
    route(M::Post, "/api/v1/jails/{name}/start", G::Jails, &[200, 401, 404, 409, 502]),
    route(M::Post, "/api/v1/jails/{name}/stop", G::Jails, &[200, 401, 409, 502]),
    route(M::Post, "/api/v1/jails/{name}/idle", G::Jails, &[200, 401, 404, 409, 502]),
    route(M::Post, "/api/v1/jails/{name}/reload", G::Jails, &[200, 401, 404, 409, 502]),
    route(M::Get, "/api/v1/jails/{name}/ignoreip", G::Jails, &[200, 401, 404, 502]),
    route(M::Post, "/api/v1/jails/{name}/ignoreip", G::Jails, &[201, 400, 401, 404, 409, 502]),
    route(M::Delete, "/api/v1/jails/{name}/ignoreip", G::Jails, &[200, 401, 404, 409, 502]),
    route(M::Post, "/api/v1/jails/{name}/ignoreself", G::Jails, &[200, 401, 404, 409, 502]),
    route(M::Get, "/api/v1/jails/{name}/banned", G::Jails, &[200, 400, 401, 404, 502]),
    // --- History ---
    route(M::Get, "/api/v1/history", G::History, &[200, 401, 502]),
    route(M::Get, "/api/v1/history/archive", G::History, &[200, 401, 502]),
    route(M::Get, "/api/v1/history/{ip}", G::History, &[200, 401, 404, 502]),
    // --- Geo ---
    route(M::Get, "/api/v1/geo/lookup/{ip}", G::Geo, &[200, 400, 401, 502]),
    route(M::Get, "/api/v1/geo/stats", G::Geo, &[200, 401]),
    route(M::Post, "/api/v1/geo/re-resolve", G::Geo, &[200, 401]),
    // --- Server ---
    route(M::Get, "/api/v1/server/settings", G::Server, &[200, 401, 502]),
    route(M::Put, "/api/v1/server/settings", G::Server, &[204, 400, 401, 502]),
    route(M::Post, "/api/v1/server/flush-logs", G::Server, &[200, 400, 401, 502]),
    // --- Config ---
    route(M::Get, "/api/v1/config/global", G::Config, &[200, 401, 502]),
    route(M::Put, "/api/v1/config/global", G::Config, &[204, 400, 401, 429, 502]),
    route(M::Post, "/api/v1/config/reload", G::Config, &[204, 401, 409, 502]),
    route(M::Post, "/api/v1/config/restart", G::Config, &[204, 401, 409, 502, 503]),
    route(M::Post, "/api/v1/config/regex-test", G::Config, &[200, 401, 422]),
    route(M::Post, "/api/v1/config/preview-log", G::Config, &[200, 401, 422]),
    route(M::Get, "/api/v1/config/map-color-thresholds", G::Config, &[200, 401]),
    route(M::Put, "/api/v1/config/map-color-thresholds", G::Config, &[200, 400, 401, 429]),
    route(M::Get, "/api/v1/config/fail2ban-log", G::Config, &[200, 400, 401, 502]),
    route(M::Get, "/api/v1/config/service-status", G::Config, &[200, 401, 502]),
    // --- JailConfig ---
    route(M::Get, "/api/v1/config/jails", G::JailConfig, &[200, 401, 502]),
    route(M::Get, "/api/v1/config/jails/{name}", G::JailConfig, &[200, 401, 404, 502]),
    route(M::Put, "/api/v1/config/jails/{name}", G::JailConfig, &[200, 400, 401, 404, 422, 429, 502]),
    route(M::Post, "/api/v1/config/jails/{name}/commit", G::JailConfig, &[200, 401, 404, 409, 429, 502]),
    route(M::Get, "/api/v1/config/jails/{name}/rollback", G::JailConfig, &[200, 401, 404, 502]),
    route(M::Delete, "/api/v1/config/jails/{name}", G::JailConfig, &[204, 401, 404, 409, 429]),
    route(M::Post, "/api/v1/config/jails", G::JailConfig, &[201, 400, 401, 409, 429, 502]),
    route(M::Get, "/api/v1/config/jails/{name}/files", G::JailConfig, &[200, 401, 404]),
    // --- FilterConfig ---
    route(M::Get, "/api/v1/config/filters", G::FilterConfig, &[200, 401, 502]),
    route(M::Get, "/api/v1/config/filters/{name}", G::FilterConfig, &[200, 401, 404, 502]),
    route(M::Put, "/api/v1/config/filters/{name}", G::FilterConfig, &[200, 400, 401, 404, 422, 429, 500]),
    route(M::Post, "/api/v1/config/filters", G::FilterConfig, &[201, 400, 401, 409, 422, 429, 500]),
    route(M::Delete, "/api/v1/config/filters/{name}", G::FilterConfig, &[204, 400, 401, 404, 409, 429, 500]),
    // --- ActionConfig ---
    route(M::Get, "/api/v1/config/actions", G::ActionConfig, &[200, 401, 502]),
    route(M::Get, "/api/v1/config/actions/{name}", G::ActionConfig, &[200, 401, 404, 502]),
    route(M::Put, "/api/v1/config/actions/{name}", G::ActionConfig, &[200, 400, 401, 404, 429, 500]),
    route(M::Post, "/api/v1/config/actions", G::ActionConfig, &[201, 400, 401, 409, 429, 500]),
    route(M::Delete, "/api/v1/config/actions/{name}", G::ActionConfig, &[204, 400, 401, 404, 409, 429, 500]),
    // --- Blocklists ---
    route(M::Get, "/api/v1/blocklists", G::Blocklists, &[200, 401]),
    route(M::Post, "/api/v1/blocklists", G::Blocklists, &[201, 400, 401]),
    route(M::Post, "/api/v1/blocklists/import", G::Blocklists, &[200, 401, 429]),
    route(M::Get, "/api/v1/blocklists/schedule", G::Blocklists, &[200, 401]),
    route(M::Put, "/api/v1/blocklists/schedule", G::Blocklists, &[200, 401]),
    route(M::Get, "/api/v1/blocklists/log", G::Blocklists, &[200, 401]),
    route(M::Get, "/api/v1/blocklists/{source_id}", G::Blocklists, &[200, 401, 404]),
    route(M::Put, "/api/v1/blocklists/{source_id}", G::Blocklists, &[200, 400, 401, 404]),
    route(M::Delete, "/api/v1/blocklists/{source_id}", G::Blocklists, &[204, 401, 404]),
    route(M::Get, "/api/v1/blocklists/{source_id}/preview", G::Blocklists, &[200, 401, 404, 502]),
];

// === lookup and matching ===

/// The routes served by `group`, in table order.
pub fn routes_in(group: Group) -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(move |r| r.group == group)
}

/// The route with exactly this method and pattern (`"/api/v1/jails/{name}"`), if any.
pub fn find(method: Method, pattern: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method == method && r.pattern == pattern)
}

/// The methods some route accepts for `path`, in [`Method::ALL`] order; empty for an unknown
/// path. This is the `Allow` header of a 405.
pub fn allowed_methods(path: &str) -> Vec<Method> {
    let Some(segs) = split_path(path) else {
        return Vec::new();
    };
    let mut allowed: Vec<Method> = candidates(path)
        .filter(|r| bind(r, &segs).is_some())
        .map(|r| r.method)
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    allowed
}

/// Resolves `method` and `path` (no query string) against [`ROUTES`].
///
/// Among the routes with this method whose pattern matches the path, the most specific wins: at
/// the first position where two patterns differ, a literal segment beats a `{param}`. Parameters
/// are percent-decoded and must be non-empty valid UTF-8, otherwise the segment does not match.
/// A trailing slash or an empty segment never matches.
pub fn match_route(method: Method, path: &str) -> RouteMatch {
    let Some(segs) = split_path(path) else {
        return RouteMatch::NotFound;
    };
    let mut best: Option<(&'static Route, Vec<(&'static str, String)>)> = None;
    let mut allowed = Vec::new();
    for route in candidates(path) {
        let Some(params) = bind(route, &segs) else {
            continue;
        };
        if route.method != method {
            allowed.push(route.method);
        } else if best.as_ref().is_none_or(|(b, _)| more_specific(route, b)) {
            best = Some((route, params));
        }
    }
    match best {
        Some((route, params)) => RouteMatch::Found { route, params },
        None if allowed.is_empty() => RouteMatch::NotFound,
        None => {
            allowed.sort_unstable();
            allowed.dedup();
            RouteMatch::MethodNotAllowed { allowed }
        }
    }
}

/// The routes whose pattern, up to its first `{param}`, starts `path`: only they can match
/// (literal segments compare raw). Checking that first spares splitting every pattern.
fn candidates(path: &str) -> impl Iterator<Item = &'static Route> + '_ {
    ROUTES.iter().filter(move |r| {
        let literal = r.pattern.find('{').map_or(r.pattern, |i| &r.pattern[..i]);
        path.starts_with(literal)
    })
}

fn segments(pattern: &'static str) -> impl Iterator<Item = &'static str> {
    pattern.split('/').skip(1)
}

fn param_name(segment: &'static str) -> Option<&'static str> {
    segment.strip_prefix('{')?.strip_suffix('}')
}

/// The path's segments after the leading `/`; `None` when there is no leading `/`.
fn split_path(path: &str) -> Option<Vec<&str>> {
    Some(path.strip_prefix('/')?.split('/').collect())
}

/// Matches `route`'s pattern against the path segments, returning the decoded parameters.
fn bind(route: &'static Route, segs: &[&str]) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut pattern = segments(route.pattern);
    for seg in segs {
        let pat = pattern.next()?;
        match param_name(pat) {
            Some(name) => {
                let value = percent_decode(seg)?;
                if value.is_empty() {
                    return None;
                }
                params.push((name, value));
            }
            None if pat == *seg => {}
            None => return None,
        }
    }
    pattern.next().is_none().then_some(params)
}

/// `true` when `a` has a literal where `b` has a parameter, at the first position they differ.
fn more_specific(a: &Route, b: &Route) -> bool {
    let literal = |s: &'static str| param_name(s).is_none();
    segments(a.pattern)
        .map(literal)
        .cmp(segments(b.pattern).map(literal))
        .is_gt()
}

/// Decodes `%XX` escapes; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    if !s.contains('%') {
        return Some(s.to_owned());
    }
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = hex_value(bytes.next()?)?;
            let lo = hex_value(bytes.next()?)?;
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(method, path, statuses)` of each route in `spec/routes.txt`.
    fn spec_routes() -> Vec<(String, String, Vec<u16>)> {
        let mut routes: Vec<(String, String, Vec<u16>)> = Vec::new();
        for line in include_str!("../spec/routes.txt").lines() {
            if line.trim().is_empty() {
                continue;
            }
            if line.starts_with(char::is_whitespace) {
                let status = line.split_whitespace().next().unwrap().parse().unwrap();
                routes
                    .last_mut()
                    .expect("status before the first route")
                    .2
                    .push(status);
            } else {
                let (method, path) = line.split_once(' ').unwrap();
                routes.push((method.to_owned(), path.trim().to_owned(), Vec::new()));
            }
        }
        routes
    }

    fn found(method: Method, path: &str) -> (&'static Route, Vec<(&'static str, String)>) {
        match match_route(method, path) {
            RouteMatch::Found { route, params } => (route, params),
            other => panic!("{method} {path}: expected a route, got {other:?}"),
        }
    }

    fn found_pattern(method: Method, path: &str) -> &'static str {
        found(method, path).0.pattern
    }

    #[test]
    fn table_equals_the_spec_route_by_route() {
        let spec = spec_routes();
        assert_eq!(spec.len(), 75);
        assert_eq!(ROUTES.len(), 75);
        for (i, (route, (method, path, statuses))) in ROUTES.iter().zip(&spec).enumerate() {
            assert_eq!(route.method.as_str(), method, "route #{i}");
            assert_eq!(route.pattern, path, "route #{i}");
            assert_eq!(route.statuses, statuses.as_slice(), "route #{i} {route}");
        }
    }

    #[test]
    fn no_two_routes_share_method_and_shape() {
        // Same method and same pattern up to parameter names would make matching ambiguous.
        let shape = |r: &Route| {
            segments(r.pattern)
                .map(|s| if param_name(s).is_some() { "{}" } else { s })
                .collect::<Vec<_>>()
        };
        for (i, a) in ROUTES.iter().enumerate() {
            for b in &ROUTES[i + 1..] {
                assert!(
                    a.method != b.method || shape(a) != shape(b),
                    "{a} duplicates {b}"
                );
            }
        }
    }

    #[test]
    fn patterns_are_well_formed() {
        for route in ROUTES {
            assert!(route.pattern.starts_with("/api/v1/"), "{route}");
            for seg in segments(route.pattern) {
                assert!(!seg.is_empty(), "{route}");
                let inner = param_name(seg).unwrap_or(seg);
                assert!(!inner.contains(['{', '}']), "{route}");
            }
        }
    }

    #[test]
    fn group_follows_the_router_group_rule() {
        for route in ROUTES {
            let rest = route.pattern.strip_prefix("/api/v1/").unwrap();
            let mut segs = rest.split('/');
            let expected = match (segs.next().unwrap(), segs.next()) {
                ("config", Some("jails")) => Group::JailConfig,
                ("config", Some("filters")) => Group::FilterConfig,
                ("config", Some("actions")) => Group::ActionConfig,
                (first, _) => *Group::ALL.iter().find(|g| g.as_str() == first).unwrap(),
            };
            assert_eq!(route.group, expected, "{route}");
        }
    }

    #[test]
    fn group_is_the_longest_matching_prefix() {
        let under = |pattern: &str, prefix: &str| {
            pattern
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        for route in ROUTES {
            let best = Group::ALL
                .iter()
                .filter(|g| under(route.pattern, g.prefix()))
                .max_by_key(|g| g.prefix().len())
                .unwrap();
            assert_eq!(route.group, *best, "{route}");
        }
    }

    #[test]
    fn every_group_has_routes_and_a_unique_name() {
        for &group in Group::ALL {
            assert!(routes_in(group).next().is_some(), "{group} has no routes");
            assert!(routes_in(group).all(|r| r.group == group));
            assert_eq!(
                Group::ALL
                    .iter()
                    .filter(|g| g.as_str() == group.as_str())
                    .count(),
                1
            );
        }
        let total: usize = Group::ALL.iter().map(|&g| routes_in(g).count()).sum();
        assert_eq!(total, ROUTES.len());
    }

    macro_rules! resolves_to_group {
        ($($test:ident: $method:ident $path:literal => $group:ident;)*) => {
            $(
                #[test]
                fn $test() {
                    assert_eq!(found(Method::$method, $path).0.group, Group::$group);
                }
            )*

            #[test]
            fn every_group_has_a_resolution_test() {
                let tested = [$(Group::$group),*];
                for group in Group::ALL {
                    assert!(tested.contains(group), "no resolution test for {group}");
                }
            }
        };
    }

    resolves_to_group! {
        auth_group_serves_login: Post "/api/v1/auth/login" => Auth;
        setup_group_serves_timezone: Get "/api/v1/setup/timezone" => Setup;
        health_group_serves_health: Get "/api/v1/health" => Health;
        dashboard_group_serves_trend: Get "/api/v1/dashboard/bans/trend" => Dashboard;
        bans_group_serves_unban_all: Delete "/api/v1/bans/all" => Bans;
        jails_group_serves_jail_start: Post "/api/v1/jails/sshd/start" => Jails;
        history_group_serves_ip_history: Get "/api/v1/history/192.0.2.1" => History;
        geo_group_serves_lookup: Get "/api/v1/geo/lookup/192.0.2.1" => Geo;
        server_group_serves_settings: Put "/api/v1/server/settings" => Server;
        config_group_serves_regex_test: Post "/api/v1/config/regex-test" => Config;
        jail_config_group_serves_commit: Post "/api/v1/config/jails/sshd/commit" => JailConfig;
        filter_config_group_serves_list: Get "/api/v1/config/filters" => FilterConfig;
        action_config_group_serves_delete: Delete "/api/v1/config/actions/iptables" => ActionConfig;
        blocklists_group_serves_preview: Get "/api/v1/blocklists/3/preview" => Blocklists;
    }

    #[test]
    fn every_route_resolves_to_itself() {
        for route in ROUTES {
            let path = route.pattern.replace('{', "x").replace('}', "");
            let (got, params) = found(route.method, &path);
            assert_eq!(got, route, "{path}");
            assert_eq!(params.len(), route.params().count());
            assert_eq!(find(route.method, route.pattern), Some(route));
        }
    }

    #[test]
    fn literal_segment_beats_param() {
        let cases = [
            (
                Method::Post,
                "/api/v1/jails/reload-all",
                "/api/v1/jails/reload-all",
            ),
            (
                Method::Post,
                "/api/v1/blocklists/import",
                "/api/v1/blocklists/import",
            ),
            (
                Method::Get,
                "/api/v1/blocklists/log",
                "/api/v1/blocklists/log",
            ),
            (
                Method::Get,
                "/api/v1/blocklists/schedule",
                "/api/v1/blocklists/schedule",
            ),
            (
                Method::Put,
                "/api/v1/blocklists/schedule",
                "/api/v1/blocklists/schedule",
            ),
            (
                Method::Get,
                "/api/v1/history/archive",
                "/api/v1/history/archive",
            ),
            (Method::Delete, "/api/v1/bans/all", "/api/v1/bans/all"),
            (
                Method::Get,
                "/api/v1/config/jails/sshd/files",
                "/api/v1/config/jails/{name}/files",
            ),
        ];
        for (method, path, pattern) in cases {
            assert_eq!(found_pattern(method, path), pattern, "{method} {path}");
        }
    }

    #[test]
    fn param_matches_where_no_literal_route_has_the_method() {
        // Literals are chosen per method: GET has no `/jails/reload-all`, so this is a jail name.
        let (route, params) = found(Method::Get, "/api/v1/jails/reload-all");
        assert_eq!(route.pattern, "/api/v1/jails/{name}");
        assert_eq!(params, [("name", "reload-all".to_owned())]);
        assert_eq!(
            found_pattern(Method::Get, "/api/v1/blocklists/import"),
            "/api/v1/blocklists/{source_id}"
        );
        assert_eq!(
            found_pattern(Method::Put, "/api/v1/blocklists/7"),
            "/api/v1/blocklists/{source_id}"
        );
        assert_eq!(
            found_pattern(Method::Get, "/api/v1/history/10.0.0.1"),
            "/api/v1/history/{ip}"
        );
    }

    #[test]
    fn known_path_with_wrong_method_is_405() {
        let cases: [(Method, &str, &[Method]); 5] = [
            (Method::Delete, "/api/v1/health", &[Method::Get]),
            (Method::Put, "/api/v1/bans", &[Method::Post, Method::Delete]),
            (
                Method::Delete,
                "/api/v1/jails/reload-all",
                &[Method::Get, Method::Post],
            ),
            (
                Method::Post,
                "/api/v1/config/jails/sshd",
                &[Method::Get, Method::Put, Method::Delete],
            ),
            (Method::Get, "/api/v1/auth/logout", &[Method::Post]),
        ];
        for (method, path, allowed) in cases {
            assert_eq!(
                match_route(method, path),
                RouteMatch::MethodNotAllowed {
                    allowed: allowed.to_vec()
                },
                "{method} {path}"
            );
            assert_eq!(allowed_methods(path), allowed, "{path}");
        }
    }

    #[test]
    fn unknown_paths_and_trailing_slashes_are_404() {
        let paths = [
            "",
            "/",
            "api/v1/health",
            "/api/v1",
            "/api/v1/",
            "/api/v2/health",
            "/api/v1/nope",
            "/api/v1/HEALTH",
            "/api/v1/health/",
            "/api/v1/jails/",
            "/api/v1/jails/sshd/",
            "/api/v1/jails//start",
            "/api/v1/jails/sshd/start/extra",
            "//api/v1/health",
            "/api/v1/health?x=1",
        ];
        for path in paths {
            for &method in Method::ALL {
                assert_eq!(
                    match_route(method, path),
                    RouteMatch::NotFound,
                    "{method} {path:?}"
                );
            }
            assert!(allowed_methods(path).is_empty(), "{path:?}");
        }
    }

    #[test]
    fn params_are_percent_decoded() {
        let m = match_route(Method::Get, "/api/v1/history/2001%3Adb8%3A%3A1");
        assert_eq!(m.param("ip"), Some("2001:db8::1"));
        let m = match_route(Method::Get, "/api/v1/history/2001%3adb8%3a%3a1");
        assert_eq!(m.param("ip"), Some("2001:db8::1"));
        let m = match_route(Method::Post, "/api/v1/jails/nginx%2Dhttp%40x/stop");
        assert_eq!(m.param("name"), Some("nginx-http@x"));
        assert_eq!(m.param("ip"), None);
        // A decoded slash stays inside the parameter; validation rejects it later.
        let m = match_route(Method::Get, "/api/v1/jails/a%2Fb");
        assert_eq!(m.param("name"), Some("a/b"));
        let m = match_route(Method::Get, "/api/v1/geo/lookup/caf%C3%A9");
        assert_eq!(m.param("ip"), Some("café"));
    }

    #[test]
    fn bad_percent_encoding_is_404() {
        for bad in ["%", "%2", "%zz", "%2g", "x%", "%FF", "%C3", "%00%"] {
            let path = format!("/api/v1/history/{bad}");
            assert_eq!(
                match_route(Method::Get, &path),
                RouteMatch::NotFound,
                "{path}"
            );
        }
        // Literal segments are compared as sent, not decoded.
        assert_eq!(
            match_route(Method::Get, "/api/v1/heal%74h"),
            RouteMatch::NotFound
        );
    }

    #[test]
    fn public_routes_are_exactly_login_setup_and_health() {
        let public: Vec<String> = ROUTES
            .iter()
            .filter(|r| r.public)
            .map(Route::to_string)
            .collect();
        assert_eq!(
            public,
            [
                "POST /api/v1/auth/login",
                "GET /api/v1/setup",
                "POST /api/v1/setup",
                "GET /api/v1/setup/timezone",
                "GET /api/v1/health",
            ]
        );
    }

    #[test]
    fn writes_are_post_put_delete() {
        assert!(!find(Method::Get, "/api/v1/jails").unwrap().is_write());
        assert!(find(Method::Post, "/api/v1/bans").unwrap().is_write());
        assert!(find(Method::Put, "/api/v1/server/settings")
            .unwrap()
            .is_write());
        assert!(find(Method::Delete, "/api/v1/bans").unwrap().is_write());
    }

    #[test]
    fn find_takes_the_pattern_not_a_path() {
        assert!(find(Method::Get, "/api/v1/jails/{name}").is_some());
        assert!(find(Method::Get, "/api/v1/jails/sshd").is_none());
        assert!(find(Method::Put, "/api/v1/jails/{name}").is_none());
    }

    #[test]
    fn route_params_lists_names_in_order() {
        let route = find(Method::Get, "/api/v1/blocklists/{source_id}/preview").unwrap();
        assert_eq!(route.params().collect::<Vec<_>>(), ["source_id"]);
        assert_eq!(
            find(Method::Get, "/api/v1/health")
                .unwrap()
                .params()
                .count(),
            0
        );
    }

    #[test]
    fn methods_parse_case_sensitively() {
        for &method in Method::ALL {
            assert_eq!(method.as_str().parse::<Method>().unwrap(), method);
        }
        for bad in ["get", "PATCH", "HEAD", "", " GET"] {
            let err = bad.parse::<Method>().unwrap_err();
            assert_eq!(err.code, ErrorCode::MethodNotAllowed, "{bad:?}");
        }
    }
}
