//! What every admin route shares: check the caller, read the target, check the rules,
//! write the change and its event in one transaction (retried when another write won).

use gymit_shared::{
    events::Event,
    http,
    identity::{self, Role},
    time, ApiError, Request,
};

use crate::{
    domain::{Change, Profile},
    store::SaveError,
    Users,
};

/// Applies `change` to the user named by the `{id}` path parameter; returns the new profile.
pub async fn change(state: &Users, req: &Request, change: Change) -> Result<Profile, ApiError> {
    let caller = identity::caller(req, &state.tokens)?;
    caller.require_role(&[Role::Admin])?;
    let id = http::path_param(req, "id")?;
    for attempt in 0..4 {
        let mut profile = state
            .store
            .get(&id)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        change.permitted(&caller, &profile.user)?;
        let read_version = profile.version;
        change.apply(&mut profile);
        profile.version = read_version + 1;
        profile.user.updated_at = time::now_rfc3339();
        let event = user_event(change.event_type(), &profile);
        match state.store.save(read_version, &profile, &event).await {
            Ok(()) => {
                tracing::info!(target_user = %id, admin = %caller.user_id, event_type = change.event_type(), "account changed");
                return Ok(profile);
            }
            Err(SaveError::Stale) => {
                tokio::time::sleep(gymit_shared::retry::jittered(10, attempt)).await
            }
            Err(SaveError::Store(e)) => return Err(e.into()),
        }
    }
    Err(ApiError::dependency_unavailable(
        "the account is being changed concurrently, try again",
    ))
}

/// The event announcing a profile's new state: the whole user, and its version, which
/// consumers use to ignore an older event that arrives late.
pub fn user_event(event_type: &str, profile: &Profile) -> Event {
    Event::new(
        event_type,
        "user_id",
        &profile.user.id,
        serde_json::json!({ "user": profile.user, "version": profile.version }),
    )
}
