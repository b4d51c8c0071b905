//! `tournaments-sync-user` (SNS `user-events`): keeps the members projection (`store::Member`:
//! a user's name, and whether they are active and not banned) in step with the user
//! service, from every `user.*` event (`user.created` onwards). Idempotent and order-safe:
//! each event carries the profile's version, and a member already at that version or a
//! newer one is left alone.

use gymit_shared::{events::SnsEvent, user::user_states};

use crate::store::TournamentsStore;

/// Returns how many events changed a member. A store failure fails the invocation, so the
/// delivery is retried (and, after SNS's retries, parked in the function's dead-letter
/// queue).
pub async fn handle(store: &TournamentsStore, event: SnsEvent) -> Result<usize, String> {
    let mut applied = 0;
    for s in user_states(&event, |t| t.starts_with("user.")) {
        let changed = store
            .apply_member(&s.user, s.version)
            .await
            .map_err(|err| err.to_string())?;
        tracing::info!(event_id = %s.event.event_id, event_type = %s.event.event_type, user_id = %s.user.id, changed, "user event");
        applied += usize::from(changed);
    }
    Ok(applied)
}
