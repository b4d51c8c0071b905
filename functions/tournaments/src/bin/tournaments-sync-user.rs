use gymit_shared::lambda;
use gymit_tournaments::{handlers::sync_user, store::TournamentsStore};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    // Only the table: this function signs and verifies nothing, so it never reads the keys.
    let table = gymit_shared::config::required("TOURNAMENTS_TABLE")?;
    let store = TournamentsStore::new(gymit_shared::aws::dynamodb().await, table);
    lambda::run_event("tournaments-sync-user", store, |store, event| async move {
        let applied = sync_user::handle(&store, event).await?;
        Ok::<_, String>(serde_json::json!({ "applied": applied }))
    })
    .await
}
