//! The notification service: WebSocket connections, subscriptions and the fan-out of
//! tournament events. Layers: `handlers` → `messages` (pure) ← `store`.
//!
//! Clients connect to the WebSocket API (`$connect`, optionally with `?token=`), subscribe
//! to tournaments through `$default` messages, and `notifications-fanout` posts every
//! tournament event it receives from SNS to the subscribers through the API's
//! `@connections` management endpoint.

pub mod handlers;
pub mod messages;
pub mod store;

use gymit_shared::{config, jwt::Tokens};

use crate::store::ConnectionsStore;

/// What the WebSocket route functions need, built once per process.
pub struct Notifications {
    pub store: ConnectionsStore,
    pub tokens: Tokens,
}

impl Notifications {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            store: store_from_env().await?,
            tokens: Tokens::from_env()?,
        })
    }
}

/// The connections store from `CONNECTIONS_TABLE` and `TOURNAMENTS_TABLE`.
pub async fn store_from_env() -> Result<ConnectionsStore, config::ConfigError> {
    Ok(ConnectionsStore::new(
        gymit_shared::aws::dynamodb().await,
        config::required("CONNECTIONS_TABLE")?,
        config::required("TOURNAMENTS_TABLE")?,
    ))
}
