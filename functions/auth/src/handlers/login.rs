//! `POST /api/auth/login` `{email, password}` → `200 {access_token, token_type, expires_in,
//! refresh_token, user}`.
//!
//! Unknown email and wrong password answer the same 401 in about the same time (an unknown
//! email is verified against a dummy hash). Ten failures for one email in 15 minutes lock
//! it (429 with Retry-After) whether or not the account exists; each attempt is reserved
//! atomically before the password is verified. The password is checked
//! before the account state. Two DynamoDB round trips: the reservation returns the account
//! (its email's login item carries both), and the session starts in one transaction.

use std::sync::Arc;

use gymit_shared::{http, time, validate::normalise_email, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{
    blocking,
    domain::{verify_password, DUMMY_HASH, PASSWORD_MAX},
    session::new_session,
    Auth,
};

#[derive(Deserialize)]
struct Body {
    email: String,
    password: String,
}

pub async fn handle(state: Arc<Auth>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let email = normalise_email(&body.email);
    if email.is_empty() || email.len() > 254 || body.password.chars().count() > PASSWORD_MAX {
        // Cannot be a real account: same answer as a wrong password, without hashing.
        return Err(ApiError::invalid_credentials());
    }
    // The attempt is reserved before the password is verified (atomically, see
    // `reserve_login_attempt`), so concurrent wrong passwords cannot outrun the lockout; the
    // same request returns the account.
    let account = match state
        .store
        .reserve_login_attempt(&email, time::epoch_seconds())
        .await?
    {
        Ok(account) => account,
        Err(wait) => return Err(ApiError::rate_limited(wait)),
    };
    let hash = account
        .as_ref()
        .map(|a| a.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = body.password;
    let matches = blocking(move || verify_password(&password, &hash)).await?;

    // A wrong password keeps its reservation: that is the counted failure.
    let account = match account {
        Some(a) if matches => a,
        _ => return Err(ApiError::invalid_credentials()),
    };
    // The right password clears the email's failures, whatever the account's state.
    if !account.is_active || account.is_banned {
        state.store.clear_login_failures(&email).await?;
        return Err(if account.is_active {
            ApiError::account_banned()
        } else {
            ApiError::invalid_credentials()
        });
    }
    let family = uuid::Uuid::now_v7().to_string();
    let (body, hash, stored) = new_session(&state, &account, &family)?;
    // Clearing the failures and storing the refresh token: one transaction.
    if !state.store.start_session(&account, &hash, &stored).await? {
        // The account was deleted while the password was being verified.
        return Err(ApiError::invalid_credentials());
    }
    tracing::info!(user_id = %account.id, "logged in");
    http::json(200, &body)
}
