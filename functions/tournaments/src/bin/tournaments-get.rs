use gymit_shared::{http, keys::Needs};
use gymit_tournaments::{handlers::get, Tournaments};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Tournaments::from_env(Needs::Nothing).await?;
    http::run("tournaments-get", state, get::handle).await
}
