//! One module per function; HTTP ones expose `handle(state, request, ctx)`.

pub mod create;
pub mod get;
pub mod healthz;
pub mod me_get;
pub mod me_update;
