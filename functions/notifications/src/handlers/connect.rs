//! `$connect` (`notifications-connect`): accepts anonymous spectators; with `?token=` the
//! token must verify (the shared verifier: HS256 pinned, required claims), or the
//! connection is refused with 401. Records the connection with the caller's identity.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use lambda_http::RequestExt;

use crate::{handlers::connection_id, store::Connection, Notifications};

pub async fn handle(
    state: Arc<Notifications>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let connection_id = connection_id(&req)?;
    let claims = match req
        .query_string_parameters_ref()
        .and_then(|q| q.first("token"))
    {
        Some(token) => Some(state.tokens.verify(token)?),
        None => None,
    };
    let connection = Connection {
        connection_id,
        user_id: claims.as_ref().map(|c| c.sub.clone()),
        role: claims.map(|c| c.role),
        connected_at: gymit_shared::time::now_rfc3339(),
    };
    state.store.put_connection(&connection).await?;
    tracing::info!(
        connection_id = %connection.connection_id,
        user_id = connection.user_id.as_deref().unwrap_or("anonymous"),
        "connected"
    );
    http::no_content()
}
