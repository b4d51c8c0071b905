//! `users-publish-events`: the users table's stream (filtered to event items) → the
//! `user-events` SNS topic; the one outbox publisher of every service (shared::events).

pub use gymit_shared::events::Publisher;
use gymit_shared::events::StreamEvent;
use serde_json::Value;

pub async fn handle(state: &Publisher, batch: StreamEvent) -> Result<Value, String> {
    state.handle(batch).await
}
