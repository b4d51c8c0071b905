use gymit_shared::config;
use gymit_tournaments::handlers::publish_events::{self, Publisher};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let topic_arn = config::required("TOURNAMENT_EVENTS_TOPIC_ARN")?;
    let sns = aws_sdk_sns::Client::new(&gymit_shared::aws::sdk_config().await);
    let state = &*Box::leak(Box::new(Publisher { sns, topic_arn }));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        publish_events::handle(state, event.payload)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
