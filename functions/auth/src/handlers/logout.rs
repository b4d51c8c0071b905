//! `POST /api/auth/logout` `{refresh_token}` → `204`, revoking that token's family. The
//! refresh token is the credential; no access token is needed. An unknown token is 401.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::{domain::refresh_token_hash, Auth};

#[derive(Deserialize)]
struct Body {
    refresh_token: String,
}

pub async fn handle(state: Arc<Auth>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let unknown = || ApiError::unauthenticated("the refresh token is invalid");
    if body.refresh_token.is_empty() || body.refresh_token.len() > 256 {
        return Err(unknown());
    }
    let token = state
        .store
        .refresh_token(&refresh_token_hash(&body.refresh_token))
        .await?
        .ok_or_else(unknown)?;
    state
        .store
        .revoke_family(&token.family_id, gymit_shared::time::epoch_seconds())
        .await?;
    http::no_content()
}
