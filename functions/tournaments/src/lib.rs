//! The tournament service: lifecycle, registration, the bracket engine, results and
//! standings. Layers: `handlers` → use cases (`registration`) → `domain` + `bracket` (pure)
//! ← `store`; handlers and domain speak the domain's `Write`s and `Refusal`s, never an SDK
//! type or (in the domain) an HTTP one.

pub mod bracket;
pub mod domain;
pub mod handlers;
pub mod reads;
pub mod registration;
pub mod store;

use gymit_shared::{
    config,
    events::Event,
    keys::{Keys, Needs},
    ApiError,
};
use serde_json::Value;

use crate::store::TournamentsStore;

/// What the tournament functions need, built once per process. Only the tournaments
/// table: what the service knows of users is its own projection (`store::Member`).
pub struct Tournaments {
    pub store: TournamentsStore,
    /// The token keys for a protected route, the cursor key for the listing, nothing for
    /// the other public reads (each binary says what it [`Needs`]).
    pub keys: Keys,
    /// The tournaments this instance loaded for the public reads (`reads`).
    pub loads: reads::Loads,
}

impl Tournaments {
    pub fn new(store: TournamentsStore, keys: Keys) -> Self {
        Self {
            store,
            keys,
            loads: reads::Loads::default(),
        }
    }

    /// From `TOURNAMENTS_TABLE` and the secrets the function `needs`.
    pub async fn from_env(needs: Needs) -> Result<Self, config::ConfigError> {
        let table = config::required("TOURNAMENTS_TABLE")?;
        let keys = Keys::from_env(needs).await?;
        let db = gymit_shared::aws::dynamodb().await;
        Ok(Self::new(TournamentsStore::new(db, table), keys))
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

    /// Tournament `id` whole as it is now, for a public read: this instance's copy while
    /// its version is current (one GetItem), else loaded (one GetItem, one Query); or 404.
    pub async fn current(&self, id: &str) -> Result<std::sync::Arc<store::Loaded>, ApiError> {
        self.loads
            .current(&self.store, id)
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
