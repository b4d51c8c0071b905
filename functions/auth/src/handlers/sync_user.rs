//! `auth-sync-user` (SNS `user-events`): applies `user.approved`, `user.banned`,
//! `user.unbanned`, `user.role_changed`, `user.deactivated` and `user.profile_updated` to
//! the auth record, so logins, refreshes and the authorizer honour them. Idempotent and
//! order-safe: each event carries the profile's version, and a record that already
//! reflects that version or a newer one is left alone.

use gymit_shared::{
    events::{sns_messages, SnsEvent},
    user::User,
};

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
    for e in sns_messages(&event) {
        if !APPLIED.contains(&e.event_type.as_str()) {
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
            .apply_user_state(&user, version)
            .await
            .map_err(|err| err.to_string())?;
        tracing::info!(event_id = %e.event_id, event_type = %e.event_type, user_id = %user.id, changed, "user event");
        applied += usize::from(changed);
    }
    Ok(applied)
}
