use gymit_notifications::handlers::fanout::{self, Fanout};
use gymit_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let state = Fanout::from_env().await?;
    lambda::run_event("notifications-fanout", state, |state, event| async move {
        let report = fanout::handle(&state, event).await?;
        // As a JSON value (keys sorted): the answer, byte for byte, it has always been.
        serde_json::to_value(report).map_err(|e| e.to_string())
    })
    .await
}
