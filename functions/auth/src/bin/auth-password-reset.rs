use gymit_auth::{handlers::password_reset, PasswordReset};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    // The table and SES: the reset request signs and verifies nothing.
    let state = PasswordReset::from_env().await?;
    gymit_shared::http::run("auth-password-reset", state, password_reset::handle).await
}
