use gymit_notifications::{handlers::disconnect, Connections};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Connections::from_env().await?;
    gymit_shared::http::run("notifications-disconnect", state, disconnect::handle).await
}
