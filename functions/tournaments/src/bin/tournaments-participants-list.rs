use gymit_shared::{http, keys::Needs};
use gymit_tournaments::{handlers::participants_list, Tournaments};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Tournaments::from_env(Needs::Nothing).await?;
    http::run(
        "tournaments-participants-list",
        state,
        participants_list::handle,
    )
    .await
}
