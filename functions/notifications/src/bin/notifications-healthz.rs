use gymit_notifications::handlers::healthz;
use gymit_shared::health::Health;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Health::from_env("notifications", "CONNECTIONS_TABLE").await?;
    gymit_shared::http::run("notifications-healthz", state, healthz::handle).await
}
