#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    gymit_shared::http::run("api-default", (), gymit_api::handle).await
}
