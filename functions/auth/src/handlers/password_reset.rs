//! `POST /api/auth/password-reset` `{email}` → `202`, whether or not an account has the
//! email (the answer tells nothing). For a registered, active account within its limit (5
//! requests per email per hour, counted atomically on its login item), a one-time code
//! (256 random bits, and the email it is for: `domain::new_reset_code`) is stored as its
//! SHA-256 for 30 minutes and emailed with a link to the
//! web app's reset page (`domain::reset_mail`, sent by `mail`). Past the limit: still 202,
//! nothing stored or sent. A malformed email is 422 (it names no account either way).
//! One DynamoDB round trip (the count and the code in one transaction; a second when the
//! email's hour has passed), then one SES call.

use std::sync::Arc;

use gymit_shared::{http, time, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;
use serde_json::json;

use crate::{
    domain::{check_email, new_reset_code, reset_code_hash, reset_mail, ResetCode},
    PasswordReset,
};

#[derive(Deserialize)]
struct Body {
    email: String,
}

pub async fn handle(
    state: Arc<PasswordReset>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let mut v = Validator::new();
    let email = check_email(&mut v, &body.email);
    v.finish()?;
    let (code, now) = (new_reset_code(&email), time::epoch_seconds());
    let stored = state
        .store
        .store_reset_code(
            &reset_code_hash(&code),
            &ResetCode::new(email.clone(), now),
            now,
        )
        .await?;
    if stored {
        // The code is stored: a failed send leaves it unusable by anyone (nobody has it).
        // The member may ask again; the answer stays 202 so it tells nothing.
        match state
            .mailer
            .send(&email, &reset_mail(&state.web_app_url, &code))
            .await
        {
            Ok(()) => tracing::info!("password reset code sent"),
            Err(e) => tracing::error!(error = %e, "password reset mail not sent"),
        }
    } else {
        tracing::info!("password reset not sent: no active account, or 5 requests this hour");
    }
    http::json(
        202,
        &json!({ "message": "If an account uses this email, a code is on its way." }),
    )
}
