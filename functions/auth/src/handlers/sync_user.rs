//! `auth-sync-user` (SNS `user-events`): applies `user.approved`, `user.banned`,
//! `user.unbanned`, `user.role_changed`, `user.deactivated` and `user.profile_updated` to
//! the auth record, so logins, refreshes and the authorizer honour them. Idempotent and
//! order-safe: each event carries the profile's version, and a record that already
//! reflects that version or a newer one is left alone.

use gymit_shared::{events::SnsEvent, user::user_states};

use crate::store::AuthStore;

const APPLIED: [&str; 6] = [
    "user.approved",
    "user.banned",
    "user.unbanned",
    "user.role_changed",
    "user.deactivated",
    "user.profile_updated",
];

/// Returns how many events changed a record. A store failure fails the invocation, so the
/// delivery is retried.
pub async fn handle(store: &AuthStore, event: SnsEvent) -> Result<usize, String> {
    let mut applied = 0;
    for s in user_states(&event, |t| APPLIED.contains(&t)) {
        let changed = store
            .apply_user_state(&s.user, s.version)
            .await
            .map_err(|err| err.to_string())?;
        tracing::info!(event_id = %s.event.event_id, event_type = %s.event.event_type, user_id = %s.user.id, changed, "user event");
        applied += usize::from(changed);
    }
    Ok(applied)
}
