use gymit_auth::{handlers::login, Auth};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Auth::from_env().await?;
    gymit_shared::http::run("auth-login", state, login::handle).await
}
