//! `/api/v1/auth`: login, session check, logout.

use std::time::Duration;

use bangui_shared::models::auth::{
    LoginRequest, LoginResponse, LogoutResponse, SessionValidResponse,
};
use bangui_shared::session::COOKIE_NAME;
use bangui_shared::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use warp::http::header::SET_COOKIE;

use crate::auth::password;
use crate::http::gate;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;

fn timestamp(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.config.auth.cookie_secure {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub async fn login(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let Some(setup) = state.auth.setup_record() else {
        return Err(gate::setup_required());
    };
    let body: LoginRequest = req.json()?;
    let client = req.client_ip;
    let attempt = match state.auth.begin_login(client).await? {
        Ok(id) => id,
        Err(retry) => {
            return Err(ApiError::new(
                ErrorCode::RateLimitExceeded,
                format!("too many login attempts; retry in {retry} s"),
            )
            .with("retry_after_seconds", retry));
        }
    };
    let hash = setup.password_hash;
    let password = body.password;
    let ok = tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    if !ok {
        // Slows guessing from this address only: the sleep holds no lock.
        let delay: Duration = state.auth.failure_delay(client).await?;
        tokio::time::sleep(delay).await;
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "wrong password",
        ));
    }
    let issued = state
        .auth
        .login_succeeded(attempt, client, setup.session_minutes)
        .await?;
    let set_cookie = cookie(state, &issued.token, issued.max_age_secs);
    Ok(Reply::ok(&LoginResponse {
        token: issued.token,
        token_type: "Bearer".into(),
        expires_at: timestamp(issued.expires_at),
    })?
    .header(SET_COOKIE, &set_cookie))
}

pub async fn session(req: &ApiRequest) -> Result<Reply, ApiError> {
    let Some(session) = &req.session else {
        return Err(ApiError::new(
            ErrorCode::AuthenticationRequired,
            "no session",
        ));
    };
    Reply::ok(&SessionValidResponse {
        valid: true,
        expires_at: timestamp(session.expires_at),
    })
}

pub async fn logout(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let ended = match gate::credential(&req.headers) {
        Some((_, token)) => state.auth.logout(&token).await?,
        None => false,
    };
    let message = if ended {
        "Logged out"
    } else {
        "No active session; nothing to do"
    };
    Ok(Reply::ok(&LogoutResponse {
        message: message.into(),
    })?
    .header(SET_COOKIE, &cookie(state, "", 0)))
}
