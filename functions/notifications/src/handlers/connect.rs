//! `$connect` (`notifications-connect`).
//!
//! With `?token=`: the token must verify (the shared verifier: HS256 pinned, required
//! claims), and its account must still be active, not banned, and not have changed its
//! password since the token was issued (read from the auth service's table, as the HTTP
//! API's authorizer does); otherwise the connection is refused with 401 (API.md). The
//! connection records the account's current role.
//!
//! Without a token: an anonymous spectator, bounded per source address: at most
//! `WS_ANONYMOUS_PER_SOURCE` (default 1,000) anonymous connections of one address at a
//! time, so one client cannot open sockets until fan-out starves; one more is refused with
//! 429 (README, "Security"). The connection and the address's slot it takes are written in
//! one transaction, so a failed connect holds no slot.

use std::sync::Arc;

use gymit_shared::{http, metrics, ApiError, Ctx, Request, Response};
use lambda_http::{request::RequestContext, RequestExt};

use crate::{
    accounts::Standing,
    handlers::connection_id,
    store::{Admission, Connection},
    Notifications,
};

/// The source address API Gateway saw (`requestContext.identity.sourceIp`).
fn source_ip(req: &Request) -> String {
    match req.request_context_ref() {
        Some(RequestContext::WebSocket(c)) => c.identity.source_ip.clone(),
        _ => None,
    }
    .filter(|ip| !ip.is_empty())
    .unwrap_or_else(|| "unknown".to_string())
}

pub async fn handle(
    state: Arc<Notifications>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let connection_id = connection_id(&req)?;
    let token = req
        .query_string_parameters_ref()
        .and_then(|q| q.first("token"))
        .map(str::to_string);
    let connection = match token {
        Some(token) => signed_in(&state, connection_id, &token).await?,
        None => anonymous(&state, connection_id, source_ip(&req)).await?,
    };
    tracing::info!(
        connection_id = %connection.connection_id,
        user_id = connection.user_id.as_deref().unwrap_or("anonymous"),
        "connected"
    );
    metrics::count("websocket_connections", 1.0, &[]);
    http::no_content()
}

/// Records the connection of the token's account, with the account's current role.
async fn signed_in(
    state: &Notifications,
    connection_id: String,
    token: &str,
) -> Result<Connection, ApiError> {
    let claims = state.tokens.verify(token)?;
    let permit = state.accounts.breaker.admit()?;
    let standing = match state.accounts.standing(token).await {
        Ok(standing) => {
            permit.succeeded();
            standing
        }
        Err(e) => {
            permit.failed();
            tracing::error!(error = %e, "cannot ask the auth service about the account");
            return Err(ApiError::dependency_unavailable(
                "the account cannot be checked, try again",
            ));
        }
    };
    let role = match standing {
        Standing::Active { role } => role,
        Standing::Refused => {
            return Err(ApiError::unauthenticated(
                "the token's account may not connect",
            ))
        }
    };
    let connection = Connection {
        connection_id,
        user_id: Some(claims.sub),
        role: Some(role),
        connected_at: gymit_shared::time::now_rfc3339(),
        anonymous_source: None,
    };
    state.store.put_connection(&connection).await?;
    Ok(connection)
}

/// Records an anonymous connection of `source` in one of the address's slots; 429 when it
/// holds them all.
async fn anonymous(
    state: &Notifications,
    connection_id: String,
    source: String,
) -> Result<Connection, ApiError> {
    let connection = Connection {
        connection_id,
        user_id: None,
        role: None,
        connected_at: gymit_shared::time::now_rfc3339(),
        anonymous_source: Some(source.clone()),
    };
    match state
        .store
        .put_anonymous_connection(&connection, state.anonymous_per_source)
        .await?
    {
        Admission::Admitted => Ok(connection),
        Admission::SourceFull => {
            tracing::warn!(%source, "anonymous connections per source: cap reached");
            Err(ApiError::rate_limited(60))
        }
    }
}
