use gymit_shared::health::Health;
use gymit_tournaments::handlers::healthz;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Health::from_env("tournaments", "TOURNAMENTS_TABLE").await?;
    gymit_shared::http::run("tournaments-healthz", state, healthz::handle).await
}
