//! `PATCH /api/users/me` `{full_name}` → `200 {user}`. Allowed to unapproved accounts.

use std::sync::Arc;

use gymit_shared::{http, identity, time, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use crate::Users;

#[derive(Deserialize)]
struct Body {
    full_name: Option<String>,
}

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let body: Body = http::json_body(&req)?;
    let Some(raw) = body.full_name else {
        return Err(ApiError::bad_request("nothing to change: send full_name"));
    };
    let mut v = Validator::new();
    let full_name = v.text("full_name", &raw, 1, 100);
    v.finish()?;
    let profile = state
        .store
        .set_full_name(&caller.user_id, &full_name, &time::now_rfc3339())
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    http::json(200, &serde_json::json!({ "user": profile.user }))
}
