//! `GET /api/tournaments` (anyone) `?status=&limit=&cursor=` → newest start date first,
//! `{items, next_cursor}`.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::{domain::Status, store::ListFilter, Tournaments};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let limit = http::page_limit(&req)?;
    let status = match http::query_param(&req, "status") {
        None => None,
        Some(s) => Some(Status::parse(&s).ok_or_else(|| {
            ApiError::invalid_field(
                "status",
                "must be one of registration_open, in_progress, completed, cancelled",
            )
        })?),
    };
    let filter = ListFilter { status };
    let cursors = state.keys.cursors()?;
    let start = http::page_cursor(&req)
        .map(|c| cursors.decode(&filter.scope(), &c))
        .transpose()?;
    let (items, last) = state.store.list(&filter, limit as usize, start).await?;
    let next_cursor = last.map(|k| cursors.encode(&filter.scope(), &k));
    http::json(200, &json!({ "items": items, "next_cursor": next_cursor }))
}
