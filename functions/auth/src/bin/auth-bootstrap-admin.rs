use gymit_auth::{handlers::bootstrap_admin, Registration};
use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let root = bootstrap_admin::RootAdmin::from_env().await?;
    let state = &*Box::leak(Box::new(Registration::from_env().await?));
    let root = &*Box::leak(Box::new(root));
    lambda_runtime::run(service_fn(move |_: LambdaEvent<Value>| async move {
        bootstrap_admin::handle(state, root)
            .await
            .map_err(lambda_runtime::Error::from)
    }))
    .await
}
