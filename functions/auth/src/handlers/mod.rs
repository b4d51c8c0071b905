//! One module per function; HTTP ones expose `handle(state, request, ctx)`.

pub mod authorizer;
pub mod bootstrap_admin;
pub mod healthz;
pub mod login;
pub mod logout;
pub mod me;
pub mod password;
pub mod password_reset;
pub mod password_reset_confirm;
pub mod refresh;
pub mod register;
pub mod sync_user;
