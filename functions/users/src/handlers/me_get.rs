//! `GET /api/users/me` → `200 {user}`.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};

use crate::Users;

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let profile = state
        .store
        .get(&caller.user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    http::json(200, &serde_json::json!({ "user": profile.user }))
}
