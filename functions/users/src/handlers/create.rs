//! `users-create` (no route): invoked by `auth-register` and `auth-bootstrap-admin` through
//! the Lambda Invoke API with `{user, correlation_id}`; answers `{user}`. Idempotent: a
//! retried call with the same id returns the existing profile without a duplicate, and
//! the `user.created` event (which other services' projections start from) goes out once.

use gymit_shared::user::User;
use serde::Deserialize;
use serde_json::{json, Value};
use tracing::Instrument;

use crate::{domain::Profile, handlers::admin::user_event, Users};

/// What `users-create` is invoked with.
#[derive(Debug, Clone, Deserialize)]
pub struct NewProfile {
    pub user: User,
    #[serde(default)]
    pub correlation_id: Option<String>,
}

pub async fn handle(state: &Users, event: NewProfile) -> Result<Value, String> {
    let span = tracing::info_span!(
        "users-create",
        correlation_id = event.correlation_id.as_deref().unwrap_or("")
    );
    let profile = Profile {
        user: event.user,
        ban_reason: None,
        version: 1,
    };
    let created = user_event("user.created", &profile);
    let stored = state
        .store
        .create(&profile, &created)
        .instrument(span.clone())
        .await
        .map_err(|e| {
            tracing::error!(parent: &span, error = %e, "cannot create profile");
            "the profile could not be stored".to_string()
        })?;
    tracing::info!(parent: &span, user_id = %stored.user.id, "profile ready");
    Ok(json!({ "user": stored.user }))
}
