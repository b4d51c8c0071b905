use gymit_auth::{handlers::authorizer, Auth};
use gymit_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let Auth { store, tokens } = Auth::from_env().await?;
    let state = authorizer::Authorizer { store, tokens };
    lambda::run_event("auth-authorizer", state, |state, request| async move {
        // An error here is a failure of the authorizer: API Gateway answers 500 and runs no
        // function (failing closed when the auth table cannot be read).
        authorizer::handle(&state, request)
            .await
            .map_err(|_| "the authorizer cannot read the auth table")
    })
    .await
}
