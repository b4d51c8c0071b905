//! The user service: profiles and the administration of accounts.
//! Layers: `handlers` → `domain` ← `store`.

pub mod domain;
pub mod handlers;
pub mod store;

use gymit_shared::{config, jwt::Tokens};

use crate::store::UsersStore;

/// What the user functions need, built once per process.
pub struct Users {
    pub store: UsersStore,
    pub tokens: Tokens,
    /// Signs pagination cursors (derived key, see shared::cursor).
    pub cursor_secret: String,
}

impl Users {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let table = config::required("USERS_TABLE")?;
        let keys = gymit_shared::jwt::KeySet::from_env().await?;
        Ok(Self {
            store: UsersStore::new(gymit_shared::aws::dynamodb().await, table),
            tokens: Tokens::from_keys(&keys),
            cursor_secret: keys.current.secret,
        })
    }
}
