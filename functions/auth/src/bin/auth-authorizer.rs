use gymit_auth::{handlers::authorizer, Auth};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let Auth { store, tokens } = Auth::from_env().await?;
    let state = &*Box::leak(Box::new(authorizer::Authorizer { store, tokens }));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<_, std::convert::Infallible>(authorizer::handle(state, event.payload).await)
    }))
    .await
}
