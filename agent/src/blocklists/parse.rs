//! Reading a downloaded list: one entry per line, comments and blank lines skipped, entries
//! de-duplicated and capped. Pure: bytes in, entries and counts out.
//!
//! Formats read (`ListFormat::Auto`, the default): plain `IP` or `IP/prefix` lines, `#` and `;`
//! comment lines, `ip;comment` / `ip ; SBL123` (Spamhaus DROP style), `ip # comment`,
//! leading-token lists such as `ip<TAB>count` (ipsum) or `ip,score`, IPv6 and IPv4-mapped IPv6
//! (read as IPv4). `ListFormat::Plain` accepts exactly one entry per line (plus comments).
//!
//! Every entry is a network: an address is a host network (`/32`, `/128`), a network has its
//! host bits cleared (`192.0.2.5/24` is `192.0.2.0/24`, as fail2ban reports it).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use bangui_shared::models::blocklists::{ImportCounts, InvalidLine, ListFormat};

/// Invalid lines reported by example.
pub const SAMPLES: usize = 10;
/// Invalid lines are cut to this many characters in samples.
const SAMPLE_CHARS: usize = 100;

/// A parsed list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// Unique entries in list order, at most `max_entries`.
    pub entries: Vec<IpNet>,
    pub counts: ImportCounts,
    pub invalid_samples: Vec<InvalidLine>,
}

/// Why a line is not an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    NotAnAddress,
    NotAHost(&'static str),
    Covers(IpNet, &'static str),
    TrailingText,
}

impl Refusal {
    fn describe(&self) -> String {
        match self {
            Self::NotAnAddress => "not an IP address or network".into(),
            Self::NotAHost(kind) => format!("{kind} address, not a host that can be banned"),
            Self::Covers(net, kind) => format!("network {net} covers {kind} addresses"),
            Self::TrailingText => "more than one entry on the line (format plain)".into(),
        }
    }
}

/// Parses `body` as a list in `format`, keeping at most `max_entries` unique entries.
pub fn parse(body: &[u8], format: ListFormat, max_entries: u32) -> Parsed {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let mut out = Parsed::default();
    out.counts.fetched_bytes = body.len() as u64;
    let mut seen: HashSet<IpNet> = HashSet::new();
    let mut capped = false;
    for (index, raw) in body.split(|b| *b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) || line.starts_with("//") {
            continue;
        }
        let refuse = |out: &mut Parsed, why: String| {
            out.counts.invalid += 1;
            if out.invalid_samples.len() < SAMPLES {
                out.invalid_samples.push(InvalidLine {
                    line: index as u64 + 1,
                    text: line.chars().take(SAMPLE_CHARS).collect(),
                    reason: why,
                });
            }
        };
        let ip = match entry(line, format) {
            Ok(ip) => ip,
            Err(r) => {
                refuse(&mut out, r.describe());
                continue;
            }
        };
        if !seen.insert(ip) {
            out.counts.duplicates += 1;
            continue;
        }
        if out.entries.len() >= max_entries as usize {
            if !capped {
                capped = true;
                refuse(
                    &mut out,
                    format!("the source's max_entries ({max_entries}) was reached; this and later entries are not imported"),
                );
            } else {
                out.counts.invalid += 1;
            }
            continue;
        }
        out.entries.push(ip);
    }
    out.counts.valid = out.entries.len() as u64;
    out
}

/// The entry of one non-empty, non-comment line.
fn entry(line: &str, format: ListFormat) -> Result<IpNet, Refusal> {
    let token = match format {
        ListFormat::Auto => line
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '|' | '#'))
            .next()
            .unwrap_or_default(),
        ListFormat::Plain => {
            let body = line.split(['#', ';']).next().unwrap_or_default().trim();
            if body.contains(char::is_whitespace) {
                return Err(Refusal::TrailingText);
            }
            body
        }
    };
    let net = match token.parse::<IpAddr>() {
        Ok(ip) => IpNet::from(ip),
        Err(_) => token.parse::<IpNet>().map_err(|_| Refusal::NotAnAddress)?,
    };
    let net = canonical(net);
    match SPECIAL.iter().find(|(special, _)| overlap(special, &net)) {
        None => Ok(net),
        Some(_) if net.prefix_len() == net.max_prefix_len() => {
            Err(Refusal::NotAHost(kind_of(net.addr())))
        }
        Some((_, kind)) => Err(Refusal::Covers(net, kind)),
    }
}

/// Ranges that are never a host to ban; a network touching one is refused whole (it would ban
/// loopback, or `0.0.0.0/0`, which fail2ban reports as `0.0.0.0`).
const SPECIAL: [(IpNet, &str); 7] = [
    (v4(Ipv4Addr::UNSPECIFIED, 32), "unspecified"),
    (v4(Ipv4Addr::new(127, 0, 0, 0), 8), "loopback"),
    (v4(Ipv4Addr::new(224, 0, 0, 0), 4), "multicast"),
    (v4(Ipv4Addr::BROADCAST, 32), "broadcast"),
    (v6(Ipv6Addr::UNSPECIFIED, 128), "unspecified"),
    (v6(Ipv6Addr::LOCALHOST, 128), "loopback"),
    (
        v6(Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8),
        "multicast",
    ),
];

const fn v4(addr: Ipv4Addr, prefix: u8) -> IpNet {
    IpNet::V4(ipnet::Ipv4Net::new_assert(addr, prefix))
}

const fn v6(addr: Ipv6Addr, prefix: u8) -> IpNet {
    IpNet::V6(ipnet::Ipv6Net::new_assert(addr, prefix))
}

fn kind_of(ip: IpAddr) -> &'static str {
    SPECIAL
        .iter()
        .find(|(n, _)| n.contains(&ip))
        .map_or("special", |(_, kind)| kind)
}

/// `true` when the networks share an address (CIDR networks overlap only by nesting).
pub fn overlap(a: &IpNet, b: &IpNet) -> bool {
    a.contains(b) || b.contains(a)
}

/// Host bits cleared; an IPv4-mapped IPv6 network (`::ffff:192.0.2.0/120`) read as IPv4.
fn canonical(net: IpNet) -> IpNet {
    let net = net.trunc();
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net,
        },
        _ => net,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(p: &Parsed) -> Vec<String> {
        p.entries
            .iter()
            .map(crate::fail2ban::command::net_text)
            .collect()
    }

    #[test]
    fn plain_list_with_comments() {
        let p = parse(
            b"# header\n; another\n\n192.0.2.1\r\n 198.51.100.7 \n2001:db8::1\n192.0.2.1\n",
            ListFormat::Auto,
            100,
        );
        assert_eq!(ips(&p), ["192.0.2.1", "198.51.100.7", "2001:db8::1"]);
        assert_eq!(p.counts.valid, 3);
        assert_eq!(p.counts.duplicates, 1);
        assert_eq!(p.counts.invalid, 0);
    }

    #[test]
    fn common_public_formats() {
        // Spamhaus DROP style, inline comments, ipsum's tab-separated counts, CSV.
        let body = b"203.0.113.5 ; SBL123\n203.0.113.6;comment\n203.0.113.7 # why\n\
                     203.0.113.8\t4\n203.0.113.9,high\n2001:db8::2 | v6\n::ffff:203.0.113.10\n\
                     203.0.113.11/32\n";
        let p = parse(body, ListFormat::Auto, 100);
        assert_eq!(
            ips(&p),
            [
                "203.0.113.5",
                "203.0.113.6",
                "203.0.113.7",
                "203.0.113.8",
                "203.0.113.9",
                "2001:db8::2",
                "203.0.113.10",
                "203.0.113.11"
            ]
        );
    }

    #[test]
    fn invalid_lines_are_counted_with_samples() {
        let mut body = String::from("192.0.2.1\nnot-an-ip\n120.0.0.0/5\n0.0.0.0\n127.0.0.1\n");
        for i in 0..20 {
            body += &format!("junk{i}\n");
        }
        let p = parse(body.as_bytes(), ListFormat::Auto, 100);
        assert_eq!(p.counts.valid, 1);
        assert_eq!(p.counts.invalid, 24);
        assert_eq!(p.invalid_samples.len(), SAMPLES);
        assert_eq!(p.invalid_samples[0].line, 2);
        assert!(p.invalid_samples[1].reason.contains("covers loopback"));
        assert!(p.invalid_samples[2].reason.contains("unspecified"));
        assert!(p.invalid_samples[3].reason.contains("loopback"));
    }

    #[test]
    fn networks_are_entries_with_host_bits_cleared() {
        let body = b"1.10.16.0/20 ; SBL256894\n192.0.2.5/24\n192.0.2.0/24\n203.0.113.9/32\n\
                     2001:db8::/48\n::ffff:198.51.100.0/120\n0.0.0.0/0\n224.0.0.0/3\n::/0\n\
                     10.0.0.0/33\n";
        let p = parse(body, ListFormat::Auto, 100);
        assert_eq!(
            ips(&p),
            [
                "1.10.16.0/20",
                "192.0.2.0/24",
                "203.0.113.9",
                "2001:db8::/48",
                "198.51.100.0/24"
            ]
        );
        assert_eq!(p.counts.duplicates, 1);
        assert_eq!(p.counts.invalid, 4);
        let reasons: Vec<&str> = p
            .invalid_samples
            .iter()
            .map(|s| s.reason.as_str())
            .collect();
        assert!(
            reasons[0].contains("0.0.0.0/0 covers unspecified"),
            "{reasons:?}"
        );
        assert!(reasons[1].contains("covers multicast"), "{reasons:?}");
        assert!(
            reasons[2].contains("::/0 covers unspecified"),
            "{reasons:?}"
        );
        assert!(
            reasons[3].contains("not an IP address or network"),
            "{reasons:?}"
        );
    }

    #[test]
    fn overlap_is_nesting_either_way() {
        let n = |s: &str| s.parse::<IpNet>().unwrap();
        assert!(overlap(&n("10.0.0.0/8"), &n("10.1.2.0/24")));
        assert!(overlap(&n("10.1.2.0/24"), &n("10.0.0.0/8")));
        assert!(overlap(&n("10.1.2.3/32"), &n("10.1.2.0/24")));
        assert!(!overlap(&n("10.1.2.0/24"), &n("10.1.3.0/24")));
        assert!(!overlap(&n("10.0.0.0/8"), &n("2001:db8::/32")));
    }

    #[test]
    fn plain_format_is_strict() {
        let p = parse(
            b"192.0.2.1 # ok\n192.0.2.2 extra\n192.0.2.3;c\n",
            ListFormat::Plain,
            100,
        );
        assert_eq!(ips(&p), ["192.0.2.1", "192.0.2.3"]);
        assert_eq!(p.counts.invalid, 1);
    }

    #[test]
    fn cap_keeps_the_first_entries() {
        let body: String = (1..=10).map(|i| format!("192.0.2.{i}\n")).collect();
        let p = parse(body.as_bytes(), ListFormat::Auto, 4);
        assert_eq!(p.entries.len(), 4);
        assert_eq!(p.counts.invalid, 6);
        assert_eq!(p.invalid_samples.len(), 1);
        assert!(p.invalid_samples[0].reason.contains("max_entries"));
    }

    #[test]
    fn bom_and_binary_garbage_do_not_panic() {
        let p = parse(
            b"\xef\xbb\xbf192.0.2.1\n\xff\xfe\x00\n",
            ListFormat::Auto,
            10,
        );
        assert_eq!(ips(&p), ["192.0.2.1"]);
        assert_eq!(p.counts.invalid, 1);
    }
}
