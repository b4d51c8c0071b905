//! `DELETE /api/users/{id}` (admin) → `204`: deactivates (`is_active: false`); the account can no longer log in.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};

use super::admin;
use crate::{domain::Change, Users};

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    admin::change(&state, &req, Change::Deactivate).await?;
    http::no_content()
}
