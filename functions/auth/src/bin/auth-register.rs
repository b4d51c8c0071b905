use gymit_auth::{handlers::register, Registration};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Registration::from_env().await?;
    gymit_shared::http::run("auth-register", state, register::handle).await
}
