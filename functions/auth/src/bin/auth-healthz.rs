use gymit_auth::handlers::healthz;
use gymit_shared::health::Health;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Health::from_env("auth", "AUTH_TABLE").await?;
    gymit_shared::http::run("auth-healthz", state, healthz::handle).await
}
