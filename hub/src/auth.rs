//! Who is calling: agent JWTs (HS256, real expiry), argon2 password hashes,
//! and visitor session cookies (random tokens stored only as SHA-256 hashes).

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use switchboard_protocol::{self as proto, VisitorInfo};

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A support agent, by JWT.
    Agent(proto::Agent),
    /// A website visitor, by session cookie.
    Visitor(VisitorInfo),
}

impl Principal {
    /// The caller's id (`senderId`, `readerId`, `userId`).
    pub fn id(&self) -> &str {
        match self {
            Self::Agent(a) => &a.id,
            Self::Visitor(v) => &v.id,
        }
    }

    /// The agent, if the caller is one.
    pub fn agent(&self) -> Option<&proto::Agent> {
        match self {
            Self::Agent(a) => Some(a),
            Self::Visitor(_) => None,
        }
    }

    /// Whether internal notes are visible to this caller.
    pub fn sees_internal(&self) -> bool {
        matches!(self, Self::Agent(_))
    }
}

/// The claims inside an agent token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The agent id.
    pub sub: String,
    /// Issued at (s).
    pub iat: i64,
    /// Expires at (s).
    pub exp: i64,
}

/// Signs and checks agent tokens.
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    /// Lifetime of a new token, in seconds.
    pub ttl_secs: i64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Keys from a shared secret.
    pub fn new(secret: &[u8], ttl_secs: i64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl_secs,
        }
    }

    /// A token for `agent_id` issued at `now_ms`, and its expiry (ms).
    pub fn issue(&self, agent_id: &str, now_ms: i64) -> (String, i64) {
        let iat = now_ms / 1000;
        let exp = iat + self.ttl_secs;
        let claims = Claims {
            sub: agent_id.to_owned(),
            iat,
            exp,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key cannot fail");
        (token, exp * 1000)
    }

    /// The agent id of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Option<String> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims.sub)
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters cannot fail")
        .to_string()
}

/// Checks a password against a stored hash, in constant time.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A new random visitor session token (256 bits, hex).
pub fn new_session_token() -> String {
    let bytes: [u8; 32] = rand::random();
    hex(&bytes)
}

/// How a session token is stored: its SHA-256, hex.
pub fn session_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `visitor_session` value in a `Cookie` header.
pub fn session_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == proto::VISITOR_COOKIE)
        .map(|(_, v)| v.trim_matches('"'))
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_expire() {
        let t = Tokens::new(b"secret", 60);
        let now = switchboard_protocol::time::now_ms();
        let (tok, exp) = t.issue("a1", now);
        assert_eq!(exp, now / 1000 * 1000 + 60_000, "JWT expiry has whole seconds");
        assert_eq!(t.verify(&tok).as_deref(), Some("a1"));
        let expired = Tokens::new(b"secret", -10).issue("a1", now).0;
        assert_eq!(t.verify(&expired), None);
        let other = Tokens::new(b"other", 60).issue("a1", now).0;
        assert_eq!(t.verify(&other), None, "wrong signature");
        assert_eq!(t.verify("garbage"), None);
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("password");
        assert!(verify_password("password", &h));
        assert!(!verify_password("Password", &h));
        assert!(!verify_password("password", "not a hash"));
    }

    #[test]
    fn cookie_header_parsing() {
        assert_eq!(
            session_from_cookie_header("a=1; visitor_session=abc; b=2"),
            Some("abc")
        );
        assert_eq!(session_from_cookie_header("visitor_session="), None);
        assert_eq!(session_from_cookie_header("other=1"), None);
    }
}
