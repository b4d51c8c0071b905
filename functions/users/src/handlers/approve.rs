//! `POST /api/users/{id}/approve` (admin) → `200 {user}`.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};

use super::admin;
use crate::{domain::Change, Users};

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let profile = admin::change(&state, &req, Change::Approve).await?;
    http::json(200, &serde_json::json!({ "user": profile.user }))
}
