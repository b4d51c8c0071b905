use gymit_shared::{keys::Needs, lambda};
use gymit_users::{handlers::create, Users};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    gymit_shared::telemetry::init();
    let state = Users::from_env(Needs::Nothing).await?;
    lambda::run_event("users-create", state, |state, event| async move {
        create::handle(&state, event).await
    })
    .await
}
