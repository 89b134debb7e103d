//! Reading a downloaded list: one entry per line, comments and blank lines skipped, entries
//! de-duplicated and capped. Pure: bytes in, entries and counts out.
//!
//! Formats read (`ListFormat::Auto`, the default): plain `IP` or `IP/prefix` lines, `#` and `;`
//! comment lines, `ip;comment` / `ip ; SBL123` (Spamhaus DROP style), `ip # comment`,
//! leading-token lists such as `ip<TAB>count` (ipsum) or `ip,score`, IPv6 and IPv4-mapped IPv6
//! (read as IPv4). `ListFormat::Plain` accepts exactly one entry per line (plus comments).

use std::collections::HashSet;
use std::net::IpAddr;

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
    pub entries: Vec<IpAddr>,
    pub counts: ImportCounts,
    pub invalid_samples: Vec<InvalidLine>,
}

/// Why a line is not an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    NotAnAddress,
    Network(IpNet),
    NotAHost(&'static str),
    TrailingText,
}

impl Refusal {
    fn describe(&self) -> String {
        match self {
            Self::NotAnAddress => "not an IP address or network".into(),
            Self::Network(n) => {
                format!("network {n}: fail2ban bans single addresses, so networks are not imported")
            }
            Self::NotAHost(kind) => format!("{kind} address, not a host that can be banned"),
            Self::TrailingText => "more than one entry on the line (format plain)".into(),
        }
    }
}

/// Parses `body` as a list in `format`, keeping at most `max_entries` unique entries.
pub fn parse(body: &[u8], format: ListFormat, max_entries: u32) -> Parsed {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    let mut out = Parsed::default();
    out.counts.fetched_bytes = body.len() as u64;
    let mut seen: HashSet<IpAddr> = HashSet::new();
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
fn entry(line: &str, format: ListFormat) -> Result<IpAddr, Refusal> {
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
    let ip = match token.parse::<IpAddr>() {
        Ok(ip) => ip,
        Err(_) => match token.parse::<IpNet>() {
            Ok(net) if net.prefix_len() == net.max_prefix_len() => net.addr(),
            Ok(net) => return Err(Refusal::Network(net)),
            Err(_) => return Err(Refusal::NotAnAddress),
        },
    };
    let ip = ip.to_canonical();
    let kind = match ip {
        _ if ip.is_unspecified() => Some("unspecified"),
        _ if ip.is_loopback() => Some("loopback"),
        _ if ip.is_multicast() => Some("multicast"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("broadcast"),
        _ => None,
    };
    match kind {
        Some(k) => Err(Refusal::NotAHost(k)),
        None => Ok(ip),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(p: &Parsed) -> Vec<String> {
        p.entries.iter().map(|i| i.to_string()).collect()
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
        let mut body = String::from("192.0.2.1\nnot-an-ip\n10.0.0.0/8\n0.0.0.0\n127.0.0.1\n");
        for i in 0..20 {
            body += &format!("junk{i}\n");
        }
        let p = parse(body.as_bytes(), ListFormat::Auto, 100);
        assert_eq!(p.counts.valid, 1);
        assert_eq!(p.counts.invalid, 24);
        assert_eq!(p.invalid_samples.len(), SAMPLES);
        assert_eq!(p.invalid_samples[0].line, 2);
        assert!(p.invalid_samples[1].reason.contains("network"));
        assert!(p.invalid_samples[2].reason.contains("unspecified"));
        assert!(p.invalid_samples[3].reason.contains("loopback"));
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
