//! `GET /api/tournaments/{id}` (anyone) → `200 {tournament}`.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::Tournaments;

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = http::path_param(&req, "id")?;
    let t = state.tournament(&id).await?;
    http::cacheable_json(&json!({ "tournament": t }))
}
