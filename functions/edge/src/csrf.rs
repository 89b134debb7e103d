//! The CSRF rule at the edge: a cookie-authenticated request that changes state must carry
//! `X-BanGUI-Request: 1` (a cross-site form cannot set it). Bearer clients are exempt. The rule
//! itself is `bangui_shared::access::csrf_ok`, shared with the agent.

use bangui_shared::access::{csrf_ok, Credential, CSRF_HEADER};
use bangui_shared::routes::Route;
use bangui_shared::{ApiError, ErrorCode};

use crate::request::Incoming;

/// # Errors
///
/// 403 `csrf_check_failed` when the rule is broken.
pub fn check(route: &Route, credential: Credential, req: &Incoming) -> Result<(), ApiError> {
    if csrf_ok(route, credential, req.header(CSRF_HEADER)) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::CsrfCheckFailed,
            format!("cookie-authenticated writes need the header `{CSRF_HEADER}: 1`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bangui_shared::routes::{find, Method};

    #[test]
    fn cookie_writes_need_the_header() {
        let ban = find(Method::Post, "/api/v1/bans").unwrap();
        let list = find(Method::Get, "/api/v1/jails").unwrap();
        let mut req = Incoming::default();
        assert_eq!(
            check(ban, Credential::Cookie, &req).unwrap_err().status(),
            403
        );
        assert!(check(ban, Credential::Bearer, &req).is_ok());
        assert!(check(list, Credential::Cookie, &req).is_ok());
        req.headers.push(("x-bangui-request".into(), b"1".to_vec()));
        assert!(check(ban, Credential::Cookie, &req).is_ok());
    }
}
