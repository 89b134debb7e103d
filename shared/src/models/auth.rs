//! `/api/v1/setup` and `/api/v1/auth`: first-run setup, login, session, logout.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/v1/setup`. Only the master password is required.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// 8–72 bytes with an uppercase letter, a digit and a special character.
    pub master_password: String,
    /// fail2ban's SQLite database (read for ban history); default: what fail2ban reports.
    #[serde(default)]
    pub database_path: Option<String>,
    /// fail2ban's control socket; default: the agent's configured socket.
    #[serde(default)]
    pub fail2ban_socket: Option<String>,
    /// IANA time zone for day boundaries in charts; default `UTC`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Session lifetime; default 480 (8 h).
    #[serde(default)]
    pub session_duration_minutes: Option<i64>,
}

/// The saved setup (never the password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupResponse {
    pub completed: bool,
    pub timezone: String,
    pub session_duration_minutes: i64,
    pub fail2ban_socket: String,
    pub database_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupStatusResponse {
    pub completed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetupTimezoneResponse {
    pub timezone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub password: String,
}

/// The token is also set as the `bangui_session` cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub token: String,
    pub token_type: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionValidResponse {
    pub valid: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogoutResponse {
    pub message: String,
}
