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

/// NIST 800-63B: no composition rules; 8 to 128 characters (counted in characters), and
/// not one an attacker tries first: one of the 10,000 most common passwords (compared
/// lower-cased, as the list is), or the account's own email or its local part. `email` is
/// the account's stored email (`email::parse`), when known.
pub fn check_password(v: &mut Validator, field: &str, password: &str, email: Option<&str>) {
    let chars = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&chars) {
        v.fail(field, "must be 8 to 128 characters");
        return;
    }
    let lower = password.trim().to_lowercase();
    let is_the_email = email.is_some_and(|email| {
        let local = email.rsplit_once('@').map_or(email, |(l, _)| l);
        lower == email
            || lower == local
            || crate::email::normalise(password).as_deref() == Some(email)
    });
    v.check(
        !is_the_email && !is_common_password(&lower),
        field,
        "password is too common",
    );
}

/// The 10,000 most common passwords, most common first, lower-cased: the first 10,000
/// lines of Django 5.2's `common-passwords.txt.gz` (Royce Williams' list; BSD-3-Clause,
/// `data/common-passwords.LICENSE`), shipped with the code.
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Whether the lower-cased `password` is on the list (a set built once per process).
pub fn is_common_password(lower: &str) -> bool {
    static SET: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| COMMON_PASSWORDS.lines().map(str::trim).collect())
        .contains(lower)
}

/// The stored form of an email (`email::parse`), its problem recorded on `v` if refused.
pub fn check_email(v: &mut Validator, raw: &str) -> String {
    match crate::email::parse(raw) {
        Ok(email) => email,
        Err(problem) => {
            v.fail("email", problem.message());
            String::new()
        }
    }
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

/// What a stored hash says about a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The wrong password, or a stored hash that cannot be read.
    Mismatch,
    /// The right password, against an argon2id hash.
    Match,
    /// The right password, against a legacy bcrypt hash imported from the monolith
    /// (LEGACY.md): it is to be replaced by an argon2id hash in the same request.
    MatchLegacy,
}

impl Verified {
    pub fn matches(self) -> bool {
        self != Verified::Mismatch
    }
}

/// The kinds of stored hash a password is verified against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    Argon2id,
    /// `$2a$`, `$2b$` or `$2y$`, cost 4..31 (the monolith used 4..14).
    Bcrypt,
}

impl HashKind {
    pub fn of(hash: &str) -> HashKind {
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            HashKind::Bcrypt
        } else {
            HashKind::Argon2id
        }
    }
}

/// Verifies `password` against a stored hash of either kind; constant-time comparison
/// inside argon2 and bcrypt. A malformed stored hash is simply "no match". bcrypt reads
/// only the first 72 bytes of a password, as the monolith's hashing did. The time a
/// mismatch takes is evened out by the caller (`credentials::verify`), so a legacy hash
/// does not tell itself apart from an argon2id one or from an unknown email.
pub fn verify_stored(password: &str, hash: &str) -> Verified {
    match HashKind::of(hash) {
        HashKind::Argon2id => match PasswordHash::new(hash) {
            Ok(parsed)
                if argon2()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok() =>
            {
                Verified::Match
            }
            _ => Verified::Mismatch,
        },
        HashKind::Bcrypt => match bcrypt::verify(password, hash) {
            Ok(true) => Verified::MatchLegacy,
            _ => Verified::Mismatch,
        },
    }
}

/// Whether `password` matches a stored hash of either kind.
pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_stored(password, hash).matches()
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
    /// When the session (the family, from its login) ends, in epoch seconds: at most 30
    /// days after the login, and rotation never moves it. 0 on tokens stored before
    /// sessions ended (`session_ends`).
    #[serde(default)]
    pub session_ends_at: i64,
}

impl RefreshToken {
    /// When this token's session ends: a token stored before sessions had an end ends its
    /// session when it expires itself.
    pub fn session_ends(&self) -> i64 {
        if self.session_ends_at > 0 {
            self.session_ends_at
        } else {
            self.expires_at
        }
    }
}

// ------------------------------------------------------------------ login lockout

/// Failures for one email from one source address that hold that address back.
pub const LOCKOUT_FAILURES: i64 = 10;
/// Failures for one email from all addresses together that hold every address back.
pub const LOCKOUT_FAILURES_ALL_SOURCES: i64 = 100;
pub const LOCKOUT_WINDOW_SECONDS: i64 = 15 * 60;

/// Failed logins counted in a fixed window that opens at the first failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    pub count: i64,
    pub start: i64,
}

impl FailureWindow {
    fn ends(self) -> i64 {
        self.start + LOCKOUT_WINDOW_SECONDS
    }

    pub fn is_open(self, now: i64) -> bool {
        now < self.ends()
    }

    /// Seconds until the window passes, if it holds `limit` failures at `now`.
    fn full_for(self, limit: i64, now: i64) -> Option<u64> {
        (self.count >= limit && self.is_open(now)).then(|| (self.ends() - now) as u64)
    }

    /// One more failure at `now`: counted in this window while it is open, else a new one.
    fn counted(self, now: i64) -> FailureWindow {
        if self.is_open(now) {
            FailureWindow {
                count: self.count + 1,
                ..self
            }
        } else {
            FailureWindow::first(now)
        }
    }

    fn first(now: i64) -> FailureWindow {
        FailureWindow {
            count: 1,
            start: now,
        }
    }
}

/// The failed logins of one normalised email (API.md, "Repeated failures"): per source
/// address (`LOCKOUT_FAILURES` hold that address back, and only it, so nobody can lock a
/// member out from afar), and from all addresses together (`LOCKOUT_FAILURES_ALL_SOURCES`
/// hold every address back). Counted whether or not an account has the email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginFailures {
    pub all: Option<FailureWindow>,
    pub sources: std::collections::BTreeMap<String, FailureWindow>,
}

impl LoginFailures {
    /// Seconds until `source` may try again, if it is held back at `now`.
    pub fn locked_for(&self, source: &str, now: i64) -> Option<u64> {
        let all = self
            .all
            .and_then(|w| w.full_for(LOCKOUT_FAILURES_ALL_SOURCES, now));
        let own = self
            .sources
            .get(source)
            .and_then(|w| w.full_for(LOCKOUT_FAILURES, now));
        all.max(own)
    }

    /// The failures with one more attempt from `source` at `now` reserved (windows that
    /// have passed open afresh), or the seconds to wait if `source` is held back.
    pub fn with_attempt(&self, source: &str, now: i64) -> Result<LoginFailures, u64> {
        if let Some(wait) = self.locked_for(source, now) {
            return Err(wait);
        }
        let mut next = self.clone();
        next.all = Some(
            self.all
                .map_or(FailureWindow::first(now), |w| w.counted(now)),
        );
        let own = self
            .sources
            .get(source)
            .map_or(FailureWindow::first(now), |w| w.counted(now));
        next.sources.insert(source.to_string(), own);
        Ok(next)
    }

    /// The source addresses whose windows have passed at `now`: nothing to keep.
    pub fn passed_sources(&self, now: i64) -> Vec<&str> {
        self.sources
            .iter()
            .filter(|(_, w)| !w.is_open(now))
            .map(|(s, _)| s.as_str())
            .collect()
    }
}

/// The source address of a request as the counters key it: the address API Gateway
/// reports, in its canonical text form; anything that is not an IP address counts as one
/// address, `unknown`.
pub fn source_key(reported: Option<&str>) -> String {
    reported
        .and_then(|s| s.trim().parse::<std::net::IpAddr>().ok())
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
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
    fn legacy_bcrypt_hashes_verify_and_ask_for_a_rehash() {
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let hash = bcrypt::hash("legacy passw0rd", 4)
                .unwrap()
                .replacen("$2b$", prefix, 1);
            assert_eq!(HashKind::of(&hash), HashKind::Bcrypt, "{prefix}");
            assert_eq!(
                verify_stored("legacy passw0rd", &hash),
                Verified::MatchLegacy
            );
            assert_eq!(verify_stored("legacy password", &hash), Verified::Mismatch);
        }
        let current = hash_password("legacy passw0rd").unwrap();
        assert_eq!(HashKind::of(&current), HashKind::Argon2id);
        assert_eq!(verify_stored("legacy passw0rd", &current), Verified::Match);
        assert_eq!(verify_stored("x", "$2b$04$truncated"), Verified::Mismatch);
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
    fn ten_failures_hold_back_their_address_only_until_the_window_passes() {
        let mut f = LoginFailures::default();
        for i in 0..10 {
            f = f.with_attempt("127.0.0.1", 1000 + i).unwrap();
        }
        assert_eq!(f.locked_for("127.0.0.1", 1100), Some(800));
        assert_eq!(f.with_attempt("127.0.0.1", 1100), Err(800));
        assert_eq!(f.locked_for("127.0.0.2", 1100), None, "another address");
        let f = f.with_attempt("127.0.0.2", 1100).unwrap();
        assert_eq!(f.all.unwrap().count, 11);
        assert_eq!(f.sources["127.0.0.2"].count, 1);
        // The window passes: the address tries again in a new one.
        let later = 1000 + LOCKOUT_WINDOW_SECONDS;
        assert_eq!(f.locked_for("127.0.0.1", later), None);
        let f = f.with_attempt("127.0.0.1", later).unwrap();
        assert_eq!(
            f.sources["127.0.0.1"],
            FailureWindow {
                count: 1,
                start: later
            }
        );
        assert_eq!(
            f.all.unwrap(),
            FailureWindow {
                count: 1,
                start: later
            }
        );
        assert_eq!(f.passed_sources(later), Vec::<&str>::new());
        assert_eq!(
            f.passed_sources(1100 + LOCKOUT_WINDOW_SECONDS),
            vec!["127.0.0.2"]
        );
    }

    #[test]
    fn a_hundred_failures_from_all_addresses_hold_every_address_back() {
        let mut f = LoginFailures::default();
        for i in 0..100 {
            f = f.with_attempt(&format!("10.0.0.{i}"), 1000).unwrap();
        }
        for source in ["10.0.0.1", "192.0.2.7"] {
            assert_eq!(f.locked_for(source, 1060), Some(840), "{source}");
        }
        assert!(f
            .with_attempt("192.0.2.7", 1000 + LOCKOUT_WINDOW_SECONDS)
            .is_ok());
    }

    #[test]
    fn source_addresses_are_keyed_canonically() {
        assert_eq!(source_key(Some("127.0.0.2")), "127.0.0.2");
        assert_eq!(source_key(Some("2001:DB8::0:1")), "2001:db8::1");
        assert_eq!(source_key(Some("not an address")), "unknown");
        assert_eq!(source_key(None), "unknown");
    }

    #[test]
    fn passwords_are_counted_in_characters() {
        let mut v = Validator::new();
        check_password(&mut v, "password", "ééééééé", None); // 7 characters, 14 bytes
        assert!(v.finish().is_err());
        let mut v = Validator::new();
        check_password(&mut v, "password", &"é".repeat(128), None);
        assert!(v.finish().is_ok());
    }

    fn refusal(password: &str, email: Option<&str>) -> Option<String> {
        let mut v = Validator::new();
        check_password(&mut v, "password", password, email);
        v.finish().err().map(|e| e.errors[0].message.clone())
    }

    #[test]
    fn common_passwords_and_the_email_are_too_common() {
        assert_eq!(COMMON_PASSWORDS.lines().count(), 10_000);
        for common in [
            "password",
            "12345678",
            "PASSWORD1",
            "iloveyou",
            "qwertyuiop",
            "sunshine",
        ] {
            assert_eq!(
                refusal(common, None).as_deref(),
                Some("password is too common"),
                "{common}"
            );
        }
        let email = Some("ana.lopez@gym.example");
        for own in [
            "ana.lopez@gym.example",
            "Ana.Lopez",
            "ANA.LOPEZ@GYM.EXAMPLE",
        ] {
            assert_eq!(
                refusal(own, email).as_deref(),
                Some("password is too common"),
                "{own}"
            );
        }
        for fine in ["correct horse battery staple", "ana.lopez is strong"] {
            assert_eq!(refusal(fine, email), None, "{fine}");
        }
    }
}
