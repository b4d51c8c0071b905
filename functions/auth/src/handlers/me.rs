//! `GET /api/auth/me` → `200 {user}` from the auth record.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};

use crate::Auth;

pub async fn handle(state: Arc<Auth>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let account = state
        .store
        .account(&caller.user_id)
        .await?
        .filter(|a| a.is_active)
        .ok_or_else(|| ApiError::unauthenticated("the account no longer exists"))?;
    http::json(200, &serde_json::json!({ "user": account.to_user() }))
}
