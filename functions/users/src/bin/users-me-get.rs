use gymit_shared::{http, keys::Needs};
use gymit_users::{handlers::me_get, Users};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Users::from_env(Needs::Tokens).await?;
    http::run("users-me-get", state, me_get::handle).await
}
