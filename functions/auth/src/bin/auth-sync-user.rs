use gymit_auth::handlers::sync_user;
use gymit_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    // Only the table: this function signs and verifies nothing, so it never reads the keys.
    let store = gymit_auth::store_from_env().await?;
    lambda::run_event("auth-sync-user", store, |store, event| async move {
        let applied = sync_user::handle(&store, event).await?;
        Ok::<_, String>(serde_json::json!({ "applied": applied }))
    })
    .await
}
