use gymit_shared::{http, keys::Needs};
use gymit_tournaments::{handlers::list, Tournaments};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Tournaments::from_env(Needs::Cursors).await?;
    http::run("tournaments-list", state, list::handle).await
}
