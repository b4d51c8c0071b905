//! `POST /api/auth/refresh` `{refresh_token, remember?}` → `200` like login; the token
//! rotates. An empty body uses the `gymit_refresh` cookie, and the rotated token goes back
//! into it (as with `remember: true`).
//! Reusing a rotated token revokes its whole family (401). A banned account's tokens answer
//! 403 `account_banned`, a deactivated one's 401; a password change kills older tokens.
//! Two DynamoDB round trips: one BatchGetItem (the token, its account, its family's
//! revocation: the token names the ids) and the rotation's transaction.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{
    cookie,
    domain::{refresh_token_hash, refresh_token_ids},
    session::new_session,
    Auth,
};

#[derive(Deserialize)]
struct Body {
    /// Absent (or an empty body): the `gymit_refresh` cookie's.
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    remember: bool,
}

fn invalid() -> ApiError {
    ApiError::unauthenticated("the refresh token is invalid or revoked")
}

pub async fn handle(state: Arc<Auth>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::optional_json_body(&req)?;
    // A token from the cookie is rotated into the cookie: the client keeps no other copy.
    let (presented, into_cookie) = match body.refresh_token {
        Some(token) => (token, body.remember),
        None => (cookie::refresh_token(&req).ok_or_else(invalid)?, true),
    };
    if presented.is_empty() || presented.len() > 256 {
        return Err(invalid());
    }
    let hash = refresh_token_hash(&presented);
    // The token names its user and family, so the token, the account and the family's
    // revocation are one read. A token from before it named them: its ids are read first.
    let (user_id, family) = match refresh_token_ids(&presented) {
        Some((user, family)) => (user.to_string(), family.to_string()),
        None => {
            let token = state
                .store
                .refresh_token(&hash)
                .await?
                .ok_or_else(invalid)?;
            (token.user_id, token.family_id)
        }
    };
    let (token, account, revoked) = state.store.refresh_state(&hash, &user_id, &family).await?;
    let token = token
        .filter(|t| t.user_id == user_id && t.family_id == family)
        .ok_or_else(invalid)?;
    let now = gymit_shared::time::now();
    if token.expires_at.min(token.session_ends()) <= now.timestamp() {
        return Err(invalid());
    }
    if token.rotated {
        tracing::warn!(user_id = %token.user_id, "refresh token reuse: revoking its family");
        state
            .store
            .revoke_family(&token.family_id, gymit_shared::time::epoch_seconds())
            .await?;
        return Err(invalid());
    }
    let account = account.ok_or_else(invalid)?;
    if revoked || !account.is_active || token.issued_at_ms < account.tokens_valid_after_ms {
        return Err(invalid());
    }
    if account.is_banned {
        return Err(ApiError::account_banned());
    }
    // Rotation keeps the session's end: a session lives at most 30 days from its login.
    let (body, new_hash, stored) =
        new_session(&state, &account, &token.family_id, token.session_ends())?;
    if !state
        .store
        .rotate_refresh_token(&hash, &new_hash, &stored)
        .await?
    {
        // Another refresh with the same token won the race: that is reuse too.
        state
            .store
            .revoke_family(&token.family_id, gymit_shared::time::epoch_seconds())
            .await?;
        return Err(invalid());
    }
    let mut response = http::json(200, &body)?;
    if let (true, Some(token)) = (into_cookie, body["refresh_token"].as_str()) {
        cookie::set(
            &req,
            &mut response,
            token,
            stored.session_ends_at - now.timestamp(),
        );
    }
    Ok(response)
}
