use gymit_tournaments::{handlers::sync_user, store::TournamentsStore};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    // Only the table: this function signs and verifies nothing, so it never reads the keys.
    let table = gymit_shared::config::required("TOURNAMENTS_TABLE")?;
    let store = std::sync::Arc::new(TournamentsStore::new(
        gymit_shared::aws::dynamodb().await,
        table,
    ));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let store = store.clone();
        async move {
            let applied = sync_user::handle(&store, event.payload)
                .await
                .map_err(lambda_runtime::Error::from)?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({ "applied": applied }))
        }
    }))
    .await
}
