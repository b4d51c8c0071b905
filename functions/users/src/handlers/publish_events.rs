//! `users-publish-events`: the users table's stream (filtered to event items) → the
//! `user-events` SNS topic; the one outbox publisher of every service (shared::events).

pub use gymit_shared::events::Publisher;
use serde_json::Value;

pub async fn handle(state: &Publisher, batch: Value) -> Result<Value, String> {
    state.handle(batch).await
}
