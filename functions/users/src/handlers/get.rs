//! `GET /api/users/{id}` → `200 {user}`: the full user for the user themselves and for
//! admins; for anyone else only `{id, full_name, role}`. Unknown id: 404.

use std::sync::Arc;

use gymit_shared::{http, identity, user::PublicUser, ApiError, Ctx, Request, Response};

use crate::Users;

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let profile = state
        .store
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    if caller.user_id == id || caller.is_admin() {
        http::json(200, &serde_json::json!({ "user": profile.user }))
    } else {
        http::json(
            200,
            &serde_json::json!({ "user": PublicUser::from(&profile.user) }),
        )
    }
}
