//! Revalidation: the edge verifies tokens by itself, so a logout or a newer login (which end a
//! session in the control agent's store) reach the edge only when it asks. It asks when the
//! token was issued more than `session_revalidate_seconds` ago: `GET /api/v1/auth/session` on
//! the control agent with the token. A 401 there is a 401 here. On success the edge re-signs the
//! token with a fresh `iat` (same `sid`, same `exp`), so the next window starts now:
//! cookie clients get a new `bangui_session` cookie, bearer clients the new token in
//! `X-BanGUI-Session-Token`.
//!
//! If the control agent cannot be asked, the request fails closed (502): a session that may
//! have ended is not honoured.

use bangui_shared::access::Credential;
use bangui_shared::routes::Method;
use bangui_shared::session::{self, Claims, REFRESHED_TOKEN_HEADER};
use bangui_shared::{ApiError, ErrorCode};

use crate::forward::{self, Context, Outbound, Timeouts, Transport};
use crate::hosts::Agent;
use crate::session::{cookie, Session};

/// The control agent's session check.
pub const SESSION_PATH: &str = "/api/v1/auth/session";

/// What to hand back to the client after a successful revalidation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refresh {
    /// A `Set-Cookie` value.
    Cookie(String),
    /// A token for [`REFRESHED_TOKEN_HEADER`].
    Token(String),
}

impl Refresh {
    /// The response header that carries it.
    pub fn header(&self) -> (&'static str, &str) {
        match self {
            Self::Cookie(c) => ("set-cookie", c),
            Self::Token(t) => (REFRESHED_TOKEN_HEADER, t),
        }
    }
}

/// `true` when the token is older than the window (a window of 0 checks every request).
pub fn due(claims: &Claims, now: i64, after: i64) -> bool {
    now.saturating_sub(claims.iat) >= after
}

/// Asks the control agent whether the session is live.
///
/// # Errors
///
/// 401 when it has ended; the agent's error for anything else it answers; 502 when the control
/// agent cannot be reached.
pub async fn confirm<T: Transport>(
    transport: &T,
    control: &Agent,
    session: &Session,
    ctx: &Context,
) -> Result<(), ApiError> {
    let ctx = Context {
        token: Some(session.token.clone()),
        session_key: Some(session.key()),
        content_type: None,
        ..ctx.clone()
    };
    let out = Outbound::new(
        control,
        Method::Get,
        SESSION_PATH,
        "",
        b"",
        &ctx,
        Timeouts::READ,
    );
    let sent = transport.send(out).await;
    verdict(control, sent)
}

/// Reads the control agent's answer to the session check.
///
/// # Errors
///
/// See [`confirm`].
pub fn verdict(
    control: &Agent,
    sent: Result<forward::Upstream, forward::Unreachable>,
) -> Result<(), ApiError> {
    match forward::answer(control, sent, forward::success) {
        Ok(_) => Ok(()),
        Err(e) if e.status() == 401 => {
            Err(ApiError::new(ErrorCode::AuthenticationRequired, e.detail))
        }
        Err(e) if e.code == ErrorCode::AgentUnreachable => Err(ApiError::new(
            ErrorCode::AgentUnreachable,
            format!("cannot revalidate the session: {}", e.detail),
        )
        .with("host", control.name.as_str())),
        Err(e) => Err(e),
    }
}

/// Re-signs the session's token with `iat = now`, for the client's credential kind.
///
/// # Errors
///
/// 500 when the key cannot sign (already ruled out by verification).
pub fn reissue(session: &Session, key: &[u8], now: i64) -> Result<Refresh, ApiError> {
    let claims = Claims {
        iat: now,
        ..session.claims.clone()
    };
    let token = session::sign(&claims, key)
        .map_err(|e| ApiError::internal(format!("cannot re-sign the session: {e}")))?;
    Ok(match session.credential {
        Credential::Cookie => Refresh::Cookie(cookie(&token, claims.exp - now)),
        Credential::Bearer => Refresh::Token(token),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::{Unreachable, Upstream};
    use crate::hosts::Fleet;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn session(credential: Credential) -> Session {
        let claims = Claims {
            sid: "sid".into(),
            iat: 1_000,
            exp: 5_000,
        };
        Session {
            token: session::sign(&claims, KEY).unwrap(),
            claims,
            credential,
        }
    }

    #[test]
    fn due_after_the_window() {
        let c = session(Credential::Bearer).claims;
        assert!(!due(&c, 1_059, 60));
        assert!(due(&c, 1_060, 60));
        assert!(due(&c, 1_000, 0));
        assert!(!due(&c, 900, 60), "a token from the future is not stale");
    }

    #[test]
    fn reissued_tokens_keep_sid_and_exp() {
        let Refresh::Token(t) = reissue(&session(Credential::Bearer), KEY, 2_000).unwrap() else {
            panic!("bearer clients get a token");
        };
        let claims = session::verify(&t, KEY, 2_000).unwrap();
        assert_eq!(
            claims,
            Claims {
                sid: "sid".into(),
                iat: 2_000,
                exp: 5_000
            }
        );
        let Refresh::Cookie(c) = reissue(&session(Credential::Cookie), KEY, 2_000).unwrap() else {
            panic!("cookie clients get a cookie");
        };
        assert!(c.starts_with("bangui_session=ey"), "{c}");
        assert!(c.ends_with("; Max-Age=3000; Secure"), "{c}");
    }

    #[test]
    fn verdicts() {
        let fleet = Fleet::parse("c=https://localhost:8651", "").unwrap();
        let control = fleet.control();
        let up = |status: u16, body: &str| {
            Ok(Upstream {
                status,
                headers: Vec::new(),
                body: body.as_bytes().to_vec(),
            })
        };
        assert!(verdict(control, up(200, r#"{"valid":true}"#)).is_ok());
        let ended = verdict(
            control,
            up(
                401,
                r#"{"code":"authentication_required","detail":"session has ended","metadata":{},"correlation_id":"x"}"#,
            ),
        )
        .unwrap_err();
        assert_eq!(ended.status(), 401);
        assert_eq!(ended.detail, "session has ended");
        let dead = verdict(control, Err(Unreachable("timed out".into()))).unwrap_err();
        assert_eq!(dead.status(), 502);
        assert!(dead.detail.starts_with("cannot revalidate the session"));
    }
}
