//! A login session: an access token plus a rotating refresh token, in the response shape
//! shared by login and refresh.

use gymit_shared::{time, ApiError};
use serde_json::{json, Value};

use crate::{
    domain::{
        refresh_token_hash, session_refresh_token, Account, RefreshToken, REFRESH_TOKEN_SECONDS,
    },
    Auth,
};

/// A new refresh token of `family`, the session that ends at `session_ends` (epoch
/// seconds; a login starts one of `REFRESH_TOKEN_SECONDS`), stored hashed, and the
/// response body of a session. The access token names the session (`sid`) and, like the
/// refresh token, never outlives it.
pub fn new_session(
    auth: &Auth,
    account: &Account,
    family_id: &str,
    session_ends: i64,
) -> Result<(Value, String, RefreshToken), ApiError> {
    let (access_token, expires_in) = auth.tokens.issue_in_session(
        &account.id,
        &account.email,
        account.role,
        account.is_approved,
        family_id,
        session_ends,
    )?;
    let refresh_token = session_refresh_token(&account.id, family_id);
    let now = time::now();
    let stored = RefreshToken {
        user_id: account.id.clone(),
        family_id: family_id.to_string(),
        rotated: false,
        issued_at_ms: now.timestamp_millis(),
        expires_at: session_ends.min(now.timestamp() + REFRESH_TOKEN_SECONDS),
        session_ends_at: session_ends,
    };
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "user": account.to_user(),
    });
    Ok((body, refresh_token_hash(&refresh_token), stored))
}

/// When a session that starts now ends.
pub fn new_session_ends() -> i64 {
    time::epoch_seconds() + REFRESH_TOKEN_SECONDS
}
