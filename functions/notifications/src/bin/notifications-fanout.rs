use gymit_notifications::handlers::fanout::{self, Fanout};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let state = &*Box::leak(Box::new(Fanout::from_env().await?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let report = fanout::handle(state, event.payload)
            .await
            .map_err(lambda_runtime::Error::from)?;
        Ok::<_, lambda_runtime::Error>(serde_json::to_value(report)?)
    }))
    .await
}
