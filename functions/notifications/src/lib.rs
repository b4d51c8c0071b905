//! The notification service: WebSocket connections, subscriptions and the fan-out of
//! tournament events. Layers: `handlers` → `messages` (pure) ← `store`; the handlers'
//! other adapters are `accounts` (the auth service's authorizer), `management` (the
//! WebSocket API's `@connections`) and `shards` (the fan-out's shard function).
//!
//! Clients connect to the WebSocket API (`$connect`, optionally with `?token=`), subscribe
//! to tournaments through `$default` messages, and `notifications-fanout` posts every
//! tournament event it receives from SNS to the subscribers through the API's
//! `@connections` management endpoint.
//!
//! Each function's state is built once per process here: `Notifications` (`$connect`),
//! `Connections` (`$default`, `$disconnect`), `Fanout` (`notifications-fanout`) and
//! `Poster` (`notifications-fanout-shard`, and the fan-out's own posting).

pub mod accounts;
pub mod handlers;
pub mod management;
pub mod messages;
pub mod shards;
pub mod store;

use std::time::Duration;

use gymit_shared::{config, jwt::Tokens};

use crate::{
    accounts::Accounts, management::ConnectionsApi, shards::Shards, store::ConnectionsStore,
};

/// Anonymous connections one source address may hold at a time, unless
/// `WS_ANONYMOUS_PER_SOURCE` says otherwise (README, "Security").
pub const DEFAULT_ANONYMOUS_PER_SOURCE: i64 = 1000;

/// Connections one account may hold at a time (API.md), unless `WS_CONNECTIONS_PER_ACCOUNT`
/// says otherwise.
pub const DEFAULT_CONNECTIONS_PER_ACCOUNT: i64 = 5;

/// What `$connect` needs, built once per process: the connections store, the token
/// verifier, the auth service's authorizer (account standings), and the caps of anonymous
/// connections per source address and of connections per account.
pub struct Notifications {
    pub store: ConnectionsStore,
    pub tokens: Tokens,
    pub accounts: Accounts,
    pub anonymous_per_source: i64,
    pub per_account: i64,
}

impl Notifications {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            store: store_from_env().await?,
            tokens: Tokens::from_env().await?,
            accounts: Accounts::new(
                aws_sdk_lambda::Client::new(&gymit_shared::aws::sdk_config().await),
                config::required("AUTH_AUTHORIZER_FUNCTION")?,
            ),
            anonymous_per_source: config::parsed_or(
                "WS_ANONYMOUS_PER_SOURCE",
                DEFAULT_ANONYMOUS_PER_SOURCE,
            )?,
            per_account: config::parsed_or(
                "WS_CONNECTIONS_PER_ACCOUNT",
                DEFAULT_CONNECTIONS_PER_ACCOUNT,
            )?,
        })
    }
}

/// What `$default` and `$disconnect` need: no keys, no other service's table.
pub struct Connections {
    pub store: ConnectionsStore,
}

impl Connections {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            store: store_from_env().await?,
        })
    }
}

/// Posts in flight per invocation (the fan-out's, and each shard's).
pub const POST_CONCURRENCY: usize = 64;

/// Recipients per shard unless `FANOUT_SHARD_SIZE` says otherwise.
pub const DEFAULT_SHARD_SIZE: usize = 250;

/// What posting needs: `@connections`, the connections (to remove gone ones), and how many
/// posts may be in flight at once. `notifications-fanout-shard`'s whole state.
pub struct Poster {
    pub store: ConnectionsStore,
    pub api: ConnectionsApi,
    pub concurrency: usize,
}

impl Poster {
    pub async fn new(store: ConnectionsStore, endpoint: &str, post_timeout: Duration) -> Self {
        Self {
            store,
            api: ConnectionsApi::new(endpoint, post_timeout).await,
            concurrency: POST_CONCURRENCY,
        }
    }

    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let endpoint = config::required("WEBSOCKET_API_ENDPOINT")?;
        let timeout_ms = config::parsed_or("FANOUT_POST_TIMEOUT_MS", 2000u64)?;
        Ok(Self::new(
            store_from_env().await?,
            &endpoint,
            Duration::from_millis(timeout_ms),
        )
        .await)
    }
}

/// `notifications-fanout`'s state: the poster, and the shard function when one is
/// configured (`FANOUT_SHARD_FUNCTION`; without one, every recipient is posted here).
pub struct Fanout {
    pub poster: Poster,
    pub shards: Option<Shards>,
}

impl Fanout {
    /// A fan-out that posts every recipient itself (no shard function).
    pub async fn new(store: ConnectionsStore, endpoint: &str, post_timeout: Duration) -> Self {
        Self {
            poster: Poster::new(store, endpoint, post_timeout).await,
            shards: None,
        }
    }

    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let function = config::or("FANOUT_SHARD_FUNCTION", "");
        let shards = if function.is_empty() {
            None
        } else {
            Some(Shards::new(
                aws_sdk_lambda::Client::new(&gymit_shared::aws::sdk_config().await),
                function,
                config::parsed_or("FANOUT_SHARD_SIZE", DEFAULT_SHARD_SIZE)?,
            ))
        };
        Ok(Self {
            poster: Poster::from_env().await?,
            shards,
        })
    }

    /// Recipients per shard: all of them when there is no shard function.
    pub fn shard_size(&self, recipients: usize) -> usize {
        self.shards.as_ref().map_or(recipients, |s| s.size)
    }
}

impl AsRef<ConnectionsStore> for Notifications {
    fn as_ref(&self) -> &ConnectionsStore {
        &self.store
    }
}

impl AsRef<ConnectionsStore> for Connections {
    fn as_ref(&self) -> &ConnectionsStore {
        &self.store
    }
}

/// The connections store from `CONNECTIONS_TABLE`.
pub async fn store_from_env() -> Result<ConnectionsStore, config::ConfigError> {
    Ok(ConnectionsStore::new(
        gymit_shared::aws::dynamodb().await,
        config::required("CONNECTIONS_TABLE")?,
    ))
}
