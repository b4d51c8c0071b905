//! `GET /api/users/healthz` (no auth): 200 ok, or 503 degraded when the table is unreachable.

use std::sync::Arc;

use gymit_shared::{health::Health, ApiError, Ctx, Request, Response};

pub async fn handle(state: Arc<Health>, _req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    state.respond().await
}
