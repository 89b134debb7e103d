//! The gate every request passes before its handler: setup state, session, CSRF and write
//! limits, decided from the route table in this one place.

use std::net::{IpAddr, SocketAddr};

use bangui_shared::access::{csrf_ok, Credential, RateBucket, CSRF_HEADER};
use bangui_shared::routes::Route;
use bangui_shared::session::COOKIE_NAME;
use bangui_shared::{ApiError, ErrorCode};
use ipnet::IpNet;
use warp::http::{header, HeaderMap};

use crate::auth::Session;
use crate::http::server::EdgePeer;
use crate::state::AppState;

/// The caller's address: the TCP peer, or — when the peer is a trusted proxy — the nearest
/// untrusted address in `X-Forwarded-For`.
pub fn client_ip(
    peer: SocketAddr,
    headers: &HeaderMap,
    trusted: &[IpNet],
    edge: Option<&EdgePeer>,
) -> IpAddr {
    let peer = peer.ip().to_canonical();
    // The edge appends the real client: every hop before it is the edge's own business.
    let trust_all = edge.is_some_and(|e| e.authorized);
    let is_trusted = |ip: &IpAddr| trust_all || trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect();
    if trust_all {
        return forwarded.last().copied().unwrap_or(peer);
    }
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
}

/// The session token of a request: `Authorization: Bearer` wins over the cookie.
pub fn credential(headers: &HeaderMap) -> Option<(Credential, String)> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .unwrap_or_default();
        return Some((Credential::Bearer, token.to_owned()));
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, token)| (Credential::Cookie, token.trim().to_owned()))
}

/// Decides whether the request may reach its handler. Public routes pass (their handlers do
/// their own checks); everything else needs completed setup, a live session, the CSRF header
/// on cookie writes, and room in its write bucket.
pub fn admit(
    state: &AppState,
    route: &Route,
    headers: &HeaderMap,
    client: IpAddr,
    edge: Option<&EdgePeer>,
) -> Result<Option<Session>, ApiError> {
    if let Some(edge) = edge {
        return admit_edge(state, route, headers, client, edge);
    }
    if route.public || is_logout(route) {
        return Ok(None);
    }
    if !state.auth.is_setup() {
        return Err(setup_required());
    }
    let Some((kind, token)) = credential(headers) else {
        return Err(ApiError::new(
            ErrorCode::AuthenticationRequired,
            "authentication required: log in and send the session cookie or an \
             `Authorization: Bearer` token",
        ));
    };
    let session = state.auth.check(&token)?;
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !csrf_ok(route, kind, csrf) {
        return Err(ApiError::new(
            ErrorCode::CsrfCheckFailed,
            format!("cookie-authenticated writes need the header `{CSRF_HEADER}: 1`"),
        ));
    }
    if let Some(bucket) = RateBucket::for_route(route) {
        state.auth.check_rate(bucket, client)?;
    }
    Ok(Some(session))
}

/// Requests through the edge listener are authenticated by the certificate: the edge checked
/// the session and CSRF already, and only the control agent keeps sessions (and setup), so an
/// agent asks for a token only where the route is about the session itself.
fn admit_edge(
    state: &AppState,
    route: &Route,
    headers: &HeaderMap,
    client: IpAddr,
    edge: &EdgePeer,
) -> Result<Option<Session>, ApiError> {
    if !edge.authorized {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "the client certificate does not carry the edge role",
        ));
    }
    if route.public || is_logout(route) {
        return Ok(None);
    }
    // An agent of a fleet needs no setup of its own: the certificate is its authentication,
    // and sessions (which need setup) live on the control agent.
    if let Some(bucket) = RateBucket::for_route(route) {
        state.auth.check_rate(bucket, client)?;
    }
    if route.pattern == "/api/v1/auth/session" {
        if !state.auth.is_setup() {
            return Err(setup_required());
        }
        let token = credential(headers).map(|(_, t)| t).unwrap_or_default();
        return state.auth.check(&token).map(Some);
    }
    Ok(None)
}

pub fn setup_required() -> ApiError {
    ApiError::new(
        ErrorCode::SetupRequired,
        "setup has not been completed: POST /api/v1/setup first",
    )
}

/// Logout answers without a session too ("silently successful"), so it checks for itself.
fn is_logout(route: &Route) -> bool {
    route.pattern == "/api/v1/auth/logout"
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_for_only_from_trusted_proxies() {
        let proxy: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "198.51.100.9, 10.0.0.3")]);
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(proxy, &h, &trusted, None),
            "198.51.100.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &h, &[], None), proxy.ip());
        let spoofed = headers(&[("x-forwarded-for", "garbage")]);
        assert_eq!(client_ip(proxy, &spoofed, &trusted, None), proxy.ip());
        let edge = EdgePeer {
            uris: vec!["spiffe://bangui/edge".into()],
            authorized: true,
        };
        assert_eq!(
            client_ip(proxy, &h, &[], Some(&edge)),
            "10.0.0.3".parse::<IpAddr>().unwrap()
        );
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:1".parse().unwrap();
        assert_eq!(
            client_ip(mapped, &HeaderMap::new(), &[], None),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn bearer_wins_over_cookie() {
        let h = headers(&[
            ("cookie", "a=b; bangui_session=cookie-token"),
            ("authorization", "Bearer bearer-token"),
        ]);
        assert_eq!(
            credential(&h),
            Some((Credential::Bearer, "bearer-token".into()))
        );
        let c = headers(&[("cookie", "a=b; bangui_session=cookie-token")]);
        assert_eq!(
            credential(&c),
            Some((Credential::Cookie, "cookie-token".into()))
        );
        assert_eq!(credential(&HeaderMap::new()), None);
    }
}
