use gymit_shared::{http, keys::Needs};
use gymit_tournaments::{handlers::waitlist_leave, Tournaments};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    gymit_shared::telemetry::init();
    let state = Tournaments::from_env(Needs::Tokens).await?;
    http::run("tournaments-waitlist-leave", state, waitlist_leave::handle).await
}
