use gymit_shared::{http, keys::Needs};
use gymit_users::{handlers::set_role, Users};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Users::from_env(Needs::Tokens).await?;
    http::run("users-set-role", state, set_role::handle).await
}
