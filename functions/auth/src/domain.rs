//! Account rules with no I/O: the auth record, password hashing (argon2id), refresh tokens,
//! and the login lockout window.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use gymit_shared::{identity::Role, user::User, validate::Validator};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The auth service's record of an account. `password_hash` never leaves this service and
/// is never logged (`Debug` is implemented by hand to hide it).
#[derive(Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub full_name: String,
    pub password_hash: String,
    pub role: Role,
    pub is_approved: bool,
    pub is_banned: bool,
    pub is_active: bool,
    pub is_root_admin: bool,
    pub created_at: String,
    pub updated_at: String,
    /// Refresh tokens issued before this instant (ms since epoch) are dead: a password
    /// change sets it, which revokes every refresh token of the account at once.
    #[serde(default)]
    pub tokens_valid_after_ms: i64,
    /// The user service's profile version that this record reflects: an event carrying an
    /// older or equal version is ignored (events are at least once and may arrive late).
    #[serde(default)]
    pub profile_version: i64,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("role", &self.role)
            .field("is_approved", &self.is_approved)
            .field("is_banned", &self.is_banned)
            .field("is_active", &self.is_active)
            .finish_non_exhaustive()
    }
}

impl Account {
    pub fn new(email: String, full_name: String, password_hash: String) -> Self {
        let now = gymit_shared::time::now_rfc3339();
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            email,
            full_name,
            password_hash,
            role: Role::Member,
            is_approved: false,
            is_banned: false,
            is_active: true,
            is_root_admin: false,
            created_at: now.clone(),
            updated_at: now,
            tokens_valid_after_ms: 0,
            profile_version: 0,
        }
    }

    pub fn to_user(&self) -> User {
        User {
            id: self.id.clone(),
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            is_approved: self.is_approved,
            is_banned: self.is_banned,
            is_active: self.is_active,
            is_root_admin: self.is_root_admin,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

// ------------------------------------------------------------------ input rules

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// NIST 800-63B: length only, no composition rules. Counted in characters.
pub fn check_password(v: &mut Validator, field: &str, password: &str) {
    let chars = password.chars().count();
    v.check(
        (PASSWORD_MIN..=PASSWORD_MAX).contains(&chars),
        field,
        "must be 8 to 128 characters",
    );
}

pub fn check_email(v: &mut Validator, raw: &str) -> String {
    let email = gymit_shared::validate::normalise_email(raw);
    v.check(
        gymit_shared::validate::is_valid_email(&email),
        "email",
        "must be a valid email address",
    );
    email
}

// ------------------------------------------------------------------ passwords

/// argon2id with OWASP's minimum: m = 19 MiB, t = 2, p = 1. About 20–40 ms of one core;
/// the functions that hash get 512 MB in the template so Lambda gives them enough CPU.
pub fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a random password with the same parameters: verifying an unknown email
/// against it costs what a real verification costs, so timing does not tell whether an
/// account exists. A constant, so no cold start pays for computing it.
pub const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$Z3ltaXQtZHVtbXktc2FsdA$1bVeB5Q3zAQ0Jv2bZ0k1c6rQF1n6n3xJm7o8r0qH2dE";

pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
}

/// Constant-time comparison inside argon2; a malformed stored hash is simply "no match".
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

// ------------------------------------------------------------------ refresh tokens

pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 3600;

/// A new opaque refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new refresh token as the client holds it: `<user id>.<family id>.<secret>`, the secret
/// from `new_refresh_token`. The ids are not secret (the access token carries the user id
/// too); they let a refresh read the stored token, its account and its family's
/// revocation in one BatchGetItem. Only the SHA-256 of the whole string is stored, so the
/// secret is still what makes it a credential, and a refresh checks that the stored token
/// names the same ids.
pub fn session_refresh_token(user_id: &str, family_id: &str) -> String {
    format!("{user_id}.{family_id}.{}", new_refresh_token())
}

/// The user and family ids a refresh token names (`session_refresh_token`), if it has
/// that shape.
pub fn refresh_token_ids(token: &str) -> Option<(&str, &str)> {
    let id = |s: &str| {
        (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let mut parts = token.splitn(3, '.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(user), Some(family), Some(secret))
            if id(user) && id(family) && !secret.is_empty() =>
        {
            Some((user, family))
        }
        _ => None,
    }
}

/// Refresh tokens are stored only as their SHA-256 (they are random, so no salt is needed).
pub fn refresh_token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(digest)
}

/// A stored refresh token (keyed by its hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefreshToken {
    pub user_id: String,
    pub family_id: String,
    /// Set when the token was exchanged for a new one; using it again is reuse.
    pub rotated: bool,
    pub issued_at_ms: i64,
    pub expires_at: i64,
}

// ------------------------------------------------------------------ login lockout

pub const LOCKOUT_FAILURES: i64 = 10;
pub const LOCKOUT_WINDOW_SECONDS: i64 = 15 * 60;

/// Failed logins for one normalised email in a fixed window that opens at the first failure.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginFailures {
    pub count: i64,
    pub window_start: i64,
}

impl LoginFailures {
    /// Seconds until the window passes, if the email is locked out at `now`.
    pub fn locked_for(&self, now: i64) -> Option<u64> {
        let ends = self.window_start + LOCKOUT_WINDOW_SECONDS;
        (self.count >= LOCKOUT_FAILURES && now < ends).then(|| (ends - now) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_wrong_ones_do_not() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not-a-hash"));
    }

    #[test]
    fn the_dummy_hash_uses_the_real_parameters() {
        let real = hash_password("x").unwrap();
        let params = |h: &str| h.split('$').nth(3).unwrap().to_string();
        assert_eq!(params(DUMMY_HASH), params(&real));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("password", DUMMY_HASH));
    }

    #[test]
    fn refresh_tokens_are_256_bit_and_stored_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(refresh_token_hash(&a), a);
        assert_eq!(refresh_token_hash(&a), refresh_token_hash(&a));
    }

    #[test]
    fn a_session_refresh_token_names_its_user_and_family() {
        let token = session_refresh_token("0190-user", "0190-family");
        assert_eq!(
            refresh_token_ids(&token),
            Some(("0190-user", "0190-family"))
        );
        assert_ne!(token, session_refresh_token("0190-user", "0190-family"));
        assert_eq!(refresh_token_ids(&new_refresh_token()), None);
        assert_eq!(refresh_token_ids("a.b."), None);
        assert_eq!(refresh_token_ids("a b.c.secret"), None);
        assert_eq!(
            refresh_token_ids(&format!("{}.f.secret", "u".repeat(65))),
            None
        );
    }

    #[test]
    fn lockout_after_ten_failures_until_the_window_passes() {
        let f = LoginFailures {
            count: 9,
            window_start: 1000,
        };
        assert_eq!(f.locked_for(1001), None);
        let f = LoginFailures {
            count: 10,
            window_start: 1000,
        };
        assert_eq!(f.locked_for(1100), Some(800));
        assert_eq!(f.locked_for(1000 + LOCKOUT_WINDOW_SECONDS), None);
    }

    #[test]
    fn passwords_are_counted_in_characters() {
        let mut v = Validator::new();
        check_password(&mut v, "password", "ééééééé"); // 7 characters, 14 bytes
        assert!(v.finish().is_err());
        let mut v = Validator::new();
        check_password(&mut v, "password", &"é".repeat(128));
        assert!(v.finish().is_ok());
    }
}
