use gymit_shared::{http, keys::Needs};
use gymit_users::{handlers::delete, Users};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Users::from_env(Needs::Tokens).await?;
    http::run("users-delete", state, delete::handle).await
}
