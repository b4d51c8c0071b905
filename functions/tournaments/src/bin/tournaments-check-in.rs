use gymit_shared::{http, keys::Needs};
use gymit_tournaments::{handlers::check_in, Tournaments};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Tournaments::from_env(Needs::Tokens).await?;
    http::run("tournaments-check-in", state, check_in::myself).await
}
