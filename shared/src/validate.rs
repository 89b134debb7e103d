//! Validation of the values a request names: jail names, IP addresses, ignore-list entries
//! (addresses, networks and host names).
//!
//! Each parser takes the raw text and returns a typed value or a 400 `invalid_input` whose
//! `metadata.field` names the field. Nothing here trims, guesses or resolves names.

use std::borrow::Borrow;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A fail2ban jail name: 1 to 64 characters of `[A-Za-z0-9._@-]`, not starting with `.` or `-`
/// and without `..`, so it is safe in a file name, a socket command and a URL segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JailName(String);

/// An ignore-list entry: one address, or a network in CIDR notation. Host bits may be set
/// (`127.0.0.1/8`), as fail2ban accepts; they are kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum IpOrNet {
    /// A single address.
    Addr(IpAddr),
    /// A network, `address/prefix`.
    Net(IpNet),
}

/// Parses one IPv4 or IPv6 address: no surrounding whitespace, no CIDR suffix, no zone id, no
/// IPv4 octets with leading zeros. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) stays IPv6.
///
/// # Errors
///
/// A 400 `invalid_input` with `metadata.field = "ip"`.
pub fn parse_ip(s: &str) -> Result<IpAddr, ApiError> {
    s.parse().map_err(|_| {
        ApiError::invalid_field(
            "ip",
            format!("{} is not a valid IPv4 or IPv6 address", quoted(s)),
        )
    })
}

/// Parses an ignore-list entry: an address as [`parse_ip`] takes it, or `address/prefix` with a
/// decimal prefix of at most 32 (IPv4) or 128 (IPv6).
///
/// # Errors
///
/// A 400 `invalid_input` with `metadata.field = "ip"`.
pub fn parse_ip_or_net(s: &str) -> Result<IpOrNet, ApiError> {
    let invalid = || {
        ApiError::invalid_field(
            "ip",
            format!("{} is not a valid IP address or CIDR network", quoted(s)),
        )
    };
    let Some((addr, prefix)) = s.split_once('/') else {
        return parse_ip(s).map(IpOrNet::Addr).map_err(|_| invalid());
    };
    let addr = parse_ip(addr).map_err(|_| invalid())?;
    if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let prefix = prefix.parse().map_err(|_| invalid())?;
    IpNet::new(addr, prefix)
        .map(IpOrNet::Net)
        .map_err(|_| invalid())
}

/// An entry of a jail's `ignoreip` setting in fail2ban's files: an address or CIDR network, or
/// a host name fail2ban resolves (`localhost`, `gw.example.net`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IgnoreEntry {
    /// An address or network, as [`parse_ip_or_net`] takes it.
    Ip(IpOrNet),
    /// Dot-separated labels of letters, digits and inner hyphens.
    Host(String),
}

/// The most entries an `ignoreip` list may have.
pub const MAX_IGNORE_ENTRIES: usize = 1_000;

/// Parses one `ignoreip` entry. A dotted quad that is not an address (`300.1.1.1`) is refused,
/// not taken for a host name; so are spaces and commas, which fail2ban reads as separators.
///
/// # Errors
///
/// A 400 `invalid_input` with `metadata.field = "ignore_ip"`.
pub fn parse_ignore_entry(s: &str) -> Result<IgnoreEntry, ApiError> {
    if let Ok(ip) = parse_ip_or_net(s) {
        return Ok(IgnoreEntry::Ip(ip));
    }
    let labels_ok = s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    let last_numeric = s
        .rsplit('.')
        .next()
        .is_some_and(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
    let why = if s.is_empty() {
        "it is empty"
    } else if s.contains(|c: char| c.is_whitespace() || c == ',') {
        "fail2ban splits it at spaces and commas: give each entry as its own item"
    } else if s.contains('/') {
        "a network is address/prefix, the prefix at most 32 (IPv4) or 128 (IPv6)"
    } else if s.contains(':') {
        "it is not a valid IPv6 address"
    } else if last_numeric {
        // `300.1.1.1`, `1.2.3`, `01.2.3.4`: meant as an address, so not a name.
        "it ends in a number, so it would have to be a valid IPv4 address"
    } else if s.len() > 253 || !labels_ok {
        "a host name is dot-separated labels of letters, digits and inner hyphens \
         (at most 63 characters each, 253 in all)"
    } else {
        return Ok(IgnoreEntry::Host(s.to_owned()));
    };
    Err(ApiError::invalid_field(
        "ignore_ip",
        format!(
            "{} is not an IP address, CIDR network or host name: {why}",
            quoted(s)
        ),
    ))
}

/// Checks a whole `ignoreip` list and gives the value to write to the config file: the entries
/// as written, separated by spaces (fail2ban splits them back the same way). An empty list
/// gives an empty value.
///
/// # Errors
///
/// A 400 `invalid_input` with `metadata.field = "ignore_ip"` for the first bad entry or a list
/// longer than [`MAX_IGNORE_ENTRIES`].
pub fn ignore_list_value(entries: &[String]) -> Result<String, ApiError> {
    if entries.len() > MAX_IGNORE_ENTRIES {
        return Err(ApiError::invalid_field(
            "ignore_ip",
            format!("an ignore list takes at most {MAX_IGNORE_ENTRIES} entries"),
        ));
    }
    for entry in entries {
        parse_ignore_entry(entry)?;
    }
    Ok(entries.join(" "))
}

/// Shows a rejected input in an error message: quoted, escaped, cut after 64 characters.
pub(crate) fn quoted(s: &str) -> impl fmt::Display + '_ {
    Quoted(s)
}

struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        f.write_str("'")?;
        for c in self.0.chars().take(SHOWN) {
            write!(f, "{}", c.escape_debug())?;
        }
        if self.0.chars().nth(SHOWN).is_some() {
            f.write_str("…")?;
        }
        f.write_str("'")
    }
}

// === impl JailName ===

impl JailName {
    /// The longest name accepted, in characters.
    pub const MAX_LEN: usize = 64;

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Why `s` is not a jail name, or `None` when it is one.
    fn problem(s: &str) -> Option<&'static str> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-');
        if s.is_empty() {
            Some("it is empty")
        } else if !s.chars().all(allowed) {
            Some("only letters, digits and . _ @ - are allowed")
        } else if s.len() > Self::MAX_LEN {
            Some("it is longer than 64 characters")
        } else if s.starts_with(['.', '-']) {
            Some("it must not start with '.' or '-'")
        } else if s.contains("..") {
            Some("it must not contain '..'")
        } else {
            None
        }
    }
}

impl TryFrom<String> for JailName {
    type Error = ApiError;

    fn try_from(s: String) -> Result<Self, ApiError> {
        match Self::problem(&s) {
            None => Ok(Self(s)),
            Some(why) => Err(ApiError::invalid_field(
                "jail",
                format!("{} is not a valid jail name: {why}", quoted(&s)),
            )),
        }
    }
}

/// Errors are 400 `invalid_input` with `metadata.field = "jail"`.
impl FromStr for JailName {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        Self::try_from(s.to_owned())
    }
}

impl From<JailName> for String {
    fn from(name: JailName) -> Self {
        name.0
    }
}

impl AsRef<str> for JailName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for JailName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JailName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// === impl IpOrNet ===

impl IpOrNet {
    /// `true` when `ip` is this address or lies in this network.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        match self {
            Self::Addr(addr) => addr == ip,
            Self::Net(net) => net.contains(ip),
        }
    }
}

impl From<IpAddr> for IpOrNet {
    fn from(addr: IpAddr) -> Self {
        Self::Addr(addr)
    }
}

impl From<IpNet> for IpOrNet {
    fn from(net: IpNet) -> Self {
        Self::Net(net)
    }
}

/// Errors are 400 `invalid_input` with `metadata.field = "ip"`.
impl FromStr for IpOrNet {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, ApiError> {
        parse_ip_or_net(s)
    }
}

impl TryFrom<String> for IpOrNet {
    type Error = ApiError;

    fn try_from(s: String) -> Result<Self, ApiError> {
        parse_ip_or_net(&s)
    }
}

impl From<IpOrNet> for String {
    fn from(entry: IpOrNet) -> Self {
        entry.to_string()
    }
}

/// Canonical text: IPv6 compressed, host bits of a network kept as written.
impl fmt::Display for IpOrNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Addr(addr) => addr.fmt(f),
            Self::Net(net) => net.fmt(f),
        }
    }
}

// === impl IgnoreEntry ===

/// The entry as fail2ban's config takes it.
impl fmt::Display for IgnoreEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ip(ip) => ip.fmt(f),
            Self::Host(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    use super::*;
    use crate::error::ErrorCode;

    fn field(err: &ApiError) -> &str {
        err.metadata
            .get("field")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
    }

    #[test]
    fn good_jail_names() {
        let max = "a".repeat(64);
        for name in [
            "sshd",
            "nginx-http-auth",
            "blocklist-import",
            "a",
            "x.y_z@host-1",
            "_a",
            "@a",
            &max,
        ] {
            let jail: JailName = name.parse().unwrap_or_else(|e| panic!("{name:?}: {e}"));
            assert_eq!(jail.as_str(), name);
            assert_eq!(jail.to_string(), name);
        }
    }

    #[test]
    fn bad_jail_names() {
        let long = "a".repeat(65);
        let bad = [
            "",
            "../x",
            "a/b",
            "a b",
            "x\n",
            "\nx",
            " sshd",
            "sshd ",
            ".hidden",
            "-x",
            "a..b",
            "..",
            "sshd<F2B_END_COMMAND>",
            "<F2B_END_COMMAND>",
            "é",
            "a\0",
            "a;b",
            "a'b",
            "a\\b",
            &long,
        ];
        for name in bad {
            let err = name.parse::<JailName>().unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{name:?}");
            assert_eq!(err.status(), 400);
            assert_eq!(field(&err), "jail", "{name:?}");
        }
    }

    #[test]
    fn jail_name_error_explains_and_escapes() {
        let err = "x\n".parse::<JailName>().unwrap_err();
        assert_eq!(
            err.detail,
            r"'x\n' is not a valid jail name: only letters, digits and . _ @ - are allowed"
        );
        let err = "a".repeat(100).parse::<JailName>().unwrap_err();
        assert_eq!(
            err.detail,
            format!(
                "'{}…' is not a valid jail name: it is longer than 64 characters",
                "a".repeat(64)
            )
        );
    }

    #[test]
    fn jail_name_serde_round_trip() {
        let jail: JailName = serde_json::from_str(r#""nginx-http-auth""#).unwrap();
        assert_eq!(jail.as_str(), "nginx-http-auth");
        assert_eq!(
            serde_json::to_string(&jail).unwrap(),
            r#""nginx-http-auth""#
        );
        let err = serde_json::from_str::<JailName>(r#""../etc""#).unwrap_err();
        assert!(err.to_string().contains("not a valid jail name"), "{err}");
        assert!(serde_json::from_str::<JailName>("42").is_err());
    }

    #[test]
    fn jail_names_sort_and_borrow_as_str() {
        let mut names: Vec<JailName> = ["sshd", "apache", "nginx"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names.iter().map(JailName::as_str).collect::<Vec<_>>(),
            ["apache", "nginx", "sshd"]
        );
        let set: std::collections::HashSet<JailName> = names.into_iter().collect();
        assert!(set.contains("sshd"));
    }

    #[test]
    fn valid_ips() {
        let cases = [
            ("192.0.2.1", "192.0.2.1"),
            ("0.0.0.0", "0.0.0.0"),
            ("255.255.255.255", "255.255.255.255"),
            ("::1", "::1"),
            ("::", "::"),
            ("2001:db8::1", "2001:db8::1"),
            ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("fe80::1", "fe80::1"),
        ];
        for (input, canonical) in cases {
            let ip = parse_ip(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(ip.to_string(), canonical);
        }
        assert!(parse_ip("::ffff:192.0.2.1").unwrap().is_ipv6());
    }

    #[test]
    fn invalid_ips() {
        let bad = [
            "",
            "x",
            "1.2.3",
            "1.2.3.4.5",
            "256.1.1.1",
            "01.2.3.4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1.2.3.4\n",
            "1.2.3.4/32",
            "::1/128",
            "fe80::1%eth0",
            "1::2::3",
            ":::",
            "12345::",
            "[::1]",
            "1.2.3.4:80",
            "example.com",
            "0x7f.0.0.1",
        ];
        for input in bad {
            let err = parse_ip(input).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{input:?}");
            assert_eq!(field(&err), "ip");
        }
        assert_eq!(
            parse_ip("x").unwrap_err().detail,
            "'x' is not a valid IPv4 or IPv6 address"
        );
    }

    #[test]
    fn ignore_entries_addresses_and_networks() {
        let cases = [
            ("192.0.2.1", "192.0.2.1"),
            ("127.0.0.1/8", "127.0.0.1/8"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("192.0.2.1/32", "192.0.2.1/32"),
            ("2001:DB8:0::/32", "2001:db8::/32"),
            ("2001:db8::1/128", "2001:db8::1/128"),
            ("::/0", "::/0"),
            ("::1", "::1"),
        ];
        for (input, canonical) in cases {
            let entry = parse_ip_or_net(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(entry.to_string(), canonical);
            assert_eq!(input.parse::<IpOrNet>().unwrap(), entry);
        }
        assert!(matches!(
            parse_ip_or_net("192.0.2.1").unwrap(),
            IpOrNet::Addr(_)
        ));
        assert!(matches!(
            parse_ip_or_net("192.0.2.1/32").unwrap(),
            IpOrNet::Net(_)
        ));
    }

    #[test]
    fn invalid_ignore_entries() {
        let bad = [
            "",
            "/",
            "/8",
            "1.2.3.4/",
            "1.2.3.4/33",
            "::/129",
            "1.2.3.4/-1",
            "1.2.3.4/+8",
            "1.2.3.4/8/8",
            "1.2.3.4/ 8",
            "1.2.3.4 /8",
            "1.2.3.4/0008",
            "01.2.3.4/8",
            "1.2.3.4/255.0.0.0",
            "fe80::1%eth0/64",
            "x/8",
            "1.2.3.4/99999999999999999999",
        ];
        for input in bad {
            let err = parse_ip_or_net(input).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{input:?}");
            assert_eq!(field(&err), "ip", "{input:?}");
        }
        assert_eq!(
            parse_ip_or_net("1.2.3.4/33").unwrap_err().detail,
            "'1.2.3.4/33' is not a valid IP address or CIDR network"
        );
    }

    #[test]
    fn ignore_entry_contains() {
        let net = parse_ip_or_net("127.0.0.1/8").unwrap();
        assert!(net.contains(&parse_ip("127.9.9.9").unwrap()));
        assert!(!net.contains(&parse_ip("128.0.0.1").unwrap()));
        let addr = parse_ip_or_net("2001:db8::1").unwrap();
        assert!(addr.contains(&parse_ip("2001:db8:0::1").unwrap()));
        assert!(!addr.contains(&parse_ip("2001:db8::2").unwrap()));
    }

    #[test]
    fn ignore_entry_serde_round_trip() {
        let entry: IpOrNet = serde_json::from_str(r#""2001:db8:0:0::/48""#).unwrap();
        assert_eq!(serde_json::to_string(&entry).unwrap(), r#""2001:db8::/48""#);
        assert!(serde_json::from_str::<IpOrNet>(r#""1.2.3.4/33""#).is_err());
    }

    #[test]
    fn ignore_entries_of_every_kind() {
        let cases = [
            ("192.0.2.1", "192.0.2.1"),
            ("127.0.0.1/8", "127.0.0.1/8"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::1", "::1"),
            ("2001:DB8::/32", "2001:db8::/32"),
            ("fe80::/10", "fe80::/10"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("localhost", "localhost"),
            ("gw.example.net", "gw.example.net"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("a-b.c0", "a-b.c0"),
            ("123abc.example", "123abc.example"),
            ("host-1", "host-1"),
        ];
        for (input, shown) in cases {
            let entry = parse_ignore_entry(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(entry.to_string(), shown);
            let is_ip = input.parse::<IpOrNet>().is_ok();
            assert_eq!(matches!(entry, IgnoreEntry::Ip(_)), is_ip, "{input}");
        }
        let long_label = format!("{}.example", "a".repeat(63));
        assert!(parse_ignore_entry(&long_label).is_ok());
    }

    #[test]
    fn bad_ignore_entries_say_why() {
        let too_long_label = format!("{}.example", "a".repeat(64));
        let too_long_name = ["abcdefghij"; 24].join(".");
        for (input, why) in [
            ("", "it is empty"),
            ("300.1.1.1", "be a valid IPv4 address"),
            ("999.1.1.1", "be a valid IPv4 address"),
            ("1.2.3", "be a valid IPv4 address"),
            ("01.2.3.4", "be a valid IPv4 address"),
            ("1.2.3.4.5", "be a valid IPv4 address"),
            ("example.123", "be a valid IPv4 address"),
            ("1::2::3", "not a valid IPv6 address"),
            ("fe80::1%eth0", "not a valid IPv6 address"),
            ("[::1]", "not a valid IPv6 address"),
            ("1.2.3.4/33", "prefix at most 32"),
            ("1.2.3.4/255.0.0.0", "prefix at most 32"),
            ("host/24", "prefix at most 32"),
            ("192.0.2.1 192.0.2.2", "spaces and commas"),
            ("192.0.2.1,192.0.2.2", "spaces and commas"),
            ("a\tb", "spaces and commas"),
            (" 192.0.2.1", "spaces and commas"),
            ("192.0.2.1\n", "spaces and commas"),
            ("bad host", "spaces and commas"),
            ("-x.example", "host name is"),
            ("x-.example", "host name is"),
            ("a..b", "host name is"),
            ("host.example.", "host name is"),
            ("under_score.example", "host name is"),
            ("*.example", "host name is"),
            ("é.example", "host name is"),
            ("a;b", "host name is"),
            (&too_long_label, "host name is"),
            (&too_long_name, "host name is"),
        ] {
            let err = parse_ignore_entry(input).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidInput, "{input:?}");
            assert_eq!(field(&err), "ignore_ip", "{input:?}");
            assert!(
                err.detail
                    .contains("is not an IP address, CIDR network or host name"),
                "{input:?}: {}",
                err.detail
            );
            assert!(err.detail.contains(why), "{input:?}: {}", err.detail);
        }
    }

    #[test]
    fn ignore_lists_become_one_space_separated_value() {
        let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            ignore_list_value(&list(&["127.0.0.1/8", "::1", "gw.example.net"])).unwrap(),
            "127.0.0.1/8 ::1 gw.example.net"
        );
        assert_eq!(ignore_list_value(&[]).unwrap(), "");
        // One bad entry refuses the list; an item holding two entries is refused too.
        let err = ignore_list_value(&list(&["::1", "300.1.1.1"])).unwrap_err();
        assert!(err.detail.contains("'300.1.1.1'"), "{}", err.detail);
        let err = ignore_list_value(&list(&["192.0.2.1 192.0.2.2"])).unwrap_err();
        assert!(err.detail.contains("spaces and commas"), "{}", err.detail);
        let many = vec!["192.0.2.1".to_owned(); MAX_IGNORE_ENTRIES + 1];
        let err = ignore_list_value(&many).unwrap_err();
        assert_eq!(field(&err), "ignore_ip");
        assert!(ignore_list_value(&many[1..]).is_ok());
    }

    proptest! {
        #[test]
        fn every_ipv4_display_parses_back(bits: u32) {
            let addr = Ipv4Addr::from(bits);
            prop_assert_eq!(parse_ip(&addr.to_string()).unwrap(), IpAddr::V4(addr));
        }

        #[test]
        fn every_ipv6_display_parses_back(bits: u128) {
            let addr = Ipv6Addr::from(bits);
            prop_assert_eq!(parse_ip(&addr.to_string()).unwrap(), IpAddr::V6(addr));
        }

        #[test]
        fn every_network_display_parses_back(bits: u128, prefix in 0u8..=128) {
            let net = IpNet::new(IpAddr::V6(Ipv6Addr::from(bits)), prefix).unwrap();
            prop_assert_eq!(parse_ip_or_net(&net.to_string()).unwrap(), IpOrNet::Net(net));
        }

        #[test]
        fn parsers_never_panic(s in "\\PC{0,80}") {
            let _ = parse_ip(&s);
            let _ = parse_ip_or_net(&s);
            let _ = parse_ignore_entry(&s);
            let _ = s.parse::<JailName>();
        }
    }
}
