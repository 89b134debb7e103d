//! The SSRF guard: which URLs a list may be fetched from, and which addresses their hosts may
//! resolve to. A host is resolved once; every address must be public (or allowlisted), and the
//! download then connects to exactly the address that was checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use ipnet::IpNet;
use reqwest::Url;

use super::settings::BlocklistsConfig;

/// Why a URL or an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("{0:?} is not a valid URL")]
    BadUrl(String),
    #[error("only http and https URLs are allowed, not {0}:")]
    Scheme(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("URLs with a user name or password are not accepted")]
    Credentials,
    #[error("URLs are limited to {0} bytes")]
    TooLong(usize),
    #[error("host {host} resolves to {addr}, a {reason} address; allow it in [blocklists] allow_networks or allow_hosts for a private mirror")]
    Forbidden {
        host: String,
        addr: IpAddr,
        reason: &'static str,
    },
    #[error("host {host} cannot be resolved: {reason}")]
    Resolve { host: String, reason: String },
}

impl GuardError {
    /// True when a later attempt could succeed (DNS hiccups), false for refusals.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Resolve { .. })
    }
}

/// The kind of address a list must never be fetched from, or `None` for a public address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn in_net(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let table: [([u8; 4], u32, &'static str); 10] = [
        ([0, 0, 0, 0], 8, "unspecified"),
        ([127, 0, 0, 0], 8, "loopback"),
        ([10, 0, 0, 0], 8, "private"),
        ([172, 16, 0, 0], 12, "private"),
        ([192, 168, 0, 0], 16, "private"),
        ([100, 64, 0, 0], 10, "CGNAT"),
        ([169, 254, 0, 0], 16, "link-local"),
        ([224, 0, 0, 0], 4, "multicast"),
        ([240, 0, 0, 0], 4, "reserved"),
        ([192, 0, 0, 0], 24, "IETF protocol"),
    ];
    table
        .iter()
        .find(|(net, prefix, _)| in_net(ip, *net, *prefix))
        .map(|(_, _, reason)| *reason)
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    let seg = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if ip.to_ipv4_mapped().is_some() {
        // Dual-stack sockets would reach the IPv4 address; there is no need for them here.
        return Some("IPv4-mapped");
    }
    if seg[..6] == [0; 6] {
        return Some("IPv4-compatible");
    }
    match seg[0] {
        s if s & 0xfe00 == 0xfc00 => return Some("unique-local (private)"),
        s if s & 0xffc0 == 0xfe80 => return Some("link-local"),
        s if s & 0xffc0 == 0xfec0 => return Some("site-local"),
        s if s & 0xff00 == 0xff00 => return Some("multicast"),
        _ => {}
    }
    // Translated addresses carry an IPv4 address that must pass the IPv4 rules.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_reason(embedded(seg[6], seg[7]));
    }
    if seg[0] == 0x2002 {
        return v4_reason(embedded(seg[1], seg[2]));
    }
    None
}

/// The allowlist of private mirrors.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow_networks: Vec<IpNet>,
    allow_hosts: Vec<String>,
}

impl Guard {
    pub fn new(config: &BlocklistsConfig) -> Self {
        Self {
            allow_networks: config.allow_networks.clone(),
            allow_hosts: config
                .allow_hosts
                .iter()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
                .collect(),
        }
    }

    /// Checks an address `host` resolved to; `Ok` for public or allowlisted addresses.
    pub fn check_addr(&self, host: &str, addr: IpAddr) -> Result<(), GuardError> {
        let Some(reason) = forbidden_reason(addr) else {
            return Ok(());
        };
        let host_allowed = self
            .allow_hosts
            .iter()
            .any(|h| h == &host.trim_end_matches('.').to_ascii_lowercase());
        if host_allowed || self.allow_networks.iter().any(|n| n.contains(&addr)) {
            return Ok(());
        }
        Err(GuardError::Forbidden {
            host: host.to_owned(),
            addr,
            reason,
        })
    }

    /// Resolves the URL's host once and checks every address; returns the one to connect to.
    pub async fn resolve(&self, url: &Url) -> Result<SocketAddr, GuardError> {
        let port = url.port_or_known_default().unwrap_or(80);
        let host = url.host().ok_or(GuardError::NoHost)?;
        let (name, addrs): (String, Vec<IpAddr>) = match host {
            url::Host::Ipv4(v4) => (v4.to_string(), vec![IpAddr::V4(v4)]),
            url::Host::Ipv6(v6) => (v6.to_string(), vec![IpAddr::V6(v6)]),
            url::Host::Domain(d) => {
                let found =
                    tokio::net::lookup_host((d, port))
                        .await
                        .map_err(|e| GuardError::Resolve {
                            host: d.to_owned(),
                            reason: e.to_string(),
                        })?;
                (d.to_owned(), found.map(|a| a.ip()).collect())
            }
        };
        let first = *addrs.first().ok_or_else(|| GuardError::Resolve {
            host: name.clone(),
            reason: "no addresses".into(),
        })?;
        for addr in &addrs {
            self.check_addr(&name, *addr)?;
        }
        Ok(SocketAddr::new(first, port))
    }
}

/// Parses and checks a URL's form: http(s), a host, no credentials, a sane length.
pub fn check_url(raw: &str) -> Result<Url, GuardError> {
    const MAX: usize = bangui_shared::models::blocklists::MAX_URL_BYTES;
    let raw = raw.trim();
    if raw.len() > MAX {
        return Err(GuardError::TooLong(MAX));
    }
    let url = Url::parse(raw).map_err(|_| GuardError::BadUrl(raw.chars().take(200).collect()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(GuardError::Scheme(url.scheme().to_owned()));
    }
    if url.host().is_none() {
        return Err(GuardError::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GuardError::Credentials);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> Option<&'static str> {
        forbidden_reason(s.parse().unwrap())
    }

    #[test]
    fn every_blocked_range_is_refused() {
        for (ip, why) in [
            ("0.0.0.0", "unspecified"),
            ("127.0.0.1", "loopback"),
            ("127.255.1.2", "loopback"),
            ("10.0.0.1", "private"),
            ("10.255.255.255", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.254", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "CGNAT"),
            ("100.127.255.255", "CGNAT"),
            ("169.254.169.254", "link-local"),
            ("224.0.0.1", "multicast"),
            ("239.255.255.250", "multicast"),
            ("255.255.255.255", "reserved"),
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("fc00::1", "unique-local (private)"),
            ("fd12:3456::1", "unique-local (private)"),
            ("fe80::1", "link-local"),
            ("febf::1", "link-local"),
            ("ff02::1", "multicast"),
            ("::ffff:127.0.0.1", "IPv4-mapped"),
            ("::ffff:10.0.0.1", "IPv4-mapped"),
            ("::ffff:8.8.8.8", "IPv4-mapped"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("64:ff9b::10.0.0.1", "private"),
            ("2002:c0a8:0101::1", "private"),
        ] {
            assert_eq!(reason(ip), Some(why), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "64:ff9b::8.8.8.8",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn allowlist_opens_exactly_what_it_names() {
        let guard = Guard::new(&BlocklistsConfig {
            allow_networks: vec!["127.0.0.1/32".parse().unwrap()],
            allow_hosts: vec!["Mirror.Internal.".into()],
            ..Default::default()
        });
        assert!(guard.check_addr("x", "127.0.0.1".parse().unwrap()).is_ok());
        assert!(guard.check_addr("x", "127.0.0.2".parse().unwrap()).is_err());
        assert!(guard.check_addr("x", "::1".parse().unwrap()).is_err());
        assert!(guard
            .check_addr("mirror.internal", "10.1.1.1".parse().unwrap())
            .is_ok());
        let open = Guard::default();
        assert!(matches!(
            open.check_addr("h", "10.1.1.1".parse().unwrap()),
            Err(GuardError::Forbidden {
                reason: "private",
                ..
            })
        ));
    }

    #[test]
    fn url_forms() {
        assert!(check_url("https://example.org/list.txt").is_ok());
        assert_eq!(
            check_url("file:///etc/passwd").unwrap_err(),
            GuardError::Scheme("file".into())
        );
        assert!(matches!(
            check_url("gopher://x/"),
            Err(GuardError::Scheme(_))
        ));
        assert_eq!(
            check_url("http://u:p@example.org/").unwrap_err(),
            GuardError::Credentials
        );
        assert!(matches!(check_url("not a url"), Err(GuardError::BadUrl(_))));
        // Numeric host spellings are normalised by the URL parser, so the address rules see
        // the real address.
        for raw in ["http://127.1/", "http://2130706433/", "http://0x7f.1/"] {
            let url = check_url(raw).unwrap();
            assert_eq!(url.host_str(), Some("127.0.0.1"), "{raw}");
        }
    }

    #[tokio::test]
    async fn literal_and_localhost_hosts_are_refused() {
        let guard = Guard::default();
        for raw in [
            "http://127.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
            "http://127.1/",
            "http://2130706433/",
        ] {
            let url = check_url(raw).unwrap();
            assert!(
                matches!(guard.resolve(&url).await, Err(GuardError::Forbidden { .. })),
                "{raw}"
            );
        }
    }
}
