//! `POST /api/auth/password-reset/confirm` `{code, new_password}` → `204`: the password
//! changes and every session ends. An unknown, used or expired code is 400
//! `invalid_reset_code` (as is a code whose account was deactivated or deleted meanwhile);
//! the new password follows registration's rules (422). The code is spent, the new
//! argon2id hash set, every session ended (`tokens_valid_after_ms`: access tokens issued
//! before answer 401 `token_expired`, refresh tokens are refused) and the email's failed
//! logins cleared from every address, in one transaction conditioned on the code being
//! unused and unexpired: of two racing confirms exactly one answers 204. Two DynamoDB
//! round trips: the code with the email's login item (account and failures; the code
//! names the email, `domain::new_reset_code`) in one batch, then the transaction.

use std::sync::Arc;

use gymit_shared::{http, time, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{
    blocking,
    domain::{check_password, hash_password, reset_code_email, reset_code_hash},
    store::{AuthStore, FailuresCleared},
};

/// The longest code accepted (ours are at most 44 + 340 characters); longer is unknown.
const MAX_CODE: usize = 512;

#[derive(Deserialize)]
struct Body {
    code: String,
    new_password: String,
}

pub async fn handle(store: Arc<AuthStore>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let code = body.code.trim();
    let email = Some(code)
        .filter(|c| c.len() <= MAX_CODE)
        .and_then(reset_code_email)
        .ok_or_else(invalid_code)?;
    let hash = reset_code_hash(code);
    let now = time::now();
    let (reset, account, failures) = store.reset_state(&hash, &email).await?;
    reset
        .filter(|r| r.email == email && r.is_usable(now.timestamp()))
        .ok_or_else(invalid_code)?;
    let account = account
        .filter(|a| a.is_active && a.email == email)
        .ok_or_else(invalid_code)?;
    let mut v = Validator::new();
    check_password(
        &mut v,
        "new_password",
        &body.new_password,
        Some(&account.email),
    );
    v.finish()?;
    let new = body.new_password;
    let new_hash = blocking(move || hash_password(&new))
        .await?
        .map_err(|_| ApiError::internal())?;
    let now = time::now();
    if !store
        .reset_password(
            &hash,
            &account,
            &new_hash,
            now.timestamp_millis(),
            &time::rfc3339(now),
            &FailuresCleared::every_source(&failures),
        )
        .await?
    {
        return Err(invalid_code());
    }
    tracing::info!(user_id = %account.id, "password reset, every session ended");
    http::no_content()
}

fn invalid_code() -> ApiError {
    ApiError::new(
        400,
        "invalid_reset_code",
        "the reset code is unknown, used or expired",
    )
}
