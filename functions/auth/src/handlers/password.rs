//! `POST /api/auth/password` `{current_password, new_password}` → `204`; every refresh token
//! of the account stops working, and access tokens issued before it answer 401
//! `token_expired` (the authorizer compares their issue time with the change). Allowed to
//! unapproved accounts too (API.md). A wrong `current_password` counts toward the login
//! lockout of the account's email (reserved before verifying, as in login), so a stolen
//! access token cannot guess the password at API rate. Two DynamoDB round trips: the
//! reservation on the email's login item returns the account, and the new hash, the
//! revocation and the cleared failures are one transaction.

use std::sync::Arc;

use gymit_shared::{http, identity, time, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{
    blocking,
    domain::{check_password, hash_password, verify_password},
    source_address, Auth,
};

#[derive(Deserialize)]
struct Body {
    current_password: String,
    new_password: String,
}

pub async fn handle(state: Arc<Auth>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let body: Body = http::json_body(&req)?;
    let mut v = Validator::new();
    check_password(
        &mut v,
        "new_password",
        &body.new_password,
        Some(&caller.email),
    );
    v.finish()?;
    // The reservation returns the account of the token's email (emails never change); it
    // must still be the caller's, and active.
    let (source, now) = (source_address(&req), time::epoch_seconds());
    let reserved = match state
        .store
        .reserve_login_attempt(&caller.email, &source, now)
        .await?
    {
        Ok(reserved) => reserved,
        Err(wait) => return Err(ApiError::rate_limited(wait)),
    };
    let cleared = reserved.cleared(&source, now);
    let account = reserved
        .account
        .filter(|a| a.id == caller.user_id && a.is_active)
        .ok_or_else(gone)?;
    let (current, stored) = (body.current_password, account.password_hash.clone());
    let new = body.new_password;
    let new_hash =
        blocking(move || verify_password(&current, &stored).then(|| hash_password(&new))).await?;
    let new_hash = match new_hash {
        // The reservation stays: that is the counted failure.
        None => return Err(ApiError::invalid_credentials()),
        Some(h) => h.map_err(|_| ApiError::internal())?,
    };
    let now = time::now();
    // The new hash, the revocation time and the cleared failures: one transaction.
    if !state
        .store
        .set_password(
            &account,
            &new_hash,
            now.timestamp_millis(),
            &time::rfc3339(now),
            &cleared,
        )
        .await?
    {
        return Err(gone());
    }
    tracing::info!(user_id = %account.id, "password changed, refresh tokens revoked");
    http::no_content()
}

fn gone() -> ApiError {
    ApiError::unauthenticated("the account no longer exists")
}
