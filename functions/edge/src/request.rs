//! The client's request as plain data, plus the query-string and correlation-id helpers.
//!
//! The Spin glue ([`crate::spin`]) fills an [`Incoming`] from the SDK's request; everything after
//! that works on this type, so the whole request flow runs in host unit tests.

/// A request as the component received it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Incoming {
    /// The method as sent (`"GET"`).
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    pub query: String,
    /// Headers with lowercase names, in arrival order.
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    /// The client's address (`ip:port`), from Spin's `spin-client-addr` header.
    pub client_addr: Option<String>,
    /// Set when the body could not be read (too large, broken stream); answered after routing.
    pub body_error: Option<bangui_shared::ApiError>,
}

/// The header that carries the request's correlation id, both ways.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// The first value of header `name` (lowercase) in `headers`, if it is text.
pub fn header_text<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

/// Whether a request with this method and these headers (lowercase names) can carry a body. A
/// GET or HEAD without `Content-Length` or `Transfer-Encoding` has none (RFC 9112 §6.3), so the
/// component need not wait on the host for the end of an empty stream: that wait is a trip
/// through the host's executor on every read-only request.
pub fn may_have_body(method: &str, headers: &[(String, Vec<u8>)]) -> bool {
    !matches!(method, "GET" | "HEAD")
        || headers
            .iter()
            .any(|(n, _)| n == "content-length" || n == "transfer-encoding")
}

impl Incoming {
    /// The first value of header `name` (lowercase) as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_text(&self.headers, name)
    }

    /// Every value of header `name` (lowercase) that is text.
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .filter_map(|(_, v)| std::str::from_utf8(v).ok())
    }

    /// The codings the client reads (its `Accept-Encoding` lines as one list), if it named any.
    pub fn accept_encoding(&self) -> Option<String> {
        let codings: Vec<&str> = self.headers_named("accept-encoding").collect();
        (!codings.is_empty()).then(|| codings.join(", "))
    }

    /// The client's IP address (the port of `spin-client-addr` removed; brackets of an IPv6
    /// address too).
    pub fn client_ip(&self) -> Option<String> {
        let addr = self.client_addr.as_deref()?.trim();
        let ip = if let Some(rest) = addr.strip_prefix('[') {
            rest.split(']').next()?
        } else if addr.matches(':').count() == 1 {
            addr.split(':').next()?
        } else {
            addr
        };
        let ip: std::net::IpAddr = ip.parse().ok()?;
        Some(ip.to_canonical().to_string())
    }

    /// The values of query parameter `name`, percent-decoded.
    pub fn query_values(&self, name: &str) -> Vec<String> {
        pairs(&self.query)
            .filter(|(k, _)| decode(k) == name)
            .map(|(_, v)| decode(v))
            .collect()
    }

    /// The first value of query parameter `name`.
    pub fn query_value(&self, name: &str) -> Option<String> {
        self.query_values(name).into_iter().next()
    }
}

/// The query with every `drop` parameter removed and `set` parameters replaced (appended when
/// absent); other parameters keep their raw encoding and order.
pub fn rewrite_query(query: &str, drop: &[&str], set: &[(&str, String)]) -> String {
    let mut out: Vec<String> = raw_pairs(query)
        .filter(|(k, _)| {
            let k = decode(k);
            !drop.contains(&k.as_str()) && !set.iter().any(|(s, _)| *s == k)
        })
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.to_owned(),
        })
        .collect();
    out.extend(set.iter().map(|(k, v)| format!("{k}={v}")));
    out.join("&")
}

/// The caller's correlation id when it is a sane token (1–128 of `[A-Za-z0-9-_.:]`), else a
/// fresh random one (UUID v4 form).
pub fn correlation_id(given: Option<&str>) -> String {
    match given {
        Some(v)
            if !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)) =>
        {
            v.to_owned()
        }
        _ => random_uuid(),
    }
}

/// A random UUID v4 for correlation (not a secret): SipHash under std's per-process random key
/// (seeded from `wasi:random` in a component) over the clock. Avoids a getrandom dependency,
/// which would raise the component's WASI imports to its own, newer version.
fn random_uuid() -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut b = [0u8; 16];
    for (i, chunk) in b.chunks_mut(8).enumerate() {
        let mut h = state.build_hasher();
        h.write_u128(nanos);
        h.write_usize(i);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `(key, value)` pairs, a missing `=` giving `None`.
fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (p, None),
        })
}

fn pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    raw_pairs(query).map(|(k, v)| (k, v.unwrap_or_default()))
}

/// Percent-decoding with `+` as space, as HTML forms and the agent read queries. A malformed
/// escape is kept as it is.
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(query: &str, addr: Option<&str>) -> Incoming {
        Incoming {
            method: "GET".into(),
            path: "/api/v1/jails".into(),
            query: query.into(),
            headers: vec![("x-one".into(), b"1".to_vec())],
            body: Vec::new(),
            client_addr: addr.map(str::to_owned),
            body_error: None,
        }
    }

    #[test]
    fn only_reads_without_framing_headers_have_no_body() {
        let none: Vec<(String, Vec<u8>)> = vec![("accept".into(), b"*/*".to_vec())];
        let sized = vec![("content-length".into(), b"2".to_vec())];
        let chunked = vec![("transfer-encoding".into(), b"chunked".to_vec())];
        assert!(!may_have_body("GET", &none));
        assert!(!may_have_body("HEAD", &none));
        assert!(may_have_body("GET", &sized));
        assert!(may_have_body("GET", &chunked));
        for method in ["POST", "PUT", "DELETE", "PATCH", "get"] {
            assert!(may_have_body(method, &none), "{method}");
        }
    }

    #[test]
    fn query_values_are_decoded() {
        let r = req("host=web%2D1&page=2&x=a+b&host=web2&flag", None);
        assert_eq!(r.query_values("host"), ["web-1", "web2"]);
        assert_eq!(r.query_value("x").as_deref(), Some("a b"));
        assert_eq!(r.query_value("flag").as_deref(), Some(""));
        assert_eq!(r.query_value("nope"), None);
        assert_eq!(decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn rewriting_drops_replaces_and_keeps_raw_encoding() {
        let q = "host=web1&range=24h&page=3&q=a%20b&flag";
        assert_eq!(
            rewrite_query(q, &["host"], &[]),
            "range=24h&page=3&q=a%20b&flag"
        );
        assert_eq!(
            rewrite_query(
                q,
                &["host"],
                &[("page", "1".into()), ("page_size", "500".into())]
            ),
            "range=24h&q=a%20b&flag&page=1&page_size=500"
        );
        assert_eq!(rewrite_query("", &["host"], &[]), "");
        assert_eq!(rewrite_query("x=", &[], &[]), "x=");
    }

    #[test]
    fn client_ip_drops_the_port() {
        assert_eq!(
            req("", Some("127.0.0.1:53152")).client_ip().as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            req("", Some("[2001:db8::1]:443")).client_ip().as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            req("", Some("[::ffff:192.0.2.7]:1")).client_ip().as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(req("", Some("garbage")).client_ip(), None);
        assert_eq!(req("", None).client_ip(), None);
        assert_eq!(req("", None).header("x-one"), Some("1"));
    }

    #[test]
    fn correlation_ids_are_kept_when_sane() {
        assert_eq!(correlation_id(Some("abc-123")), "abc-123");
        let fresh = correlation_id(Some("bad id\n"));
        assert_eq!(fresh.len(), 36);
        assert_eq!(&fresh[14..15], "4");
        assert_ne!(correlation_id(None), correlation_id(None));
    }
}
