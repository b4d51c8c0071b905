//! `auth-authorizer`: the HTTP API's Lambda authorizer (REQUEST, payload 2.0, simple
//! responses). Verifies the bearer token with the shared verifier, then checks in the auth
//! table that the account is still active and not banned, and passes the account's current
//! `user_id`, `email`, `role` and `approved` to the route's function.

use gymit_shared::jwt::Tokens;
use serde_json::{json, Value};

use crate::store::AuthStore;

pub struct Authorizer {
    pub store: AuthStore,
    pub tokens: Tokens,
}

fn deny() -> Value {
    json!({ "isAuthorized": false })
}

/// The `Authorization` header of the request event (headers are lower-cased in payload 2.0).
fn bearer(event: &Value) -> Option<&str> {
    let value = event["headers"]["authorization"]
        .as_str()
        .or_else(|| event["identitySource"][0].as_str())?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub async fn handle(state: &Authorizer, event: Value) -> Value {
    let Some(token) = bearer(&event) else {
        return deny();
    };
    let Ok(claims) = state.tokens.verify(token) else {
        return deny();
    };
    match state.store.account(&claims.sub).await {
        Ok(Some(account)) if account.is_active && !account.is_banned => json!({
            "isAuthorized": true,
            "context": {
                "user_id": account.id,
                "email": account.email,
                "role": account.role.as_str(),
                "approved": account.is_approved,
            }
        }),
        Ok(_) => deny(),
        Err(e) => {
            // Failing closed: an unreachable table must not let anyone in.
            tracing::error!(error = %e, "authorizer cannot read the account");
            deny()
        }
    }
}
