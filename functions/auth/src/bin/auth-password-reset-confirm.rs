use gymit_auth::handlers::password_reset_confirm;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    // Only the table: the code is the credential, so this function never reads the keys.
    let store = gymit_auth::store_from_env().await?;
    gymit_shared::http::run(
        "auth-password-reset-confirm",
        store,
        password_reset_confirm::handle,
    )
    .await
}
