//! `POST /api/auth/logout` `{refresh_token}` → `204`, revoking that token's family: the
//! session, whose access tokens the authorizer then answers `token_expired` (their `sid`).
//! The refresh token is the credential; no access token is needed, so this function never
//! reads the signing keys. An empty body uses the `gymit_refresh` cookie, which the answer
//! clears. An unknown token is 401.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{cookie, domain::refresh_token_hash, store::AuthStore};

#[derive(Deserialize)]
struct Body {
    /// Absent (or an empty body): the `gymit_refresh` cookie's.
    #[serde(default)]
    refresh_token: Option<String>,
}

pub async fn handle(store: Arc<AuthStore>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::optional_json_body(&req)?;
    let unknown = || ApiError::unauthenticated("the refresh token is invalid");
    let presented = body
        .refresh_token
        .or_else(|| cookie::refresh_token(&req))
        .ok_or_else(unknown)?;
    if presented.is_empty() || presented.len() > 256 {
        return Err(unknown());
    }
    let token = store
        .refresh_token(&refresh_token_hash(&presented))
        .await?
        .ok_or_else(unknown)?;
    store
        .revoke_family(&token.family_id, gymit_shared::time::epoch_seconds())
        .await?;
    let mut response = http::no_content()?;
    cookie::clear(&req, &mut response);
    Ok(response)
}
