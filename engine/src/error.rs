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
    /// The server could not be reached (refused, reset, no route).
    #[error("the server is unreachable: {0}")]
    Unreachable(String),
    /// The server's name does not resolve.
    #[error("the server's name cannot be found: {0}")]
    UnknownHost(String),
    /// No connection or no answer in time.
    #[error("the server did not answer in time: {0}")]
    TimedOut(String),
    /// No secure connection (certificate, or no TLS on the other side).
    #[error("no secure connection to the server: {0}")]
    Tls(String),
    /// The server failed (5xx).
    #[error("the server failed with {status}")]
    ServerFailed {
        /// HTTP status.
        status: u16,
    },
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
    /// A message with nothing in it.
    #[error("the message is empty")]
    Empty,
    /// A message (or a file's caption) over the server's limit.
    #[error("the message is {chars} characters long; the limit is {limit}")]
    TooLong {
        /// Its length in characters.
        chars: usize,
        /// The most the server takes.
        limit: usize,
    },
    /// A file over the upload limit.
    #[error("{name} is {:.1} MiB; files up to {} MiB can be sent", *bytes as f64 / 1_048_576.0, limit / 1_048_576)]
    FileTooLarge {
        /// The file.
        name: String,
        /// Its size.
        bytes: u64,
        /// The most that can be sent.
        limit: u64,
    },
    /// A file to send that cannot be read (missing, a folder, no access).
    #[error("cannot read {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The local disk failed outside the cache (keeping a copy of a file).
    #[error("cannot keep a copy: {0}")]
    LocalIo(String),
    /// The chat is not in the local cache (not synced yet, or gone).
    #[error("no chat {0} in the local cache")]
    UnknownChat(String),
    /// No such message in the outbox (already sent, or never written here).
    #[error("no such message in the outbox: {0}")]
    UnknownMessage(String),
    /// An argument that makes no sense (a malformed timestamp, say).
    #[error("{0}")]
    Invalid(String),
    /// The server does not offer this (a plain v2 server, or a v2.1
    /// feature it lacks): the UI hides it rather than offering it.
    #[error("the server does not offer {0}")]
    Unsupported(&'static str),
    /// A background task of the engine failed (a panic): a bug, logged.
    #[error("internal error: {0}")]
    Internal(String),
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
            Self::UnknownHost(_) => ErrorCode::UnknownHost,
            Self::TimedOut(_) => ErrorCode::TimedOut,
            Self::Tls(_) => ErrorCode::Tls,
            Self::ServerFailed { .. } => ErrorCode::ServerFailed,
            Self::Incompatible(_) => ErrorCode::Incompatible,
            Self::Rejected { .. } => ErrorCode::Rejected,
            // What the agent asked for cannot be done as asked: the UI says why.
            Self::Empty
            | Self::TooLong { .. }
            | Self::FileTooLarge { .. }
            | Self::Unreadable { .. }
            | Self::UnknownChat(_)
            | Self::UnknownMessage(_)
            | Self::Invalid(_) => ErrorCode::Invalid,
            Self::Unsupported(_) => ErrorCode::Unsupported,
            Self::LocalIo(_) | Self::Internal(_) => ErrorCode::Store,
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
            ApiError::UnknownHost(m) => Self::UnknownHost(m),
            ApiError::TimedOut(m) => Self::TimedOut(m),
            ApiError::Tls(m) => Self::Tls(m),
            ApiError::RateLimited(s) => Self::Unreachable(format!("rate limited; retry in {s} s")),
            ApiError::Server { status, .. } => Self::ServerFailed { status },
            ApiError::Rejected { status, message } => Self::Rejected { status, message },
            ApiError::Incompatible(m) => Self::Incompatible(m),
        }
    }
}
