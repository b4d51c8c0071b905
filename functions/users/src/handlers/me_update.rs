//! `PATCH /api/users/me` `{full_name}` → `200 {user}`. Allowed to unapproved accounts. The
//! change is announced (`user.profile_updated`) so the auth record follows.

use std::sync::Arc;

use gymit_shared::{
    http, identity,
    retry::{retry, Attempt},
    time,
    validate::Validator,
    ApiError, Ctx, Request, Response,
};
use serde::Deserialize;

use super::admin::{user_event, STALE_SAVES};
use crate::{store::SaveError, Users};

#[derive(Deserialize)]
struct Body {
    full_name: Option<String>,
}

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let body: Body = http::json_body(&req)?;
    let Some(raw) = body.full_name else {
        return Err(ApiError::bad_request("nothing to change: send full_name"));
    };
    let mut v = Validator::new();
    let full_name = v.text("full_name", &raw, 1, 100);
    v.finish()?;
    let profile = retry(&STALE_SAVES, |_| async {
        let mut profile = state
            .store
            .get(&caller.user_id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let read_version = profile.version;
        profile.user.full_name = full_name.clone();
        profile.user.updated_at = time::now_rfc3339();
        profile.version += 1;
        let event = user_event("user.profile_updated", &profile);
        match state.store.save(read_version, &profile, &event).await {
            Ok(()) => Ok(Attempt::Done(profile)),
            Err(SaveError::Stale) => Ok(Attempt::Retry(ApiError::dependency_unavailable(
                "the profile is being changed concurrently, try again",
            ))),
            Err(SaveError::Store(e)) => Err(e.into()),
        }
    })
    .await?;
    http::json(200, &serde_json::json!({ "user": profile.user }))
}
