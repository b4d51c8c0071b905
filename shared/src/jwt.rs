//! Access tokens: HS256 JWTs with exactly the claims of API.md. The one verification module:
//! the authorizer and every function use `Tokens::verify`, which pins HS256 and requires
//! `exp`, `iss`, `aud` (30 s leeway). `alg: none`, another algorithm, a bad signature, a
//! wrong issuer or audience, or a past `exp` are all 401.

use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{identity::Role, ApiError};

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
}

/// Signs and verifies access tokens; built once per process from `JWT_SECRET`.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Tokens {
    pub fn new(secret: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
        }
    }

    pub fn from_env() -> Result<Self, crate::config::ConfigError> {
        Ok(Self::new(&crate::config::jwt_secret()?))
    }

    /// A fresh 15-minute access token for a user; returns the token and its lifetime.
    pub fn issue(
        &self,
        user_id: &str,
        email: &str,
        role: Role,
        approved: bool,
    ) -> Result<(String, i64), ApiError> {
        let now = crate::time::epoch_seconds();
        let claims = Claims {
            sub: user_id.to_string(),
            email: email.to_string(),
            role: role.as_str().to_string(),
            approved,
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
            jti: uuid::Uuid::now_v7().to_string(),
        };
        self.sign(&claims).map(|t| (t, ACCESS_TOKEN_SECONDS))
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a token");
            ApiError::internal()
        })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        if token.len() > 4096 {
            return Err(ApiError::unauthenticated("invalid token"));
        }
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) if matches!(e.kind(), ErrorKind::ExpiredSignature) => {
                Err(ApiError::token_expired())
            }
            Err(_) => Err(ApiError::unauthenticated("invalid token")),
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
}
