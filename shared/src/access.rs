//! Who may do what: the CSRF rule and the rate-limit bucket of each route. Pure functions of the
//! route table, shared by the agent and the edge so both enforce the same policy.

use crate::routes::{Group, Method, Route};

/// Header a browser must send on cookie-authenticated writes (a cross-site form cannot set it).
pub const CSRF_HEADER: &str = "x-bangui-request";
/// The value that header must have.
pub const CSRF_VALUE: &str = "1";

/// How a request proved its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// The `bangui_session` cookie: sent by browsers automatically, so writes need CSRF proof.
    Cookie,
    /// `Authorization: Bearer`: never sent automatically, so exempt from CSRF.
    Bearer,
}

/// True when the route changes state: every write method, and the one GET that does
/// (`GET /config/jails/{name}/rollback` restores files).
pub fn changes_state(route: &Route) -> bool {
    route.is_write() || route.pattern.ends_with("/rollback")
}

/// True when the request passes the CSRF rule.
pub fn csrf_ok(route: &Route, credential: Credential, header: Option<&str>) -> bool {
    credential == Credential::Bearer || !changes_state(route) || header == Some(CSRF_VALUE)
}

/// The write-rate bucket a route counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateBucket {
    Ban,
    Unban,
    Jail,
    Config,
    Import,
}

impl RateBucket {
    pub const ALL: &'static [RateBucket] = &[
        Self::Ban,
        Self::Unban,
        Self::Jail,
        Self::Config,
        Self::Import,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::Jail => "jail",
            Self::Config => "config",
            Self::Import => "import",
        }
    }

    /// The bucket of a state-changing route; `None` for reads and for auth/setup, which have
    /// limits of their own.
    pub fn for_route(route: &Route) -> Option<Self> {
        if !changes_state(route) {
            return None;
        }
        match (route.group, route.method) {
            (Group::Auth | Group::Setup | Group::Health, _) => None,
            (Group::Bans, Method::Post) => Some(Self::Ban),
            (Group::Bans, _) => Some(Self::Unban),
            (Group::Jails, _) => Some(Self::Jail),
            (Group::Blocklists, Method::Post) if route.pattern.ends_with("/import") => {
                Some(Self::Import)
            }
            _ => Some(Self::Config),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::{find, ROUTES};

    fn route(method: Method, pattern: &str) -> &'static Route {
        find(method, pattern).unwrap_or_else(|| panic!("no route {pattern}"))
    }

    #[test]
    fn cookie_writes_need_the_header_bearer_writes_do_not() {
        let ban = route(Method::Post, "/api/v1/bans");
        assert!(!csrf_ok(ban, Credential::Cookie, None));
        assert!(!csrf_ok(ban, Credential::Cookie, Some("0")));
        assert!(csrf_ok(ban, Credential::Cookie, Some("1")));
        assert!(csrf_ok(ban, Credential::Bearer, None));
        let list = route(Method::Get, "/api/v1/bans/active");
        assert!(csrf_ok(list, Credential::Cookie, None));
        let rollback = route(Method::Get, "/api/v1/config/jails/{name}/rollback");
        assert!(!csrf_ok(rollback, Credential::Cookie, None));
    }

    #[test]
    fn buckets_follow_the_route_groups() {
        assert_eq!(
            RateBucket::for_route(route(Method::Post, "/api/v1/bans")),
            Some(RateBucket::Ban)
        );
        assert_eq!(
            RateBucket::for_route(route(Method::Delete, "/api/v1/bans/all")),
            Some(RateBucket::Unban)
        );
        assert_eq!(
            RateBucket::for_route(route(Method::Post, "/api/v1/jails/{name}/start")),
            Some(RateBucket::Jail)
        );
        assert_eq!(
            RateBucket::for_route(route(Method::Put, "/api/v1/server/settings")),
            Some(RateBucket::Config)
        );
        assert_eq!(
            RateBucket::for_route(route(Method::Post, "/api/v1/blocklists/import")),
            Some(RateBucket::Import)
        );
        assert_eq!(
            RateBucket::for_route(route(Method::Post, "/api/v1/auth/login")),
            None
        );
        assert_eq!(
            RateBucket::for_route(route(Method::Get, "/api/v1/jails")),
            None
        );
        // Every state-changing route outside auth/setup has a bucket.
        for r in ROUTES.iter().filter(|r| changes_state(r)) {
            let exempt = matches!(r.group, Group::Auth | Group::Setup);
            assert_eq!(RateBucket::for_route(r).is_some(), !exempt, "{r}");
        }
    }
}
