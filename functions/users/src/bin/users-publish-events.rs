#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::events::Publisher::run("users-publish-events", "USER_EVENTS_TOPIC_ARN").await
}
