//! `allowed_outbound_hosts`, parsed and matched like Spin's
//! `spin-outbound-networking-config` crate (`allowed_hosts.rs`).
//!
//! An entry is `<scheme>://<host>[:<port>]`:
//! - scheme: a name (`https`) or `*`;
//! - host: a name or IP literal, `*`, `*.example.com` (any subdomain), a CIDR range
//!   (`10.0.0.0/8`), or `self` / `self.alt` (requests to the app itself);
//! - port: a number, a range `8000..8100` (end exclusive), `*`, or omitted for the scheme's
//!   well-known port (http 80, https 443; other schemes need a port).
//!
//! Templates (`https://{{ agent_host }}`) are rendered at load time from application variables;
//! one that renders to `""`, `"http://"` or `"https://"` is skipped (Spin's "optional endpoint").
//! An empty list allows nothing. A denied request fails with `HttpRequestDenied`, as in Spin.

use std::net::IpAddr;
use std::ops::Range;

use ipnet::IpNet;

use crate::variables::{AppVariables, VariableError};

/// An entry that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid allowed_outbound_hosts entry {entry:?}: {reason}")]
pub struct AllowedHostError {
    entry: String,
    reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SchemeConfig {
    Any,
    One(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostConfig {
    Any,
    AnySubdomain(String),
    ToSelf,
    Domain(String),
    Ip(IpAddr),
    Cidr(IpNet),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortConfig {
    Any,
    Port(u16),
    Range(Range<u16>),
}

/// One parsed `allowed_outbound_hosts` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    original: String,
    scheme: SchemeConfig,
    host: HostConfig,
    port: PortConfig,
}

/// A host as it appears in a request URI.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UrlHost {
    Domain(String),
    Ip(IpAddr),
}

fn parse_url_host(host: &str) -> Option<UrlHost> {
    let host = host.trim();
    if host.is_empty() {
        return None;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse().ok().map(UrlHost::Ip);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Some(UrlHost::Ip(ip));
    }
    if host.contains(['/', ' ', '@', '*', '[', ']', ':', '?', '#']) {
        return None;
    }
    Some(UrlHost::Domain(host.to_ascii_lowercase()))
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHost {
    /// Parses one literal entry (no templates).
    pub fn parse(entry: &str) -> Result<Self, AllowedHostError> {
        let err = |reason: &str| AllowedHostError {
            entry: entry.to_string(),
            reason: reason.to_string(),
        };
        let url = entry.trim();
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(err(
                "hosts must be in the form <scheme>://<host>[:<port>], with '*' wildcards allowed for each",
            ));
        };
        // Split off the port the way Spin does: the last ':' unless the whole rest is a host
        // (an IPv6 CIDR, for instance).
        let (host, port) = match rest.rsplit_once(':') {
            None => (rest, ""),
            Some((h, "")) => (h, ""),
            Some((h, tail)) => {
                if parse_host(rest).is_ok() {
                    (rest, "")
                } else {
                    let port = match tail.split_once('/') {
                        Some((port, "")) => port,
                        Some(_) => return Err(err("has a path but is not allowed to")),
                        None => tail,
                    };
                    (h, port)
                }
            }
        };
        let port = parse_port(port, scheme).map_err(|r| err(&r))?;
        let scheme = if scheme == "*" {
            SchemeConfig::Any
        } else if scheme.starts_with('{') {
            return Err(err("scheme lists are not supported"));
        } else if scheme.is_empty() || scheme.chars().any(|c| !c.is_alphabetic()) {
            return Err(err("only alphabetic characters are allowed in the scheme"));
        } else {
            SchemeConfig::One(scheme.to_string())
        };
        let host = parse_host(host).map_err(|r| err(&r))?;
        Ok(Self {
            original: entry.to_string(),
            scheme,
            host,
            port,
        })
    }

    fn allows(&self, scheme: &str, host: &UrlHost, port: Option<u16>) -> bool {
        let scheme_ok = match &self.scheme {
            SchemeConfig::Any => true,
            SchemeConfig::One(s) => s == scheme,
        };
        let host_ok = match (&self.host, host) {
            (HostConfig::Any, _) => true,
            (HostConfig::AnySubdomain(suffix), UrlHost::Domain(d)) => d.ends_with(suffix.as_str()),
            (HostConfig::Domain(a), UrlHost::Domain(b)) => a == b,
            (HostConfig::Ip(a), UrlHost::Ip(b)) => a == b,
            (HostConfig::Cidr(net), UrlHost::Ip(ip)) => net.contains(ip),
            _ => false,
        };
        let port_ok = match &self.port {
            PortConfig::Any => true,
            other => match port.or_else(|| well_known_port(scheme)) {
                None => false,
                Some(p) => match other {
                    PortConfig::Port(x) => *x == p,
                    PortConfig::Range(r) => r.contains(&p),
                    PortConfig::Any => true,
                },
            },
        };
        scheme_ok && host_ok && port_ok
    }

    fn allows_self(&self, schemes: &[&str]) -> bool {
        let scheme_ok = schemes.iter().any(|s| match &self.scheme {
            SchemeConfig::Any => true,
            SchemeConfig::One(x) => x == s,
        });
        scheme_ok && matches!(self.host, HostConfig::Any | HostConfig::ToSelf)
    }
}

impl std::fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.original)
    }
}

fn parse_host(host: &str) -> Result<HostConfig, String> {
    let host = host.trim();
    if host == "*" {
        return Ok(HostConfig::Any);
    }
    if host == "self" || host == "self.alt" {
        return Ok(HostConfig::ToSelf);
    }
    if host.starts_with('{') {
        return Err("host lists are not yet supported".to_string());
    }
    if let Ok(net) = host.parse::<IpNet>() {
        return Ok(HostConfig::Cidr(net.trunc()));
    }
    let host = host.strip_suffix('/').unwrap_or(host);
    if host.contains('/') {
        return Err("must not include a path".to_string());
    }
    if let Some(domain) = host.strip_prefix("*.") {
        if domain.contains('*') {
            return Err("wildcards are allowed only as prefixes".to_string());
        }
        return match parse_url_host(domain) {
            Some(UrlHost::Domain(d)) => Ok(HostConfig::AnySubdomain(format!(".{d}"))),
            _ => Err("wildcard suffix must be a domain".to_string()),
        };
    }
    if host.contains('*') {
        return Err("wildcards are allowed only as subdomains".to_string());
    }
    match parse_url_host(host) {
        Some(UrlHost::Domain(d)) => Ok(HostConfig::Domain(d)),
        Some(UrlHost::Ip(ip)) => Ok(HostConfig::Ip(ip)),
        None => Err(format!("invalid host {host:?}")),
    }
}

fn parse_port(port: &str, scheme: &str) -> Result<PortConfig, String> {
    if port.is_empty() {
        return well_known_port(scheme).map(PortConfig::Port).ok_or_else(|| {
            format!("no port was provided and the scheme {scheme:?} does not have a known default port number")
        });
    }
    if port == "*" {
        return Ok(PortConfig::Any);
    }
    if port.starts_with('{') {
        return Err("port lists are not yet supported".to_string());
    }
    if let Some((start, end)) = port.split_once("..") {
        let start = start
            .parse()
            .map_err(|_| format!("port range {port:?} contains non-number"))?;
        let end = end
            .parse()
            .map_err(|_| format!("port range {port:?} contains non-number"))?;
        return Ok(PortConfig::Range(start..end));
    }
    port.parse()
        .map(PortConfig::Port)
        .map_err(|_| format!("port {port:?} is not a number"))
}

/// A component's resolved `allowed_outbound_hosts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

/// Why `allowed_outbound_hosts` could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllowedHostsError {
    /// A literal or rendered entry is malformed.
    #[error(transparent)]
    Entry(#[from] AllowedHostError),
    /// A template is malformed or names an unknown variable.
    #[error(transparent)]
    Template(#[from] VariableError),
    /// Spin refuses this spelling.
    #[error("'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all outbound traffic")]
    InsecureAllowAll,
}

impl AllowedHosts {
    /// Parses the entries, rendering `{{ var }}` templates with the application variables.
    pub fn parse<S: AsRef<str>>(
        entries: &[S],
        vars: &AppVariables,
    ) -> Result<Self, AllowedHostsError> {
        if entries.len() == 1 && entries[0].as_ref() == "insecure:allow-all" {
            return Err(AllowedHostsError::InsecureAllowAll);
        }
        let mut hosts = Vec::with_capacity(entries.len());
        for entry in entries {
            let template = vars.template(entry.as_ref())?;
            if template.is_literal() {
                hosts.push(AllowedHost::parse(entry.as_ref())?);
                continue;
            }
            let rendered = template.render(vars)?;
            if rendered.is_empty() || rendered == "http://" || rendered == "https://" {
                continue;
            }
            hosts.push(AllowedHost::parse(&rendered)?);
        }
        Ok(Self { hosts })
    }

    /// Whether a request to `scheme://host[:port]` is allowed (`host` as in a URI, IPv6 in
    /// brackets).
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Some(host) = parse_url_host(host) else {
            return false;
        };
        self.hosts.iter().any(|h| h.allows(scheme, &host, port))
    }

    /// Whether relative ("self") requests with one of `schemes` are allowed.
    pub fn allows_self(&self, schemes: &[&str]) -> bool {
        self.hosts.iter().any(|h| h.allows_self(schemes))
    }

    /// The entries, as written after rendering.
    pub fn entries(&self) -> impl Iterator<Item = &AllowedHost> {
        self.hosts.iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::variables::VariableDecl;

    fn vars(items: &[(&str, &str)]) -> AppVariables {
        let decls: BTreeMap<String, VariableDecl> = items
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    VariableDecl {
                        default: Some(v.to_string()),
                        ..Default::default()
                    },
                )
            })
            .collect();
        AppVariables::resolve(&decls, &HashMap::new(), |_| None).unwrap()
    }

    fn hosts(entries: &[&str]) -> AllowedHosts {
        AllowedHosts::parse(entries, &vars(&[])).unwrap()
    }

    #[test]
    fn scheme_host_and_default_port() {
        let h = hosts(&["https://agent.internal"]);
        assert!(h.allows("https", "agent.internal", None));
        assert!(h.allows("https", "agent.internal", Some(443)));
        assert!(h.allows("https", "AGENT.internal", None));
        assert!(!h.allows("https", "agent.internal", Some(8443)));
        assert!(!h.allows("http", "agent.internal", None));
        assert!(!h.allows("https", "other.internal", None));
    }

    #[test]
    fn explicit_any_and_range_ports() {
        let h = hosts(&[
            "https://agent.internal:8443",
            "http://127.0.0.1:*",
            "http://localhost:8000..8010",
        ]);
        assert!(h.allows("https", "agent.internal", Some(8443)));
        assert!(!h.allows("https", "agent.internal", None));
        assert!(h.allows("http", "127.0.0.1", Some(1234)));
        assert!(h.allows("http", "127.0.0.1", None));
        assert!(h.allows("http", "localhost", Some(8009)));
        assert!(!h.allows("http", "localhost", Some(8010)));
    }

    #[test]
    fn wildcards_cidr_and_ipv6() {
        let h = hosts(&[
            "*://*.example.com:*",
            "https://10.0.0.0/8",
            "https://[::1]:8443",
        ]);
        assert!(h.allows("http", "a.example.com", Some(1)));
        assert!(h.allows("https", "a.b.example.com", None));
        assert!(!h.allows("https", "example.com", None));
        assert!(h.allows("https", "10.1.2.3", None));
        assert!(!h.allows("https", "11.1.2.3", None));
        assert!(h.allows("https", "[::1]", Some(8443)));
        let all = hosts(&["*://*:*"]);
        assert!(all.allows("https", "anything.at.all", Some(9)));
        assert!(hosts(&[]).entries().next().is_none());
        assert!(!hosts(&[]).allows("https", "x", None));
    }

    #[test]
    fn bad_entries_are_errors() {
        for bad in [
            "agent.internal",
            "*",
            "https://a/b",
            "https://a:x",
            "ftp://a",
            "https://a*.b",
            "1a://x",
        ] {
            assert!(AllowedHost::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            AllowedHosts::parse(&["insecure:allow-all"], &vars(&[])),
            Err(AllowedHostsError::InsecureAllowAll)
        );
    }

    #[test]
    fn templates_render_and_empty_ones_are_skipped() {
        let v = vars(&[("agent_host", "agent.internal:8443"), ("none", "")]);
        let h =
            AllowedHosts::parse(&["https://{{ agent_host }}", "https://{{ none }}"], &v).unwrap();
        assert!(h.allows("https", "agent.internal", Some(8443)));
        assert_eq!(h.entries().count(), 1);
        assert!(AllowedHosts::parse(&["https://{{ unknown }}"], &v).is_err());
    }

    #[test]
    fn self_requests() {
        assert!(hosts(&["http://self"]).allows_self(&["http", "https"]));
        assert!(hosts(&["*://*:*"]).allows_self(&["http"]));
        assert!(!hosts(&["https://agent.internal"]).allows_self(&["http", "https"]));
    }
}
