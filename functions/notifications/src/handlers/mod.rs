//! One module per function; each exposes `handle`.

pub mod connect;
pub mod default;
pub mod disconnect;
pub mod fanout;
pub mod fanout_shard;
pub mod healthz;

use gymit_shared::{ApiError, Request};
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;

/// The WebSocket connection a `$connect`, `$disconnect` or `$default` invocation is about.
pub fn connection_id(req: &Request) -> Result<String, ApiError> {
    match req.request_context_ref() {
        Some(RequestContext::WebSocket(c)) => c.connection_id.clone(),
        _ => None,
    }
    .filter(|id| !id.is_empty())
    .ok_or_else(|| ApiError::bad_request("not a WebSocket API event: no connectionId"))
}
