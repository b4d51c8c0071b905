//! `$disconnect` (`notifications-disconnect`): removes the connection, its subscriptions
//! and, for an anonymous one, the source address's slot it held (one Query, one batch of
//! deletes). API Gateway sends it at most once and on a best-effort basis, so the items
//! also expire on their own (see `store`); a repeated one finds nothing to delete.

use std::sync::Arc;

use gymit_shared::{http, metrics, ApiError, Ctx, Request, Response};

use crate::{handlers::connection_id, store::ConnectionsStore};

/// `S` is `Connections` in the deployed function (no keys, no other service's table).
pub async fn handle<S: AsRef<ConnectionsStore>>(
    state: Arc<S>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let connection_id = connection_id(&req)?;
    let deleted = (*state).as_ref().remove_connection(&connection_id).await?;
    tracing::info!(%connection_id, deleted, "disconnected");
    if deleted > 0 {
        metrics::count("websocket_connections", -1.0, &[]);
    }
    http::no_content()
}
