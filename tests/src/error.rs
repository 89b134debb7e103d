//! The one error type of the harness: a message meant for a human reading a failed test.

use std::fmt;

/// Why a sandboxed process could not be set up or started. The message is complete on its own
/// (it names the paths involved and carries the process's output where there is any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarnessError(pub String);

impl HarnessError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for HarnessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HarnessError {}
