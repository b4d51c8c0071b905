use gymit_users::{handlers::create, Users};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let state = &*Box::leak(Box::new(Users::from_env().await?));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        create::handle(state, event.payload)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
