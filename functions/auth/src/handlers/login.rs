//! `POST /api/auth/login` `{email, password, remember?}` → `200 {access_token, token_type,
//! expires_in, refresh_token, user}`; with `remember: true` the refresh token is also set as
//! the `gymit_refresh` cookie (`cookie`).
//!
//! Unknown email and wrong password answer the same 401 in about the same time (an unknown
//! email is verified against a dummy hash; a legacy bcrypt hash answers a wrong password in
//! the same time too, see `credentials`). The right password against a legacy bcrypt hash
//! replaces it by an argon2id hash in the session's transaction. Ten failures for one email in 15 minutes lock
//! it (429 with Retry-After) whether or not the account exists; each attempt is reserved
//! atomically before the password is verified. The password is checked
//! before the account state. Two DynamoDB round trips: the reservation returns the account
//! (its email's login item carries both), and the session starts in one transaction.

use std::sync::Arc;

use gymit_shared::{http, time, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{
    blocking, cookie, credentials,
    domain::{hash_password, Verified, PASSWORD_MAX},
    email,
    session::{new_session, new_session_ends},
    source_address, Auth,
};

#[derive(Deserialize)]
struct Body {
    email: String,
    password: String,
    /// Stay signed in: the refresh token also comes as the `gymit_refresh` cookie.
    #[serde(default)]
    remember: bool,
}

pub async fn handle(state: Arc<Auth>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let remember = body.remember;
    let email = match email::normalise(&body.email) {
        Some(email) if body.password.chars().count() <= PASSWORD_MAX => email,
        // Cannot be a real account: same answer as a wrong password, without hashing.
        _ => return Err(ApiError::invalid_credentials()),
    };
    // The attempt is reserved before the password is verified (atomically, see
    // `reserve_login_attempt`), so concurrent wrong passwords cannot outrun the lockout; the
    // same request returns the account.
    let (source, now) = (source_address(&req), time::epoch_seconds());
    let reserved = match state
        .store
        .reserve_login_attempt(&email, &source, now)
        .await?
    {
        Ok(reserved) => reserved,
        Err(wait) => return Err(ApiError::rate_limited(wait)),
    };
    let cleared = reserved.cleared(&source, now);
    let account = reserved.account;
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let verified = credentials::verify(body.password.clone(), hash).await?;

    // A wrong password keeps its reservation: that is the counted failure.
    let account = match account {
        Some(a) if verified.matches() => a,
        _ => return Err(ApiError::invalid_credentials()),
    };
    // The right password clears the email's failures, whatever the account's state.
    if !account.is_active || account.is_banned {
        state.store.clear_login_failures(&email, &cleared).await?;
        return Err(if account.is_active {
            ApiError::account_banned()
        } else {
            ApiError::invalid_credentials()
        });
    }
    // A legacy bcrypt hash is replaced by an argon2id one in this same request.
    let rehashed = match verified {
        Verified::MatchLegacy => {
            let password = body.password;
            let hash = blocking(move || hash_password(&password))
                .await?
                .map_err(|_| ApiError::internal())?;
            Some(hash)
        }
        _ => None,
    };
    let family = uuid::Uuid::now_v7().to_string();
    let (body, hash, stored) = new_session(&state, &account, &family, new_session_ends())?;
    // Clearing the failures, storing the refresh token (and the new hash): one transaction.
    if !state
        .store
        .start_session(&account, &hash, &stored, rehashed.as_deref(), &cleared)
        .await?
    {
        // The account was deleted while the password was being verified.
        return Err(ApiError::invalid_credentials());
    }
    tracing::info!(user_id = %account.id, rehashed = rehashed.is_some(), "logged in");
    let mut response = http::json(200, &body)?;
    if let (true, Some(token)) = (remember, body["refresh_token"].as_str()) {
        cookie::set(&req, &mut response, token, stored.session_ends_at - now);
    }
    Ok(response)
}
