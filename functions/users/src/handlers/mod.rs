//! One module per function; HTTP ones expose `handle(state, request, ctx)`.

pub mod admin;
pub mod approve;
pub mod ban;
pub mod create;
pub mod delete;
pub mod get;
pub mod healthz;
pub mod list;
pub mod me_get;
pub mod me_update;
pub mod publish_events;
pub mod set_role;
pub mod unban;
