use gymit_shared::health::Health;
use gymit_users::handlers::healthz;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Health::from_env("users", "USERS_TABLE").await?;
    gymit_shared::http::run("users-healthz", state, healthz::handle).await
}
