use gymit_auth::handlers::logout;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    // Only the table: logout signs and verifies nothing, so it never reads the keys.
    let store = gymit_auth::store_from_env().await?;
    gymit_shared::http::run("auth-logout", store, logout::handle).await
}
