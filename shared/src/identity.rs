//! The caller of a request: one way to read it, one way to require a role or approval.
//!
//! "The authorizer resolves; the function decides" (API.md, "Who answers a protected
//! route's refusal"). The HTTP API's Lambda authorizer never denies: it verifies the token,
//! reads the account, and passes a [`Verdict`] with the caller's current identity in
//! `requestContext.authorizer.lambda`. [`caller`] verifies the bearer token again with the
//! shared verifier (defense in depth: a function never trusts a context alone), then turns
//! the verdict into the contract's problem+json: 401 `unauthenticated`, 401 `token_expired`,
//! 403 `account_banned`, or a `Caller` with the account's fresh `role` / `approved`.

use lambda_http::{request::RequestContext, RequestExt};
use serde_json::Value;

pub use crate::role::Role;
use crate::{jwt::Tokens, ApiError, Request};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub approved: bool,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Writes beyond one's own profile need an approved account (API.md).
    pub fn require_approved(&self) -> Result<(), ApiError> {
        if self.approved {
            Ok(())
        } else {
            Err(ApiError::not_approved())
        }
    }

    /// One of `roles`, and approved.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if !roles.contains(&self.role) {
            return Err(ApiError::forbidden("your role does not allow this"));
        }
        self.require_approved()
    }
}

/// What the authorizer concluded about a request's token, passed to the function in the
/// authorizer context under `verdict` (API.md, "Who answers a protected route's refusal").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The token verifies and its account may act; the context carries its identity.
    Allow,
    /// No bearer token, a malformed, forged or foreign one, or a wrong scheme.
    Unauthenticated,
    /// Past `exp`, or issued before the account's last password change.
    TokenExpired,
    /// The account is banned.
    AccountBanned,
    /// The account is deactivated or does not exist any more.
    AccountInactive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Unauthenticated => "unauthenticated",
            Verdict::TokenExpired => "token_expired",
            Verdict::AccountBanned => "account_banned",
            Verdict::AccountInactive => "account_inactive",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Allow,
            Verdict::Unauthenticated,
            Verdict::TokenExpired,
            Verdict::AccountBanned,
            Verdict::AccountInactive,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// The refusal a function answers for this verdict (`None` for `Allow`).
    pub fn refusal(self) -> Option<ApiError> {
        match self {
            Verdict::Allow => None,
            Verdict::Unauthenticated => Some(ApiError::unauthenticated("invalid token")),
            Verdict::TokenExpired => Some(ApiError::token_expired()),
            Verdict::AccountBanned => Some(ApiError::account_banned()),
            Verdict::AccountInactive => {
                Some(ApiError::unauthenticated("the account is no longer active"))
            }
        }
    }
}

/// The verdict of an API error that `Tokens::verify` answered (expired or anything else).
pub fn verdict_of(error: &ApiError) -> Verdict {
    if error.code == "token_expired" {
        Verdict::TokenExpired
    } else {
        Verdict::Unauthenticated
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The authorizer's context of a request (`requestContext.authorizer.lambda`), if any.
fn authorizer_context(req: &Request) -> Option<&std::collections::HashMap<String, Value>> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .map(|a| &a.fields)
            .filter(|f| !f.is_empty()),
        _ => None,
    }
}

fn text<'a>(fields: &'a std::collections::HashMap<String, Value>, key: &str) -> Option<&'a str> {
    fields.get(key).and_then(Value::as_str)
}

/// The caller, or the contract's refusal: the token must verify here, and the authorizer's
/// verdict, when the gateway passed one, must be `allow` for the same user (its `role` and
/// `approved` are the account's current ones and replace the token's). A context naming
/// another user, or one without a verdict, is 401: it cannot come from our authorizer.
/// Without any context (a route without authorizer, an in-process test) the token alone
/// decides, with the role and approval it carries.
pub fn caller(req: &Request, tokens: &Tokens) -> Result<Caller, ApiError> {
    let token =
        bearer(req).ok_or_else(|| ApiError::unauthenticated("a bearer token is required"))?;
    let claims = tokens.verify(token)?;
    let mut caller = Caller {
        role: Role::parse(&claims.role)
            .ok_or_else(|| ApiError::unauthenticated("invalid token"))?,
        user_id: claims.sub,
        email: claims.email,
        approved: claims.approved,
    };
    let Some(fields) = authorizer_context(req) else {
        return Ok(caller);
    };
    if let Some(user_id) = text(fields, "user_id") {
        if user_id != caller.user_id {
            return Err(ApiError::unauthenticated(
                "the token does not match the session",
            ));
        }
    }
    let verdict = text(fields, "verdict")
        .and_then(Verdict::parse)
        .ok_or_else(|| ApiError::unauthenticated("the session could not be resolved"))?;
    if let Some(refusal) = verdict.refusal() {
        return Err(refusal);
    }
    if text(fields, "user_id").is_none() {
        return Err(ApiError::unauthenticated(
            "the session could not be resolved",
        ));
    }
    if let Some(role) = text(fields, "role").and_then(Role::parse) {
        caller.role = role;
    }
    if let Some(email) = text(fields, "email") {
        caller.email = email.to_string();
    }
    if let Some(approved) = fields.get("approved") {
        caller.approved = approved
            .as_bool()
            .unwrap_or(approved.as_str() == Some("true"));
    }
    Ok(caller)
}

/// The caller if a token was sent (it must then be valid), `None` for anonymous requests.
pub fn optional_caller(req: &Request, tokens: &Tokens) -> Result<Option<Caller>, ApiError> {
    if !req.headers().contains_key("authorization") {
        return Ok(None);
    }
    caller(req, tokens).map(Some)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "identity-test-secret-identity-test-secret";

    fn tokens() -> Tokens {
        Tokens::new(SECRET)
    }

    fn token(user: &str, role: Role, approved: bool) -> String {
        tokens().issue(user, "a@b.co", role, approved).unwrap().0
    }

    /// An HTTP API (payload 2.0) event as the gateway sends it, with the authorizer's
    /// context when `context` is given; read by lambda_http like the runtime does.
    fn request(authorization: Option<&str>, context: Option<Value>) -> Request {
        let mut headers = json!({"host": "127.0.0.1", "content-type": "application/json"});
        if let Some(a) = authorization {
            headers["authorization"] = json!(a);
        }
        let mut request_context = json!({
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {"method": "GET", "path": "/api/auth/me", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "test"},
            "requestId": "r1",
            "routeKey": "GET /api/auth/me",
            "stage": "$default",
            "time": "01/Dec/2026:10:00:00 +0000",
            "timeEpoch": 1795514400000u64
        });
        if let Some(c) = context {
            request_context["authorizer"] = json!({ "lambda": c });
        }
        let event = json!({
            "version": "2.0",
            "routeKey": "GET /api/auth/me",
            "rawPath": "/api/auth/me",
            "rawQueryString": "",
            "headers": headers,
            "requestContext": request_context,
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).expect("a valid payload 2.0 event")
    }

    fn allow(user: &str, role: &str, approved: bool) -> Value {
        json!({"verdict": "allow", "user_id": user, "email": "a@b.co", "role": role, "approved": approved})
    }

    #[test]
    fn a_valid_token_without_context_is_the_caller_of_its_claims() {
        let t = token("u1", Role::Trainer, true);
        let c = caller(&request(Some(&format!("Bearer {t}")), None), &tokens()).unwrap();
        assert_eq!(
            (c.user_id.as_str(), c.role, c.approved),
            ("u1", Role::Trainer, true)
        );
    }

    #[test]
    fn the_authorizers_current_role_and_approval_replace_the_tokens() {
        let t = token("u1", Role::Trainer, true);
        let req = request(
            Some(&format!("Bearer {t}")),
            Some(allow("u1", "member", false)),
        );
        let c = caller(&req, &tokens()).unwrap();
        assert_eq!((c.role, c.approved), (Role::Member, false));
        assert_eq!(
            c.require_role(&[Role::Trainer, Role::Admin])
                .unwrap_err()
                .status,
            403,
            "a demoted trainer no longer acts as one"
        );
    }

    #[test]
    fn each_verdict_is_the_contracts_refusal() {
        let t = token("u1", Role::Member, true);
        let auth = format!("Bearer {t}");
        for (verdict, status, code) in [
            ("unauthenticated", 401, "unauthenticated"),
            ("token_expired", 401, "token_expired"),
            ("account_banned", 403, "account_banned"),
            ("account_inactive", 401, "unauthenticated"),
            ("something_else", 401, "unauthenticated"),
        ] {
            let ctx = json!({"verdict": verdict, "user_id": "u1"});
            let err = caller(&request(Some(&auth), Some(ctx)), &tokens()).unwrap_err();
            assert_eq!((err.status, err.code), (status, code), "{verdict}");
        }
        // A verdict with no identity (the authorizer could not read the token) also refuses.
        let err = caller(
            &request(Some(&auth), Some(json!({"verdict": "token_expired"}))),
            &tokens(),
        )
        .unwrap_err();
        assert_eq!(err.code, "token_expired");
    }

    #[test]
    fn a_context_naming_another_user_or_without_verdict_is_401() {
        let t = token("u1", Role::Admin, true);
        let auth = format!("Bearer {t}");
        let err = caller(
            &request(Some(&auth), Some(allow("u2", "admin", true))),
            &tokens(),
        )
        .unwrap_err();
        assert_eq!((err.status, err.code), (401, "unauthenticated"));
        let no_verdict = json!({"user_id": "u1", "role": "admin", "approved": true});
        let err = caller(&request(Some(&auth), Some(no_verdict)), &tokens()).unwrap_err();
        assert_eq!((err.status, err.code), (401, "unauthenticated"));
        let allow_without_identity = json!({"verdict": "allow"});
        let err = caller(
            &request(Some(&auth), Some(allow_without_identity)),
            &tokens(),
        )
        .unwrap_err();
        assert_eq!(err.status, 401);
    }

    #[test]
    fn the_function_verifies_the_token_itself_even_when_the_context_allows() {
        let forged = Tokens::new("another-secret-another-secret-another!")
            .issue("u1", "a@b.co", Role::Admin, true)
            .unwrap()
            .0;
        let req = request(
            Some(&format!("Bearer {forged}")),
            Some(allow("u1", "admin", true)),
        );
        assert_eq!(caller(&req, &tokens()).unwrap_err().code, "unauthenticated");
    }

    #[test]
    fn missing_malformed_or_wrong_scheme_headers_are_unauthenticated() {
        let t = token("u1", Role::Member, true);
        for header in [
            None,
            Some(String::new()),
            Some("Bearer".to_string()),
            Some("Bearer ".to_string()),
            Some(format!("Basic {t}")),
            Some(format!("Token {t}")),
            Some("Bearer not.a.jwt".to_string()),
            Some("Bearer 3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string()),
        ] {
            let err = caller(&request(header.as_deref(), None), &tokens()).unwrap_err();
            assert_eq!(
                (err.status, err.code),
                (401, "unauthenticated"),
                "{header:?}"
            );
        }
        let lower = caller(&request(Some(&format!("bearer {t}")), None), &tokens());
        assert!(lower.is_ok(), "the scheme is case-insensitive (RFC 9110)");
    }

    #[test]
    fn an_expired_token_is_token_expired() {
        let now = crate::time::epoch_seconds();
        let claims = crate::jwt::Claims {
            sub: "u1".into(),
            email: "a@b.co".into(),
            role: "member".into(),
            approved: true,
            iat: now - 3600,
            exp: now - 600,
            iss: crate::jwt::ISSUER.into(),
            aud: crate::jwt::AUDIENCE.into(),
            jti: "j".into(),
            sid: "s".into(),
        };
        let t = tokens().sign(&claims).unwrap();
        let err = caller(&request(Some(&format!("Bearer {t}")), None), &tokens()).unwrap_err();
        assert_eq!((err.status, err.code), (401, "token_expired"));
    }

    #[test]
    fn optional_caller_is_none_only_without_the_header() {
        assert_eq!(
            optional_caller(&request(None, None), &tokens()).unwrap(),
            None
        );
        assert_eq!(
            optional_caller(&request(Some("Bearer junk"), None), &tokens())
                .unwrap_err()
                .status,
            401
        );
    }
}
