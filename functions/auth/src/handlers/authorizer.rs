//! `auth-authorizer`: the HTTP API's Lambda authorizer (REQUEST, payload 2.0, simple
//! responses). It resolves, the function decides (API.md, "Who answers a protected route's
//! refusal"): whenever it can run it answers `isAuthorized: true` with its verdict and the
//! caller's identity in the context, and `identity::caller` in the route's function turns a
//! refusing verdict into problem+json (401 `unauthenticated` / `token_expired`, 403
//! `account_banned`). An HTTP API authorizer's own denial would be a bare
//! `403 {"message":"Forbidden"}` that a client cannot act on.
//!
//! Context: `{"verdict": "allow" | "unauthenticated" | "token_expired" | "account_banned" |
//! "account_inactive", "user_id"?, "email"?, "role"?, "approved"?}`; the identity fields
//! only when the token verified (and for `allow`, the account's *current* role, email and
//! approval, which replace the token's).
//!
//! One BatchGetItem reads the account and whether the token's session (`sid`) has ended:
//! after a logout, its access tokens are `token_expired` as soon as the gateway's cache of
//! this answer runs out (`ReauthorizeEvery`), like those issued before a password change.
//!
//! Failing closed: when the auth table cannot be read, the authorizer returns an error, so
//! API Gateway answers `500 {"message":"Internal Server Error"}` and no function runs. It
//! never lets a request through on a verdict it could not establish.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use gymit_shared::{
    dynamo::StoreError,
    identity::{verdict_of, Verdict},
    jwt::Tokens,
};
use serde_json::{json, Value};

use crate::store::AuthStore;

pub struct Authorizer {
    pub store: AuthStore,
    pub tokens: Tokens,
}

/// The bearer token of the request: its `Authorization` header, else its identity source.
fn bearer(request: &ApiGatewayV2CustomAuthorizerV2Request) -> Option<&str> {
    let value = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .or_else(|| {
            request
                .identity_source
                .as_deref()?
                .first()
                .map(String::as_str)
        })?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn answer(context: Value) -> Value {
    json!({ "isAuthorized": true, "context": context })
}

fn verdict_only(verdict: Verdict) -> Value {
    answer(json!({ "verdict": verdict.as_str() }))
}

/// The simple response for one request, or the store error that makes it fail closed.
pub async fn handle(
    state: &Authorizer,
    request: ApiGatewayV2CustomAuthorizerV2Request,
) -> Result<Value, StoreError> {
    let Some(token) = bearer(&request) else {
        return Ok(verdict_only(Verdict::Unauthenticated));
    };
    let claims = match state.tokens.verify(token) {
        Ok(claims) => claims,
        Err(e) => return Ok(verdict_only(verdict_of(&e))),
    };
    let (account, session_ended) = match state
        .store
        .account_and_session(&claims.sub, &claims.sid)
        .await
    {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(error = %e, "authorizer cannot read the account: failing closed");
            return Err(e);
        }
    };
    let verdict = match &account {
        None => Verdict::AccountInactive,
        Some(a) if !a.is_active => Verdict::AccountInactive,
        Some(a) if a.is_banned => Verdict::AccountBanned,
        Some(a) if claims.issued_at_ms() < a.tokens_valid_after_ms => Verdict::TokenExpired,
        Some(_) if session_ended => Verdict::TokenExpired,
        Some(_) => Verdict::Allow,
    };
    Ok(match account {
        Some(account) if verdict == Verdict::Allow => answer(json!({
            "verdict": verdict.as_str(),
            "user_id": account.id,
            "email": account.email,
            "role": account.role.as_str(),
            "approved": account.is_approved,
        })),
        _ => answer(json!({ "verdict": verdict.as_str(), "user_id": claims.sub })),
    })
}
