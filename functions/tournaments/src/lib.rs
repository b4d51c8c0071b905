//! The tournament service: lifecycle, registration, the bracket engine, results and
//! standings. Layers: `handlers` → `domain` + `bracket` (pure) ← `store`.

pub mod bracket;
pub mod domain;
pub mod handlers;
pub mod store;

use gymit_shared::{config, jwt::KeySet, jwt::Tokens, ApiError};

use crate::store::TournamentsStore;

/// What the tournament functions need, built once per process. Only the tournaments
/// table: what the service knows of users is its own projection (`store::Member`).
pub struct Tournaments {
    pub store: TournamentsStore,
    pub tokens: Tokens,
    /// Signs pagination cursors (derived key, see shared::cursor).
    pub cursor_secret: String,
}

impl Tournaments {
    pub fn new(store: TournamentsStore, keys: &KeySet) -> Self {
        Self {
            store,
            tokens: Tokens::from_keys(keys),
            cursor_secret: keys.current.secret.clone(),
        }
    }

    /// From `TOURNAMENTS_TABLE` and the token keys (`JWT_SECRET_ARN` or `JWT_SECRET`).
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let table = config::required("TOURNAMENTS_TABLE")?;
        let keys = gymit_shared::jwt::KeySet::from_env().await?;
        let db = gymit_shared::aws::dynamodb().await;
        Ok(Self::new(TournamentsStore::new(db, table), &keys))
    }
}

impl Tournaments {
    /// Tournament `id` whole (one Query), or 404.
    pub async fn load(&self, id: &str) -> Result<store::Loaded, ApiError> {
        self.store
            .load(id)
            .await?
            .ok_or_else(|| ApiError::not_found("tournament"))
    }

    /// Just tournament `id` (one GetItem), or 404.
    pub async fn tournament(&self, id: &str) -> Result<domain::Tournament, ApiError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| ApiError::not_found("tournament"))
    }
}
