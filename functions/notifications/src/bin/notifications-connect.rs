use gymit_notifications::{handlers::connect, Notifications};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Notifications::from_env().await?;
    gymit_shared::http::run("notifications-connect", state, connect::handle).await
}
