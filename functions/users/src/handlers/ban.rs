//! `POST /api/users/{id}/ban` (admin) `{reason?}` → `200 {user}`. The account's logins and
//! tokens stop working as soon as the event reaches the auth service.

use std::sync::Arc;

use gymit_shared::{http, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;

use super::admin;
use crate::{domain::Change, Users};

#[derive(Deserialize)]
struct Body {
    reason: Option<String>,
}

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let body: Body = http::optional_json_body(&req)?;
    let mut v = Validator::new();
    let reason = body
        .reason
        .map(|r| v.text("reason", &r, 0, 500))
        .filter(|r| !r.is_empty());
    v.finish()?;
    let profile = admin::change(&state, &req, Change::Ban { reason }).await?;
    http::json(200, &serde_json::json!({ "user": profile.user }))
}
