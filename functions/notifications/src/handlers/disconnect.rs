//! `$disconnect` (`notifications-disconnect`): removes the connection and its
//! subscriptions. API Gateway sends it at most once and on a best-effort basis, so the
//! items also expire on their own (see `store`).

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};

use crate::{handlers::connection_id, Notifications};

pub async fn handle(
    state: Arc<Notifications>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let connection_id = connection_id(&req)?;
    let deleted = state.store.remove_connection(&connection_id).await?;
    tracing::info!(%connection_id, deleted, "disconnected");
    http::no_content()
}
