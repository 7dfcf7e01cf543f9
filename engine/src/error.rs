//! `EngineError`: every way an engine call can fail, each with a stable
//! `code()` the UI and the CLI can match on instead of strings.

use switchboard_model::ipc::{CommandError, ErrorCode};

use crate::{api::ApiError, link::LinkError, secrets::SecretError, store::StoreError};

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No valid session: sign in (again). Local data and the outbox are kept.
    #[error("sign-in needed")]
    NeedsLogin,
    /// Wrong e-mail or password.
    #[error("wrong e-mail or password")]
    WrongCredentials,
    /// The server could not be reached.
    #[error("the server is unreachable: {0}")]
    Unreachable(String),
    /// The server does not speak the Switchboard protocol.
    #[error("not a Switchboard-compatible server: {0}")]
    Incompatible(String),
    /// The server refused the request.
    #[error("the server refused: {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The request is invalid before it is even sent (empty, too long…).
    #[error("{0}")]
    Invalid(String),
    /// The local cache failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The keychain failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The socket link failed.
    #[error(transparent)]
    Link(#[from] LinkError),
}

impl EngineError {
    /// What kind of failure this is, for the UI and the CLI to match on.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NeedsLogin => ErrorCode::NeedsLogin,
            Self::WrongCredentials => ErrorCode::WrongCredentials,
            Self::Unreachable(_) => ErrorCode::Unreachable,
            Self::Incompatible(_) => ErrorCode::Incompatible,
            Self::Rejected { .. } => ErrorCode::Rejected,
            Self::Invalid(_) => ErrorCode::Invalid,
            Self::Store(_) => ErrorCode::Store,
            Self::Secret(_) => ErrorCode::Keychain,
            Self::Link(_) => ErrorCode::Link,
        }
    }
}

/// What a failed engine call becomes at the IPC boundary.
impl From<EngineError> for CommandError {
    fn from(e: EngineError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<ApiError> for EngineError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Unauthorized(_) => Self::NeedsLogin,
            ApiError::Unreachable(m) => Self::Unreachable(m),
            ApiError::RateLimited(s) => Self::Unreachable(format!("rate limited; retry in {s} s")),
            ApiError::Server { status, message } => {
                Self::Unreachable(format!("server error {status}: {message}"))
            }
            ApiError::Rejected { status, message } => Self::Rejected { status, message },
            ApiError::Incompatible(m) => Self::Incompatible(m),
        }
    }
}
