use gymit_shared::{http, keys::Needs};
use gymit_users::{handlers::list, Users};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Users::from_env(Needs::TokensAndCursors).await?;
    http::run("users-list", state, list::handle).await
}
