//! `PUT /api/users/{id}/role` (admin) `{role}` → `200 {user}`. The new role is in the
//! account's next token (and in the authorizer's context at once).

use std::sync::Arc;

use gymit_shared::{http, identity::Role, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use super::admin;
use crate::{domain::Change, Users};

#[derive(Deserialize)]
struct Body {
    role: String,
}

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::json_body(&req)?;
    let role = Role::parse(body.role.trim())
        .ok_or_else(|| ApiError::invalid_field("role", "must be one of member, trainer, admin"))?;
    let profile = admin::change(&state, &req, Change::SetRole(role)).await?;
    http::json(200, &serde_json::json!({ "user": profile.user }))
}
