//! Response compression. A ban list of 1,000 entries is 140 KB of JSON and about 19 KB as gzip:
//! across a network, or the edge's extra mTLS hop, that is most of the transfer. gzip is the one
//! coding every browser, curl (`--compressed`) and HTTP library reads; level 1 compresses 140 KB
//! in about 0.2 ms (level 6 takes five times as long for 40 % fewer bytes).

use std::io::Write;

use bangui_shared::accept_encoding::accepts_gzip;
use bangui_shared::routes::{Group, Route};
use flate2::write::GzEncoder;
use flate2::Compression;
use warp::http::{header, HeaderMap};

/// Smaller bodies leave as they are: below one packet, gzip's own header and the work cost more
/// than they save.
pub const MIN_COMPRESSED_LEN: usize = 1024;

/// How a response body may be encoded for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    /// The route's answers never vary with `Accept-Encoding`.
    Never,
    /// The route compresses, but this client did not ask for gzip.
    Identity,
    Gzip,
}

impl Coding {
    /// The coding for `route`'s answer to a request with `headers`.
    ///
    /// Login and setup answers carry session tokens and are never compressed: a compressed body
    /// that holds a secret next to text an attacker chose leaks the secret through its length
    /// (BREACH). The other answers hold no secrets.
    pub fn choose(route: &Route, headers: &HeaderMap) -> Self {
        if matches!(route.group, Group::Auth | Group::Setup) {
            return Self::Never;
        }
        if reads_gzip(headers) {
            Self::Gzip
        } else {
            Self::Identity
        }
    }

    /// Whether the answer names `Accept-Encoding` in `Vary`.
    pub fn varies(self) -> bool {
        self != Self::Never
    }

    /// `body` in this coding, with its `Content-Encoding`; as it is when it is small or the
    /// coding is not gzip.
    pub fn encode(self, body: Vec<u8>) -> (Vec<u8>, Option<&'static str>) {
        if self != Self::Gzip || body.len() < MIN_COMPRESSED_LEN {
            return (body, None);
        }
        match gzip(&body) {
            Ok(packed) if packed.len() < body.len() => (packed, Some("gzip")),
            // Writing to a Vec does not fail; if it did, or gzip made the body larger, it
            // goes out as it is.
            _ => (body, None),
        }
    }
}

/// Whether the client that sent `headers` reads gzip (all its `Accept-Encoding` lines).
pub fn reads_gzip(headers: &HeaderMap) -> bool {
    accepts_gzip(
        headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use bangui_shared::routes::{match_route, Method, RouteMatch};
    use flate2::read::GzDecoder;
    use warp::http::HeaderValue;

    use super::*;

    fn route(method: Method, path: &str) -> &'static Route {
        match match_route(method, path) {
            RouteMatch::Found { route, .. } => route,
            other => panic!("{path}: {other:?}"),
        }
    }

    fn asking(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.append(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn answers_that_carry_tokens_are_never_compressed() {
        let bans = route(Method::Get, "/api/v1/bans/active");
        let login = route(Method::Post, "/api/v1/auth/login");
        let setup = route(Method::Post, "/api/v1/setup");
        assert_eq!(Coding::choose(bans, &asking("gzip")), Coding::Gzip);
        assert_eq!(Coding::choose(bans, &HeaderMap::new()), Coding::Identity);
        assert_eq!(Coding::choose(login, &asking("gzip")), Coding::Never);
        assert_eq!(Coding::choose(setup, &asking("gzip")), Coding::Never);
        assert!(!Coding::Never.varies());
        assert!(Coding::Identity.varies());
    }

    #[test]
    fn several_accept_encoding_lines_are_read_as_one_list() {
        let bans = route(Method::Get, "/api/v1/bans/active");
        let mut headers = asking("br");
        headers.append(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(Coding::choose(bans, &headers), Coding::Gzip);
    }

    #[test]
    fn large_bodies_are_gzipped_and_small_ones_left_alone() {
        let body = br#"{"ip":"192.0.2.1","jail":"sshd"},"#.repeat(100);
        let (packed, coding) = Coding::Gzip.encode(body.clone());
        assert_eq!(coding, Some("gzip"));
        assert!(packed.len() < body.len() / 5, "{} bytes", packed.len());
        let mut unpacked = Vec::new();
        GzDecoder::new(&packed[..])
            .read_to_end(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, body);

        let small = b"{\"total\":0}".to_vec();
        assert_eq!(Coding::Gzip.encode(small.clone()), (small, None));
        assert_eq!(Coding::Identity.encode(body.clone()), (body.clone(), None));
        assert_eq!(Coding::Never.encode(body.clone()), (body, None));
    }

    #[test]
    fn a_body_gzip_cannot_shrink_goes_out_as_it_is() {
        // Bytes with no repetition: gzip adds its framing and saves nothing.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert_eq!(Coding::Gzip.encode(noise.clone()), (noise, None));
    }
}
