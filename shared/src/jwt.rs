//! Access tokens: HS256 JWTs with exactly the claims of API.md. The one verification module:
//! the authorizer and every function use `Tokens::verify`, which pins HS256 and requires
//! `exp`, `iss`, `aud` (30 s leeway). `alg: none`, another algorithm, a bad signature, a
//! wrong issuer or audience, or a past `exp` are all 401; so is a token without a `sid`
//! (its session) or one whose `exp − iat` exceeds 15 minutes, whatever signed it.
//!
//! Keys rotate: every token names its key in the header's `kid`; a [`KeySet`] signs with
//! its current key and verifies with it and every key it still accepts (the previous one
//! while its tokens can live, or the next one before it becomes current). The key set is
//! the JSON of a Secrets Manager secret, read once at cold start (see [`KeySet::from_env`]).

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{
    config::{emulator_endpoint, required, secret_string, ConfigError},
    role::Role,
    ApiError,
};

/// The development key of `gymit-local`: public (it is in the repository), so it is refused
/// wherever no emulator endpoint is configured.
pub const DEVELOPMENT_JWT_SECRET: &str = "gymit-local-development-secret-not-for-production";

pub const ISSUER: &str = "gymit-auth";
pub const AUDIENCE: &str = "gymit-api";
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub role: String,
    pub approved: bool,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// The session (v1.1): the login it comes from, through every refresh. Logging out
    /// ends it, and the authorizer then answers its tokens `token_expired`. Required.
    pub sid: String,
}

impl Claims {
    /// When the token was issued, in ms: from `jti` (a UUID v7 carries its creation time in
    /// ms, and our signature vouches for it), else `iat`. Lets a password change at time T
    /// kill tokens issued before T even within the same second.
    pub fn issued_at_ms(&self) -> i64 {
        crate::ids::minted_at_ms(&self.jti)
            .filter(|ms| ms / 1000 == self.iat)
            .unwrap_or(self.iat.saturating_mul(1000))
    }
}

/// One HS256 key and its id. `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    pub secret: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The keys of a deployment: `current` signs, `current` and `accepted` verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySet {
    pub current: SigningKey,
    pub accepted: Vec<SigningKey>,
}

/// The JSON of the secret: `{"secret": "…", "kid"?: "…", "accept"?: [{"kid", "secret"}]}`.
#[derive(Deserialize)]
struct SecretJson {
    secret: String,
    kid: Option<String>,
    #[serde(default)]
    accept: Vec<SigningKey>,
}

impl KeySet {
    /// One key; its id is derived from the secret (a hash prefix, which reveals nothing).
    pub fn single(secret: &str) -> Self {
        Self {
            current: SigningKey {
                kid: derived_kid(secret),
                secret: secret.to_string(),
            },
            accepted: Vec::new(),
        }
    }

    /// Parses the secret's JSON; the error names what is wrong, never a secret.
    pub fn parse(json: &str) -> Result<Self, String> {
        let parsed: SecretJson = serde_json::from_str(json).map_err(|e| {
            format!(
                "is not a key set (line {}, column {})",
                e.line(),
                e.column()
            )
        })?;
        let kid = parsed
            .kid
            .filter(|k| !k.trim().is_empty())
            .unwrap_or_else(|| derived_kid(&parsed.secret));
        let set = Self {
            current: SigningKey {
                kid,
                secret: parsed.secret,
            },
            accepted: parsed.accept,
        };
        let mut kids: Vec<&str> = set.all().map(|k| k.kid.as_str()).collect();
        kids.sort_unstable();
        if kids.windows(2).any(|w| w[0] == w[1]) {
            return Err("names one kid twice".into());
        }
        Ok(set)
    }

    /// The keys that sign and verify access tokens, read once at
    /// cold start, only by the functions that need them:
    /// - `JWT_SECRET_ARN`: a Secrets Manager secret (name or ARN) holding the key set's JSON
    ///   ([`KeySet::parse`]); on AWS and under `gymit-local` alike (the emulator's
    ///   Secrets Manager), so locally the same code path runs.
    /// - `JWT_SECRET` (plaintext): only with an emulator endpoint (in-process tests); refused
    ///   on AWS, where an environment variable is readable by anyone who may read the
    ///   function's configuration.
    ///
    /// Every key has at least 32 bytes, and the development key is refused without an emulator.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let keys = match secret_string("JWT_SECRET_ARN").await? {
            Some(text) => KeySet::parse(&text).map_err(|problem| ConfigError {
                name: "JWT_SECRET_ARN".into(),
                problem: format!("the secret {problem}"),
            })?,
            None if emulator_endpoint().is_some() => KeySet::single(&required("JWT_SECRET")?),
            None => return Err(ConfigError {
                name: "JWT_SECRET_ARN".into(),
                problem:
                    "is not set (a plaintext JWT_SECRET is only accepted with an emulator endpoint)"
                        .into(),
            }),
        };
        keys.check(emulator_endpoint().is_some())?;
        Ok(keys)
    }

    /// Each key at least 32 bytes; the development key only against an emulator.
    pub fn check(&self, emulator: bool) -> Result<(), ConfigError> {
        for key in self.all() {
            if key.secret.len() < 32 {
                return Err(ConfigError {
                    name: "JWT_SECRET".into(),
                    problem: format!("key {} must be at least 32 bytes", key.kid),
                });
            }
            if key.secret == DEVELOPMENT_JWT_SECRET && !emulator {
                return Err(ConfigError {
                    name: "JWT_SECRET".into(),
                    problem: "is the public development key, refused outside the local emulator"
                        .into(),
                });
            }
        }
        Ok(())
    }

    pub fn all(&self) -> impl Iterator<Item = &SigningKey> {
        std::iter::once(&self.current).chain(self.accepted.iter())
    }
}

fn derived_kid(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest([b"gymit-kid-v1:".as_slice(), secret.as_bytes()].concat());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs and verifies access tokens; built once per process from the key set.
#[derive(Clone)]
pub struct Tokens {
    kid: String,
    encoding: EncodingKey,
    /// Every key that verifies, by kid; the first is the current one.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
}

impl Tokens {
    /// One key (tests, and deployments that never rotated).
    pub fn new(secret: &str) -> Self {
        Self::from_keys(&KeySet::single(secret))
    }

    pub fn from_keys(keys: &KeySet) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
        Self {
            kid: keys.current.kid.clone(),
            encoding: EncodingKey::from_secret(keys.current.secret.as_bytes()),
            decoding: keys
                .all()
                .map(|k| (k.kid.clone(), DecodingKey::from_secret(k.secret.as_bytes())))
                .collect(),
            validation,
        }
    }

    /// From the key set in Secrets Manager (`JWT_SECRET_ARN`), read once at cold start.
    pub async fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::from_keys(&KeySet::from_env().await?))
    }

    /// A fresh 15-minute access token for a user, in a session of its own that nothing
    /// revokes (tests, tools); returns the token and its lifetime.
    pub fn issue(
        &self,
        user_id: &str,
        email: &str,
        role: Role,
        approved: bool,
    ) -> Result<(String, i64), ApiError> {
        let sid = uuid::Uuid::now_v7().to_string();
        self.issue_in_session(user_id, email, role, approved, &sid, i64::MAX)
    }

    /// A fresh access token of session `sid`, which ends at `session_ends` (epoch
    /// seconds): 15 minutes, or less when the session ends sooner. Returns the token and
    /// its lifetime in seconds.
    pub fn issue_in_session(
        &self,
        user_id: &str,
        email: &str,
        role: Role,
        approved: bool,
        sid: &str,
        session_ends: i64,
    ) -> Result<(String, i64), ApiError> {
        let at = crate::time::now();
        let now = at.timestamp();
        let lifetime = ACCESS_TOKEN_SECONDS
            .min(session_ends.saturating_sub(now))
            .max(0);
        // jti is a UUID v7 of the same instant as iat: `issued_at_ms` reads it back.
        let jti = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            now as u64,
            at.timestamp_subsec_nanos(),
        ));
        let claims = Claims {
            sub: user_id.to_string(),
            email: email.to_string(),
            role: role.as_str().to_string(),
            approved,
            iat: now,
            exp: now + lifetime,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            jti: jti.to_string(),
            sid: sid.to_string(),
        };
        self.sign(&claims).map(|t| (t, lifetime))
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a token");
            ApiError::internal()
        })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        if token.len() > 4096 {
            return Err(ApiError::unauthenticated("invalid token"));
        }
        let invalid = || ApiError::unauthenticated("invalid token");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        // A token without kid predates key ids: only the current key may have signed it.
        let key = match header.kid.as_deref() {
            None => self.decoding.first().map(|(_, k)| k),
            Some(kid) => self
                .decoding
                .iter()
                .find(|(id, _)| id == kid)
                .map(|(_, k)| k),
        }
        .ok_or_else(invalid)?;
        match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
            // Whatever signed it, no access token of ours lives longer than 15 minutes.
            Ok(data) if data.claims.exp - data.claims.iat > ACCESS_TOKEN_SECONDS => Err(invalid()),
            Ok(data) if data.claims.sid.is_empty() => Err(invalid()),
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                Err(ApiError::token_expired())
            }
            Err(_) => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

    use super::*;

    const SECRET: &str = "test-secret-test-secret-test-secret!";

    fn claims() -> Claims {
        let now = crate::time::epoch_seconds();
        Claims {
            sub: "u1".into(),
            email: "a@b.co".into(),
            role: "member".into(),
            approved: true,
            iat: now,
            exp: now + 900,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            jti: "j1".into(),
            sid: "s1".into(),
        }
    }

    fn b64(v: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn an_issued_token_verifies_with_the_api_claims() {
        let t = Tokens::new(SECRET);
        let (token, expires_in) = t.issue("u1", "a@b.co", Role::Trainer, false).unwrap();
        assert_eq!(expires_in, 900);
        let c = t.verify(&token).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.role.as_str(), c.approved),
            ("u1", "trainer", false)
        );
        assert_eq!((c.iss.as_str(), c.aud.as_str()), (ISSUER, AUDIENCE));
        assert_eq!(c.exp - c.iat, 900);
    }

    #[test]
    fn a_token_living_longer_than_fifteen_minutes_is_refused_whatever_signed_it() {
        let t = Tokens::new(SECRET);
        let mut c = claims();
        c.exp = c.iat + ACCESS_TOKEN_SECONDS + 1;
        let err = t.verify(&t.sign(&c).unwrap()).unwrap_err();
        assert_eq!((err.status, err.code), (401, "unauthenticated"));
        c.exp = c.iat + ACCESS_TOKEN_SECONDS;
        assert!(t.verify(&t.sign(&c).unwrap()).is_ok());
    }

    #[test]
    fn a_token_without_a_session_is_refused() {
        let t = Tokens::new(SECRET);
        let mut v = serde_json::to_value(claims()).unwrap();
        v.as_object_mut().unwrap().remove("sid");
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &v,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(t.verify(&token).unwrap_err().status, 401);
        let mut c = claims();
        c.sid = String::new();
        assert_eq!(t.verify(&t.sign(&c).unwrap()).unwrap_err().status, 401);
    }

    #[test]
    fn a_session_token_names_its_session_and_never_outlives_it() {
        let t = Tokens::new(SECRET);
        let now = crate::time::epoch_seconds();
        let (token, lifetime) = t
            .issue_in_session("u1", "a@b.co", Role::Member, true, "family-1", now + 60)
            .unwrap();
        assert!((59..=60).contains(&lifetime), "{lifetime}");
        let c = t.verify(&token).unwrap();
        assert_eq!(c.sid, "family-1");
        assert_eq!(c.exp - c.iat, lifetime);
        let (_, lifetime) = t
            .issue_in_session("u1", "a@b.co", Role::Member, true, "family-1", now + 86_400)
            .unwrap();
        assert_eq!(lifetime, ACCESS_TOKEN_SECONDS);
    }

    #[test]
    fn alg_none_is_refused() {
        let t = Tokens::new(SECRET);
        let token = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none", "typ": "JWT"})),
            b64(&serde_json::to_value(claims()).unwrap())
        );
        assert_eq!(t.verify(&token).unwrap_err().status, 401);
    }

    #[test]
    fn another_algorithm_is_refused() {
        let t = Tokens::new(SECRET);
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims(),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(t.verify(&token).unwrap_err().code, "unauthenticated");
    }

    #[test]
    fn a_wrong_key_or_tampered_payload_is_refused() {
        let t = Tokens::new(SECRET);
        let other = Tokens::new("another-secret-another-secret-another!");
        let token = other.sign(&claims()).unwrap();
        assert_eq!(t.verify(&token).unwrap_err().status, 401);

        let good = t.sign(&claims()).unwrap();
        let parts: Vec<&str> = good.split('.').collect();
        let mut admin = claims();
        admin.role = "admin".into();
        let tampered = format!(
            "{}.{}.{}",
            parts[0],
            b64(&serde_json::to_value(admin).unwrap()),
            parts[2]
        );
        assert_eq!(t.verify(&tampered).unwrap_err().status, 401);
    }

    #[test]
    fn wrong_issuer_or_audience_is_refused() {
        let t = Tokens::new(SECRET);
        let mut c = claims();
        c.iss = "someone-else".into();
        assert_eq!(t.verify(&t.sign(&c).unwrap()).unwrap_err().status, 401);
        let mut c = claims();
        c.aud = "another-api".into();
        assert_eq!(t.verify(&t.sign(&c).unwrap()).unwrap_err().status, 401);
    }

    #[test]
    fn expired_tokens_are_token_expired_after_the_leeway() {
        let t = Tokens::new(SECRET);
        let mut c = claims();
        c.exp = crate::time::epoch_seconds() - 10;
        assert!(
            t.verify(&t.sign(&c).unwrap()).is_ok(),
            "within the 30 s leeway"
        );
        c.exp = crate::time::epoch_seconds() - 60;
        assert_eq!(
            t.verify(&t.sign(&c).unwrap()).unwrap_err().code,
            "token_expired"
        );
    }

    #[test]
    fn tokens_name_their_key_and_a_rotation_accepts_old_and_new() {
        let old =
            KeySet::parse(r#"{"kid": "k1", "secret": "old-secret-old-secret-old-secret-old!"}"#)
                .unwrap();
        let rotated = KeySet::parse(
            r#"{"kid": "k2", "secret": "new-secret-new-secret-new-secret-new!",
                "accept": [{"kid": "k1", "secret": "old-secret-old-secret-old-secret-old!"}]}"#,
        )
        .unwrap();
        let (before, _) = Tokens::from_keys(&old)
            .issue("u1", "a@b.co", Role::Member, true)
            .unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&before).unwrap().kid.as_deref(),
            Some("k1")
        );
        let now = Tokens::from_keys(&rotated);
        assert!(
            now.verify(&before).is_ok(),
            "the previous key still verifies"
        );
        let (after, _) = now.issue("u1", "a@b.co", Role::Member, true).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&after).unwrap().kid.as_deref(),
            Some("k2")
        );
        assert_eq!(
            Tokens::from_keys(&old).verify(&after).unwrap_err().status,
            401,
            "a key it does not know"
        );
        // A token naming k1 but signed with k2's secret is forged.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let forged = jsonwebtoken::encode(
            &header,
            &claims(),
            &EncodingKey::from_secret(b"new-secret-new-secret-new-secret-new!"),
        )
        .unwrap();
        assert_eq!(now.verify(&forged).unwrap_err().status, 401);
    }

    #[test]
    fn a_key_set_is_parsed_strictly() {
        assert!(KeySet::parse("not json").is_err());
        assert!(KeySet::parse(r#"{"kid": "k1"}"#).is_err());
        assert!(KeySet::parse(
            r#"{"kid": "k1", "secret": "a", "accept": [{"kid": "k1", "secret": "b"}]}"#
        )
        .is_err());
        let legacy = KeySet::parse(r#"{"secret": "abc"}"#).unwrap();
        assert_eq!(legacy, KeySet::single("abc"));
        assert!(
            !format!("{legacy:?}").contains("abc"),
            "Debug hides secrets"
        );
    }

    #[test]
    fn the_issue_time_has_millisecond_precision() {
        let t = Tokens::new(SECRET);
        let before = crate::time::now().timestamp_millis();
        let (token, _) = t.issue("u1", "a@b.co", Role::Member, true).unwrap();
        let after = crate::time::now().timestamp_millis();
        let ms = t.verify(&token).unwrap().issued_at_ms();
        assert!(before <= ms && ms <= after, "{before} <= {ms} <= {after}");
        let mut c = claims();
        c.jti = "not-a-uuid".into();
        assert_eq!(c.issued_at_ms(), c.iat * 1000);
    }

    #[test]
    fn missing_claims_are_refused() {
        let t = Tokens::new(SECRET);
        for missing in ["exp", "iss", "aud", "sub"] {
            let mut v = serde_json::to_value(claims()).unwrap();
            v.as_object_mut().unwrap().remove(missing);
            let token = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &v,
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap();
            assert_eq!(
                t.verify(&token).unwrap_err().status,
                401,
                "without {missing}"
            );
        }
    }

    #[test]
    fn the_development_key_is_refused_without_an_emulator() {
        let dev = KeySet::single(DEVELOPMENT_JWT_SECRET);
        let err = dev.check(false).unwrap_err();
        assert!(err.to_string().contains("development key"), "{err}");
        assert!(dev.check(true).is_ok());
        let rotated_to_dev = KeySet::parse(&format!(
            r#"{{"kid": "a", "secret": "a-real-secret-a-real-secret-a-real-secret",
                 "accept": [{{"kid": "b", "secret": "{DEVELOPMENT_JWT_SECRET}"}}]}}"#
        ))
        .unwrap();
        assert!(rotated_to_dev.check(false).is_err(), "accepted keys too");
        let short = KeySet::single("short");
        assert!(short.check(true).is_err());
    }
}
