//! `CommandError`: what crosses the IPC boundary when a command fails, a
//! stable `code` the UI matches on and a human `message`.

use serde::Serialize;
use switchboard_engine::EngineError;

/// A failed command, serialised as `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct CommandError {
    /// Stable machine-readable code (`wrong_credentials`, `unreachable`,
    /// `incompatible`, `needs_login`, `invalid`, `not_signed_in`, …).
    pub code: String,
    /// For people.
    pub message: String,
}

impl CommandError {
    /// An error with a code and a message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    /// No account is signed in.
    pub fn not_signed_in() -> Self {
        Self::new("not_signed_in", "no account is signed in")
    }
}

impl From<EngineError> for CommandError {
    fn from(e: EngineError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

/// The result of a command.
pub type CommandResult<T> = Result<T, CommandError>;
