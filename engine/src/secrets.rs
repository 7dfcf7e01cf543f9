//! Where the login token lives: the OS keychain (Secret Service, macOS
//! Keychain, Windows Credential Manager) and nowhere else, or, when there is
//! no keychain or the user asks, in memory for this process only. Never in a
//! file, never in a log.

use std::sync::Mutex;

/// Errors of the keychain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// No keychain service can be reached (e.g. no Secret Service on this desktop).
    #[error("no OS keychain is available: {0}")]
    Unavailable(String),
    /// The keychain refused or failed.
    #[error("keychain error: {0}")]
    Failed(String),
}

/// Where tokens are kept.
#[derive(Debug)]
pub enum TokenStore {
    /// The OS keychain, under service `switchboard`.
    Keychain,
    /// This process's memory only.
    Memory(Mutex<Option<String>>),
}

/// The keychain service name.
pub const SERVICE: &str = "switchboard";

impl TokenStore {
    /// A memory-only store.
    pub fn memory() -> Self {
        Self::Memory(Mutex::new(None))
    }

    fn entry(account: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, account).map_err(map_err)
    }

    /// The token for `account` (`server|email`), if one is stored.
    pub async fn get(&self, account: &str) -> Result<Option<String>, SecretError> {
        match self {
            Self::Memory(m) => Ok(switchboard_protocol::sync::lock(m).clone()),
            Self::Keychain => {
                let account = account.to_owned();
                blocking(move || match Self::entry(&account)?.get_password() {
                    Ok(t) => Ok(Some(t)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(map_err(e)),
                })
                .await
            }
        }
    }

    /// Stores the token for `account`.
    pub async fn set(&self, account: &str, token: &str) -> Result<(), SecretError> {
        match self {
            Self::Memory(m) => {
                *switchboard_protocol::sync::lock(m) = Some(token.to_owned());
                Ok(())
            }
            Self::Keychain => {
                let (account, token) = (account.to_owned(), token.to_owned());
                blocking(move || Self::entry(&account)?.set_password(&token).map_err(map_err)).await
            }
        }
    }

    /// Forgets the token for `account` (no error if there was none).
    pub async fn delete(&self, account: &str) -> Result<(), SecretError> {
        match self {
            Self::Memory(m) => {
                *switchboard_protocol::sync::lock(m) = None;
                Ok(())
            }
            Self::Keychain => {
                let account = account.to_owned();
                blocking(move || match Self::entry(&account)?.delete_credential() {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(map_err(e)),
                })
                .await
            }
        }
    }
}

/// How long a keychain call may take before it counts as unavailable.
const KEYCHAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretError> + Send + 'static,
) -> Result<T, SecretError> {
    // A keychain that waits on a prompt nobody can answer must not hang the
    // console: after a while it counts as unavailable.
    match tokio::time::timeout(KEYCHAIN_TIMEOUT, tokio::task::spawn_blocking(f)).await {
        Ok(joined) => joined.map_err(|e| SecretError::Failed(e.to_string()))?,
        Err(_) => Err(SecretError::Unavailable(format!(
            "the keychain did not answer within {} s",
            KEYCHAIN_TIMEOUT.as_secs()
        ))),
    }
}

fn map_err(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            SecretError::Unavailable(inner.to_string())
        }
        other => SecretError::Failed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_keeps_and_forgets() {
        let s = TokenStore::memory();
        assert_eq!(s.get("a").await.unwrap(), None);
        s.set("a", "t").await.unwrap();
        assert_eq!(s.get("a").await.unwrap().as_deref(), Some("t"));
        s.delete("a").await.unwrap();
        assert_eq!(s.get("a").await.unwrap(), None);
    }
}
