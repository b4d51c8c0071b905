use gymit_auth::{handlers::authorizer, Auth};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let Auth { store, tokens } = Auth::from_env().await?;
    let state = &*Box::leak(Box::new(authorizer::Authorizer { store, tokens }));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        // An error here is a failure of the authorizer: API Gateway answers 500 and runs no
        // function (failing closed when the auth table cannot be read).
        authorizer::handle(state, event.payload)
            .await
            .map_err(|_| lambda_runtime::Error::from("the authorizer cannot read the auth table"))
    }))
    .await
}
