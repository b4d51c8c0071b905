//! `GET /api/tournaments/{id}/participants` (anyone) → `200 {items}` in seed order.

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
    let loaded = state.load(&id).await?;
    let items: Vec<_> = loaded.participants().collect();
    http::json(200, &json!({ "items": items }))
}
