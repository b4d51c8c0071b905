//! The user service: profiles and the administration of accounts.
//! Layers: `handlers` → `domain` ← `store`.

pub mod domain;
pub mod handlers;
pub mod store;

use gymit_shared::{
    config,
    keys::{Keys, Needs},
};

use crate::store::UsersStore;

/// What the user functions need, built once per process.
pub struct Users {
    pub store: UsersStore,
    /// The token keys for a protected route, and the cursor key for the listing; nothing
    /// for `users-create`, which another service invokes (each binary says what it [`Needs`]).
    pub keys: Keys,
}

impl Users {
    /// From `USERS_TABLE` and the secrets the function `needs`.
    pub async fn from_env(needs: Needs) -> Result<Self, config::ConfigError> {
        let table = config::required("USERS_TABLE")?;
        Ok(Self {
            store: UsersStore::new(gymit_shared::aws::dynamodb().await, table),
            keys: Keys::from_env(needs).await?,
        })
    }
}
