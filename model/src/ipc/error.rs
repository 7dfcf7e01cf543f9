//! A failed command as it crosses IPC: a typed [`ErrorCode`] the UI matches
//! on, and a message for logs and for the few places that show the
//! server's own words.

use serde::{Deserialize, Serialize};

/// Every way a command can fail, as the UI tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The session is gone (expired or revoked): sign in again.
    NeedsLogin,
    /// Wrong e-mail or password.
    WrongCredentials,
    /// The server could not be reached (refused, reset, rate limit).
    Unreachable,
    /// The server's name cannot be found (DNS).
    UnknownHost,
    /// No connection or no answer in time.
    TimedOut,
    /// No secure connection: a bad certificate, or no TLS there.
    Tls,
    /// The server failed (5xx).
    ServerFailed,
    /// The agent cancelled it (a sign-in).
    Cancelled,
    /// The address answers, but not as a Switchboard-compatible server.
    Incompatible,
    /// The server refused the request (4xx: not yours, closed, too large…).
    Rejected,
    /// The request is invalid before it is sent (empty, too long, bad value).
    Invalid,
    /// The local cache failed.
    Store,
    /// The OS keychain failed.
    Keychain,
    /// The socket link failed.
    Link,
    /// No account is signed in.
    NotSignedIn,
    /// This platform cannot do it (start at login, say).
    Unsupported,
    /// Installing an update failed.
    Update,
    /// The demo could not start.
    Demo,
    /// The UI is not running inside the app (unit tests, a plain browser).
    NoShell,
    /// The shell answered something this UI cannot read (a version mismatch).
    Shell,
}

impl ErrorCode {
    /// The wire spelling (`needs_login`, …), for logs and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NeedsLogin => "needs_login",
            Self::WrongCredentials => "wrong_credentials",
            Self::Unreachable => "unreachable",
            Self::UnknownHost => "unknown_host",
            Self::TimedOut => "timed_out",
            Self::Tls => "tls",
            Self::ServerFailed => "server_failed",
            Self::Cancelled => "cancelled",
            Self::Incompatible => "incompatible",
            Self::Rejected => "rejected",
            Self::Invalid => "invalid",
            Self::Store => "store",
            Self::Keychain => "keychain",
            Self::Link => "link",
            Self::NotSignedIn => "not_signed_in",
            Self::Unsupported => "unsupported",
            Self::Update => "update",
            Self::Demo => "demo",
            Self::NoShell => "no_shell",
            Self::Shell => "shell",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed command, serialised as `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandError {
    /// What went wrong, for the UI to choose its words by.
    pub code: ErrorCode,
    /// For logs, and for details a person may need (the server's message).
    pub message: String,
}

impl CommandError {
    /// An error with a code and a message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A request the shell refuses before doing anything.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }

    /// No account is signed in.
    pub fn not_signed_in() -> Self {
        Self::new(ErrorCode::NotSignedIn, "no account is signed in")
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_on_the_wire_and_as_str_agrees() {
        for code in [
            ErrorCode::NeedsLogin,
            ErrorCode::WrongCredentials,
            ErrorCode::Unreachable,
            ErrorCode::UnknownHost,
            ErrorCode::TimedOut,
            ErrorCode::Tls,
            ErrorCode::ServerFailed,
            ErrorCode::Cancelled,
            ErrorCode::Incompatible,
            ErrorCode::Rejected,
            ErrorCode::Invalid,
            ErrorCode::Store,
            ErrorCode::Keychain,
            ErrorCode::Link,
            ErrorCode::NotSignedIn,
            ErrorCode::Unsupported,
            ErrorCode::Update,
            ErrorCode::Demo,
            ErrorCode::NoShell,
            ErrorCode::Shell,
        ] {
            let v = serde_json::to_value(code).unwrap();
            assert_eq!(v, code.as_str(), "{code:?}");
            assert_eq!(serde_json::from_value::<ErrorCode>(v).unwrap(), code);
        }
        let e = CommandError::not_signed_in();
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "not_signed_in");
        assert_eq!(serde_json::from_value::<CommandError>(v).unwrap(), e);
    }
}
