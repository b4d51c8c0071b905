//! What every admin route shares: check the caller, read the target, check the rules,
//! write the change and its event in one transaction (retried when another write won).

use std::time::Duration;

use gymit_shared::{
    events::Event,
    http,
    identity::{self, Role},
    retry::{retry, Attempt, Policy},
    time, ApiError, Request,
};

use crate::{
    domain::{Change, Profile},
    store::SaveError,
    Users,
};

/// A profile write that lost to another one is read, checked and written again: four tries.
pub const STALE_SAVES: Policy = Policy::attempts(4, Duration::from_millis(10));

/// Applies `change` to the user named by the `{id}` path parameter; returns the new profile.
pub async fn change(state: &Users, req: &Request, change: Change) -> Result<Profile, ApiError> {
    let caller = identity::caller(req, state.keys.tokens()?)?;
    caller.require_role(&[Role::Admin])?;
    let id = http::path_param(req, "id")?;
    retry(&STALE_SAVES, |_| async {
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
                Ok(Attempt::Done(profile))
            }
            Err(SaveError::Stale) => Ok(Attempt::Retry(ApiError::dependency_unavailable(
                "the account is being changed concurrently, try again",
            ))),
            Err(SaveError::Store(e)) => Err(e.into()),
        }
    })
    .await
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
