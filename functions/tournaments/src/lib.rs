//! The tournament service: lifecycle, registration, the bracket engine, results and
//! standings. Layers: `handlers` → use cases (`registration`) → `domain` + `bracket` (pure)
//! ← `store`; handlers and domain speak the domain's `Write`s and `Refusal`s, never an SDK
//! type or (in the domain) an HTTP one.

pub mod bracket;
pub mod domain;
pub mod handlers;
pub mod registration;
pub mod store;

use gymit_shared::{config, events::Event, jwt::KeySet, jwt::Tokens, ApiError};
use serde_json::Value;

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
            .ok_or_else(|| domain::Refusal::NotFound(domain::Missing::Tournament).into())
    }

    /// Just tournament `id` (one GetItem), or 404.
    pub async fn tournament(&self, id: &str) -> Result<domain::Tournament, ApiError> {
        self.store
            .get(id)
            .await?
            .ok_or_else(|| domain::Refusal::NotFound(domain::Missing::Tournament).into())
    }
}

/// A tournament event for the outbox.
pub fn event(event_type: &str, tournament_id: &str, data: Value) -> Event {
    Event::new(event_type, "tournament_id", tournament_id, data)
}

/// What a write that kept losing to other writes answers.
pub fn busy() -> ApiError {
    ApiError::dependency_unavailable("the tournament is busy, try again")
}
