use gymit_shared::{http, keys::Needs};
use gymit_tournaments::{handlers::disqualify, Tournaments};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Tournaments::from_env(Needs::Tokens).await?;
    http::run("tournaments-disqualify", state, disqualify::handle).await
}
