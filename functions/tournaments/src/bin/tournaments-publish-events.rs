#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::events::Publisher::run(
        "tournaments-publish-events",
        "TOURNAMENT_EVENTS_TOPIC_ARN",
    )
    .await
}
