//! `POST /api/auth/register` `{email, password, full_name}` → `201 {user}`.
//!
//! One story across two services: the account and its email item are written in one
//! transaction, then the user service creates the profile. If it cannot (after retries),
//! the account is removed again and the client gets 503: never an account without a profile.
//! While the user service keeps failing (the circuit breaker is open), the client gets 503
//! with `Retry-After` at once, before anything is hashed or written.

use std::sync::Arc;

use gymit_shared::{http, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{
    blocking,
    domain::{check_email, check_password, hash_password, Account},
    store::CreateError,
    Registration,
};

#[derive(Deserialize)]
struct Body {
    email: String,
    password: String,
    full_name: String,
}

pub async fn handle(
    state: Arc<Registration>,
    req: Request,
    ctx: Ctx,
) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let mut v = Validator::new();
    let email = check_email(&mut v, &body.email);
    check_password(&mut v, "password", &body.password, Some(&email));
    let full_name = v.text("full_name", &body.full_name, 1, 100);
    v.finish()?;

    let permit = state.profiles.breaker.admit()?;
    let password = body.password;
    let hash = blocking(move || hash_password(&password))
        .await?
        .map_err(|_| ApiError::internal())?;
    let account = Account::new(email, full_name, hash);
    match state.store.create_account(&account).await {
        Ok(()) => {}
        Err(CreateError::EmailTaken) => {
            return Err(ApiError::conflict(
                "email_taken",
                "an account with this email already exists",
            ))
        }
        Err(CreateError::Store(e)) => return Err(e.into()),
    }

    let user = account.to_user();
    if let Err(reason) = state.profiles.create(&user, &ctx.correlation_id).await {
        permit.failed();
        tracing::error!(user_id = %account.id, %reason, "no profile: removing the account again");
        if let Err(e) = state.store.delete_account(&account).await {
            tracing::error!(user_id = %account.id, error = %e, "compensation failed: account without profile");
        }
        return Err(ApiError::dependency_unavailable(
            "the user service is unavailable, nothing was created: try again",
        ));
    }
    permit.succeeded();
    tracing::info!(user_id = %account.id, "account registered");
    http::json(201, &serde_json::json!({ "user": user }))
}
