use gymit_auth::{
    handlers::bootstrap_admin::{self, Bootstrap, RootAdmin},
    Registration,
};
use gymit_shared::lambda;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let root = RootAdmin::from_env().await?;
    let registration = Registration::from_env().await?;
    lambda::run_event(
        "auth-bootstrap-admin",
        (registration, root),
        |state, _: Bootstrap| async move {
            let (registration, root) = &*state;
            bootstrap_admin::handle(registration, root).await
        },
    )
    .await
}
