//! `ApiError`: every error the API answers with, its HTTP status and the flat error body.
//!
//! The status is derived from the [`ErrorCode`] alone, so a code can never travel with the wrong
//! status. Each runtime (agent, edge) turns an `ApiError` into a response in exactly one place.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Machine-readable error code, the `code` field of every error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 404: the requested entity or route does not exist.
    NotFound,
    /// 400: a value is semantically wrong (bad IP, out-of-range page, bad URL).
    InvalidInput,
    /// 422: the request body is not JSON or does not match the schema.
    InvalidBody,
    /// 422: a regex in the body does not compile (`detail` gives the position and reason).
    InvalidRegex,
    /// 409: state conflict (already exists, already done).
    Conflict,
    /// 401: session missing, malformed, expired or revoked.
    AuthenticationRequired,
    /// 401: login with a wrong password.
    InvalidCredentials,
    /// 403: a cookie-authenticated write without the CSRF header.
    CsrfCheckFailed,
    /// 403: the caller is authenticated but not allowed (e.g. a certificate without the edge role).
    Forbidden,
    /// 429: a rate limit was hit; `metadata.retry_after_seconds` says how long to wait.
    RateLimitExceeded,
    /// 502: the fail2ban socket is missing, refuses connections or does not answer.
    Fail2banUnreachable,
    /// 502: the edge could not reach an agent.
    AgentUnreachable,
    /// 502: a remote URL (blocklist source) could not be fetched.
    UpstreamUnreachable,
    /// 400: a configuration value was rejected.
    ConfigValidationFailed,
    /// 404: a configuration file does not exist.
    ConfigFileNotFound,
    /// 404: the jail does not exist.
    JailNotFound,
    /// 404: the filter does not exist.
    FilterNotFound,
    /// 404: the action does not exist.
    ActionNotFound,
    /// 404: the blocklist source does not exist.
    BlocklistSourceNotFound,
    /// 409: setup has already been run.
    SetupAlreadyComplete,
    /// 503: setup has not been run yet.
    SetupRequired,
    /// 409: the jail is already running.
    JailAlreadyActive,
    /// 409: the jail is not running.
    JailAlreadyInactive,
    /// 409: fail2ban refused the command; `detail` carries its message.
    OperationFailed,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 413: the request body is larger than allowed.
    PayloadTooLarge,
    /// 503: a component the request needs is degraded.
    ServiceUnavailable,
    /// 500: an unexpected failure on our side.
    InternalError,
    /// 501: the route is part of the API but this server does not serve it (yet).
    NotImplemented,
}

impl ErrorCode {
    /// Every code, for documentation and exhaustive tests.
    pub const ALL: &'static [ErrorCode] = &[
        Self::NotFound,
        Self::InvalidInput,
        Self::InvalidBody,
        Self::InvalidRegex,
        Self::Conflict,
        Self::AuthenticationRequired,
        Self::InvalidCredentials,
        Self::CsrfCheckFailed,
        Self::Forbidden,
        Self::RateLimitExceeded,
        Self::Fail2banUnreachable,
        Self::AgentUnreachable,
        Self::UpstreamUnreachable,
        Self::ConfigValidationFailed,
        Self::ConfigFileNotFound,
        Self::JailNotFound,
        Self::FilterNotFound,
        Self::ActionNotFound,
        Self::BlocklistSourceNotFound,
        Self::SetupAlreadyComplete,
        Self::SetupRequired,
        Self::JailAlreadyActive,
        Self::JailAlreadyInactive,
        Self::OperationFailed,
        Self::MethodNotAllowed,
        Self::PayloadTooLarge,
        Self::ServiceUnavailable,
        Self::InternalError,
        Self::NotImplemented,
    ];

    /// The wire name, e.g. `"jail_not_found"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::InvalidInput => "invalid_input",
            Self::InvalidBody => "invalid_body",
            Self::InvalidRegex => "invalid_regex",
            Self::Conflict => "conflict",
            Self::AuthenticationRequired => "authentication_required",
            Self::InvalidCredentials => "invalid_credentials",
            Self::CsrfCheckFailed => "csrf_check_failed",
            Self::Forbidden => "forbidden",
            Self::RateLimitExceeded => "rate_limit_exceeded",
            Self::Fail2banUnreachable => "fail2ban_unreachable",
            Self::AgentUnreachable => "agent_unreachable",
            Self::UpstreamUnreachable => "upstream_unreachable",
            Self::ConfigValidationFailed => "config_validation_failed",
            Self::ConfigFileNotFound => "config_file_not_found",
            Self::JailNotFound => "jail_not_found",
            Self::FilterNotFound => "filter_not_found",
            Self::ActionNotFound => "action_not_found",
            Self::BlocklistSourceNotFound => "blocklist_source_not_found",
            Self::SetupAlreadyComplete => "setup_already_complete",
            Self::SetupRequired => "setup_required",
            Self::JailAlreadyActive => "jail_already_active",
            Self::JailAlreadyInactive => "jail_already_inactive",
            Self::OperationFailed => "operation_failed",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::ServiceUnavailable => "service_unavailable",
            Self::InternalError => "internal_error",
            Self::NotImplemented => "not_implemented",
        }
    }

    /// The HTTP status this code is always sent with.
    pub const fn status(self) -> u16 {
        match self {
            Self::InvalidInput | Self::ConfigValidationFailed => 400,
            Self::AuthenticationRequired | Self::InvalidCredentials => 401,
            Self::CsrfCheckFailed | Self::Forbidden => 403,
            Self::NotFound
            | Self::ConfigFileNotFound
            | Self::JailNotFound
            | Self::FilterNotFound
            | Self::ActionNotFound
            | Self::BlocklistSourceNotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict
            | Self::SetupAlreadyComplete
            | Self::JailAlreadyActive
            | Self::JailAlreadyInactive
            | Self::OperationFailed => 409,
            Self::PayloadTooLarge => 413,
            Self::InvalidBody | Self::InvalidRegex => 422,
            Self::RateLimitExceeded => 429,
            Self::InternalError => 500,
            Self::NotImplemented => 501,
            Self::Fail2banUnreachable | Self::AgentUnreachable | Self::UpstreamUnreachable => 502,
            Self::SetupRequired | Self::ServiceUnavailable => 503,
        }
    }

    /// Parses a wire name back into a code (used by the edge and by tests).
    pub fn from_wire(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_wire(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
    }
}

/// An error as the API reports it: a code, a message safe to show, and structured metadata.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub detail: String,
    pub metadata: Map<String, Value>,
}

impl ApiError {
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            metadata: Map::new(),
        }
    }

    /// Adds one metadata entry (values are plain JSON scalars by convention).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.to_owned(), value.into());
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }

    pub fn invalid_input(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, detail)
    }

    /// A 400 naming the offending field.
    pub fn invalid_field(field: &str, detail: impl Into<String>) -> Self {
        Self::invalid_input(detail).with("field", field)
    }

    pub fn invalid_body(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidBody, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, detail)
    }

    pub fn jail_not_found(jail: &str) -> Self {
        Self::new(ErrorCode::JailNotFound, format!("Jail '{jail}' not found")).with("jail", jail)
    }

    pub fn jail_already_active(jail: &str) -> Self {
        Self::new(
            ErrorCode::JailAlreadyActive,
            format!("Jail '{jail}' is already running"),
        )
        .with("jail", jail)
        .with("current_status", "active")
    }

    pub fn jail_already_inactive(jail: &str) -> Self {
        Self::new(
            ErrorCode::JailAlreadyInactive,
            format!("Jail '{jail}' is not running"),
        )
        .with("jail", jail)
        .with("current_status", "inactive")
    }

    /// fail2ban refused a command; `message` is fail2ban's own text.
    pub fn operation_failed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::OperationFailed, message)
    }

    pub fn fail2ban_unreachable(reason: impl Into<String>) -> Self {
        Self::new(ErrorCode::Fail2banUnreachable, reason)
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalError, detail)
    }

    /// The body sent to the client.
    pub fn to_body(&self, correlation_id: &str) -> ErrorBody {
        ErrorBody {
            code: self.code,
            detail: self.detail.clone(),
            metadata: self.metadata.clone(),
            correlation_id: correlation_id.to_owned(),
        }
    }
}

/// The flat error body: `{code, detail, metadata, correlation_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub detail: String,
    #[serde(default)]
    pub metadata: Map<String, Value>,
    pub correlation_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_wire_name() {
        for &code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_wire(code.as_str()), Some(code));
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn spec_codes_have_the_spec_status() {
        // The "Common error_code values" table of the spec, with the status each route uses.
        let expected = [
            ("not_found", 404),
            ("invalid_input", 400),
            ("conflict", 409),
            ("authentication_required", 401),
            ("rate_limit_exceeded", 429),
            ("fail2ban_unreachable", 502),
            ("config_validation_failed", 400),
            ("config_file_not_found", 404),
            ("jail_not_found", 404),
            ("filter_not_found", 404),
            ("action_not_found", 404),
            ("blocklist_source_not_found", 404),
            ("setup_already_complete", 409),
            ("jail_already_active", 409),
            ("jail_already_inactive", 409),
            ("operation_failed", 409),
        ];
        for (name, status) in expected {
            let code = ErrorCode::from_wire(name).unwrap_or_else(|| panic!("missing code {name}"));
            assert_eq!(code.status(), status, "{name}");
        }
    }

    #[test]
    fn body_is_flat_and_carries_metadata() {
        let err = ApiError::jail_not_found("sshd");
        let body = serde_json::to_value(err.to_body("abc")).unwrap();
        assert_eq!(body["code"], "jail_not_found");
        assert_eq!(body["detail"], "Jail 'sshd' not found");
        assert_eq!(body["metadata"]["jail"], "sshd");
        assert_eq!(body["correlation_id"], "abc");
        assert_eq!(body.as_object().unwrap().len(), 4);
    }
}
