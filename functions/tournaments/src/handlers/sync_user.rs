//! `tournaments-sync-user` (SNS `user-events`): keeps the members projection (`store::Member`:
//! a user's name, and whether they are active and not banned) in step with the user
//! service, from every `user.*` event (`user.created` onwards). Idempotent and order-safe:
//! each event carries the profile's version, and a member already at that version or a
//! newer one is left alone.

use gymit_shared::{events::sns_messages, user::User};
use serde_json::Value;

use crate::store::TournamentsStore;

/// Returns how many events changed a member. A store failure fails the invocation, so the
/// delivery is retried (and, after SNS's retries, parked in the function's dead-letter
/// queue).
pub async fn handle(store: &TournamentsStore, event: Value) -> Result<usize, String> {
    let mut applied = 0;
    for e in sns_messages(&event) {
        if !e.event_type.starts_with("user.") {
            continue;
        }
        let (Some(user), Some(version)) = (
            serde_json::from_value::<User>(e.data["user"].clone()).ok(),
            e.data["version"].as_i64(),
        ) else {
            tracing::warn!(event_id = %e.event_id, "user event without a user and version: skipped");
            continue;
        };
        let changed = store
            .apply_member(&user, version)
            .await
            .map_err(|err| err.to_string())?;
        tracing::info!(event_id = %e.event_id, event_type = %e.event_type, user_id = %user.id, changed, "user event");
        applied += usize::from(changed);
    }
    Ok(applied)
}
