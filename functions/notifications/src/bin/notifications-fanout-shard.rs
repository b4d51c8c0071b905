use gymit_notifications::handlers::{fanout::Poster, fanout_shard};
use gymit_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let state = Poster::from_env().await?;
    lambda::run_event(
        "notifications-fanout-shard",
        state,
        |state, job| async move { Ok::<_, String>(fanout_shard::handle(&state, job).await) },
    )
    .await
}
