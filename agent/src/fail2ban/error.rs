//! `Fail2banError`: everything that can go wrong talking to fail2ban, and how the API reports it.

use std::path::PathBuf;
use std::time::Duration;

use bangui_shared::ApiError;

use super::codec::{CodecError, Value};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Fail2banError {
    /// The socket is missing, refuses connections or denies access.
    #[error("fail2ban socket {socket} is unreachable: {reason}")]
    Unreachable { socket: PathBuf, reason: String },
    /// fail2ban did not answer in time (it serves one command at a time; a slow action blocks it).
    #[error("fail2ban did not answer '{command}' within {after:?}")]
    Timeout { command: String, after: Duration },
    /// fail2ban closed the connection before answering.
    #[error("fail2ban closed the connection")]
    ConnectionClosed,
    /// A socket read or write failed.
    #[error("fail2ban socket error: {0}")]
    Io(String),
    /// The reply could not be decoded.
    #[error("unreadable reply from fail2ban: {0}")]
    Protocol(CodecError),
    /// The reply exceeded the size cap.
    #[error("fail2ban reply larger than {0} bytes")]
    ReplyTooLarge(usize),
    /// fail2ban could not read our request (a bare `ERROR: ...` string).
    #[error("fail2ban rejected the request: {0}")]
    Rejected(String),
    /// The command raised an exception in fail2ban.
    #[error("{class}: {message}")]
    Exception {
        module: String,
        class: String,
        message: String,
    },
    /// The reply decoded but did not have the shape the command promises.
    #[error("unexpected reply from fail2ban: {0}")]
    UnexpectedReply(String),
    /// An argument was refused before anything was sent (framing bytes, size).
    #[error("{0}")]
    InvalidArgument(String),
    /// The jail has no section in fail2ban's configuration.
    #[error("jail '{0}' is not defined in the fail2ban configuration")]
    JailNotConfigured(String),
    /// `fail2ban-client` (used for reloads) failed to run or reported an error.
    #[error("{0}")]
    ClientFailed(String),
}

impl Fail2banError {
    /// Builds the error for a `(1, exception)` reply.
    pub(crate) fn from_exception(exc: Value) -> Self {
        match exc {
            Value::Call { func, args } => {
                let (module, class) = match *func {
                    Value::Global { module, name } => (module, name),
                    other => (String::new(), other.to_string()),
                };
                let message = match args.as_slice() {
                    [Value::Str(s)] => s.clone(),
                    [] => String::new(),
                    _ => args
                        .iter()
                        .map(|a| {
                            a.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| a.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(": "),
                };
                Self::Exception {
                    module,
                    class,
                    message,
                }
            }
            other => Self::Exception {
                module: String::new(),
                class: "Exception".into(),
                message: other.to_string(),
            },
        }
    }

    /// A closed connection after some replies arrived is not a stale pooled connection: the
    /// earlier commands already ran, so it must not be retried.
    pub(crate) fn after_partial_reply(self) -> Self {
        match self {
            Self::ConnectionClosed => Self::Io("connection closed in the middle of a batch".into()),
            other => other,
        }
    }

    /// True when fail2ban itself could not be reached or did not answer.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. }
                | Self::Timeout { .. }
                | Self::ConnectionClosed
                | Self::Io(_)
                | Self::Protocol(_)
                | Self::ReplyTooLarge(_)
        )
    }

    /// True for fail2ban's "no such jail".
    pub fn is_unknown_jail(&self) -> bool {
        matches!(self, Self::Exception { class, .. } if class == "UnknownJailException")
    }
}

impl From<Fail2banError> for ApiError {
    fn from(e: Fail2banError) -> Self {
        match &e {
            _ if e.is_unreachable() => ApiError::fail2ban_unreachable(e.to_string()),
            Fail2banError::Exception { class, message, .. } if class == "UnknownJailException" => {
                ApiError::jail_not_found(message)
            }
            Fail2banError::Exception { class, message, .. } => {
                ApiError::operation_failed(format!("fail2ban refused the command: {message}"))
                    .with("fail2ban_error", class.as_str())
            }
            Fail2banError::JailNotConfigured(jail) => ApiError::jail_not_found(jail)
                .with("reason", "not defined in the fail2ban configuration"),
            Fail2banError::Rejected(m) => {
                ApiError::operation_failed(format!("fail2ban rejected the request: {m}"))
            }
            Fail2banError::InvalidArgument(m) => ApiError::invalid_input(m.clone()),
            Fail2banError::ClientFailed(m) => ApiError::operation_failed(m.clone()),
            _ => ApiError::new(bangui_shared::ErrorCode::Fail2banUnreachable, e.to_string()),
        }
    }
}
