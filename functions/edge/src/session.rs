//! The session check at the edge: which token the client presented, and whether it is ours.
//!
//! Stateless: the token is verified with the deployment's signing key (the `session_signing_key`
//! variable, the same key the control agent signs with), no network hop. Whether the session is
//! still live — not logged out, not replaced by a newer login — is the control agent's answer,
//! asked at most every `session_revalidate_seconds` ([`crate::revalidate`]).

use bangui_shared::access::Credential;
use bangui_shared::session::{self, Claims, TokenError, COOKIE_NAME, MIN_KEY_BYTES};
use bangui_shared::{ApiError, ErrorCode};

use crate::request::Incoming;

/// The token a request carries and how it carried it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub credential: Credential,
    pub token: String,
}

/// A verified session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub claims: Claims,
    pub credential: Credential,
    /// The token as presented (forwarded to the agent as `Authorization: Bearer`).
    pub token: String,
}

impl Session {
    /// How the agents' store names this session (SHA-256 of the sid), for their audit logs.
    pub fn key(&self) -> String {
        session::session_key(&self.claims.sid)
    }
}

/// The request's token: `Authorization` wins over the `bangui_session` cookie, as on the agent.
/// An `Authorization` header that is not `Bearer` yields an empty token (refused later).
pub fn presented(req: &Incoming) -> Option<Presented> {
    if let Some(value) = req.header("authorization") {
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or_default();
        return Some(Presented {
            credential: Credential::Bearer,
            token: token.to_owned(),
        });
    }
    req.headers_named("cookie")
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, token)| Presented {
            credential: Credential::Cookie,
            token: token.trim().to_owned(),
        })
}

/// Verifies the presented token against `key` at `now` (Unix seconds).
///
/// # Errors
///
/// 401 `authentication_required` for a bad or expired token; 500 when the key itself is unusable
/// (a deployment error, not the client's).
pub fn verify(presented: Presented, key: &[u8], now: i64) -> Result<Session, ApiError> {
    match session::verify(&presented.token, key, now) {
        Ok(claims) => Ok(Session {
            claims,
            credential: presented.credential,
            token: presented.token,
        }),
        Err(TokenError::WeakKey) => Err(ApiError::internal(format!(
            "edge misconfigured: session_signing_key is shorter than {MIN_KEY_BYTES} bytes"
        ))),
        Err(e) => Err(unauthenticated(&format!("{e}; log in again"))),
    }
}

/// 401 `authentication_required`.
pub fn unauthenticated(detail: &str) -> ApiError {
    ApiError::new(ErrorCode::AuthenticationRequired, detail)
}

/// The 401 for a request without any token (the agent's wording).
pub fn missing() -> ApiError {
    unauthenticated(
        "authentication required: log in and send the session cookie or an \
         `Authorization: Bearer` token",
    )
}

/// The `Set-Cookie` value for a session token that lives `max_age` more seconds.
pub fn cookie(token: &str, max_age: i64) -> String {
    format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}; Secure",
        max_age.max(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn with(headers: &[(&str, &str)]) -> Incoming {
        Incoming {
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            ..Incoming::default()
        }
    }

    fn token(iat: i64, exp: i64) -> String {
        session::sign(
            &Claims {
                sid: "s3cr3t".into(),
                iat,
                exp,
            },
            KEY,
        )
        .unwrap()
    }

    #[test]
    fn bearer_wins_over_the_cookie() {
        let r = with(&[
            ("cookie", "a=b; bangui_session=from-cookie"),
            ("authorization", "Bearer from-header"),
        ]);
        assert_eq!(
            presented(&r),
            Some(Presented {
                credential: Credential::Bearer,
                token: "from-header".into()
            })
        );
        let r = with(&[("cookie", "a=b"), ("cookie", "bangui_session=c ")]);
        assert_eq!(presented(&r).unwrap().token, "c");
        assert_eq!(presented(&r).unwrap().credential, Credential::Cookie);
        let r = with(&[("authorization", "Basic eA==")]);
        assert_eq!(presented(&r).unwrap().token, "");
        assert_eq!(presented(&with(&[])), None);
    }

    #[test]
    fn verification_maps_errors_to_401_and_key_trouble_to_500() {
        let good = Presented {
            credential: Credential::Cookie,
            token: token(100, 200),
        };
        let s = verify(good.clone(), KEY, 150).unwrap();
        assert_eq!(s.claims.sid, "s3cr3t");
        assert_eq!(s.key(), session::session_key("s3cr3t"));
        let expired = verify(good.clone(), KEY, 200).unwrap_err();
        assert_eq!(expired.status(), 401);
        assert!(expired.detail.contains("expired"), "{}", expired.detail);
        let forged = verify(good.clone(), b"ffffffffffffffffffffffffffffffff", 150).unwrap_err();
        assert_eq!(forged.status(), 401);
        assert_eq!(verify(good, b"short", 150).unwrap_err().status(), 500);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure() {
        assert_eq!(
            cookie("t", 60),
            "bangui_session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(cookie("t", -5).contains("Max-Age=0"));
    }
}
