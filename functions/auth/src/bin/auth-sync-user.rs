use gymit_auth::{handlers::sync_user, store::AuthStore};
use gymit_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    // Only the table: this function signs and verifies nothing, so it never reads the keys.
    let table = gymit_shared::config::required("AUTH_TABLE")?;
    let store = AuthStore::new(gymit_shared::aws::dynamodb().await, table);
    lambda::run_event("auth-sync-user", store, |store, event| async move {
        let applied = sync_user::handle(&store, event).await?;
        Ok::<_, String>(serde_json::json!({ "applied": applied }))
    })
    .await
}
