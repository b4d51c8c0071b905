//! The tournament service: lifecycle, registration, the bracket engine, results and
//! standings. Layers: `handlers` → `domain` + `bracket` (pure) ← `store`.

pub mod bracket;
pub mod domain;
pub mod handlers;
pub mod store;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use gymit_shared::{config, dynamo::StoreError, jwt::Tokens, ApiError};

use crate::store::TournamentsStore;

/// What the tournament functions need, built once per process.
pub struct Tournaments {
    pub store: TournamentsStore,
    pub tokens: Tokens,
    /// Signs pagination cursors (derived key, see shared::cursor).
    pub cursor_secret: String,
    pub users: UsersDirectory,
}

impl Tournaments {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let table = config::required("TOURNAMENTS_TABLE")?;
        let users_table = config::required("USERS_TABLE")?;
        let keys = config::jwt_keys().await?;
        let db = gymit_shared::aws::dynamodb().await;
        Ok(Self {
            store: TournamentsStore::new(db.clone(), table),
            tokens: Tokens::from_keys(&keys),
            cursor_secret: keys.current.secret,
            users: UsersDirectory {
                db,
                table: users_table,
            },
        })
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

/// Read-only look-ups of profiles in the user service's table (the template grants only
/// `dynamodb:GetItem` on it): a participant added by `user_id` must be an existing, active
/// user, and a self-join takes the member's name from their profile.
pub struct UsersDirectory {
    db: Client,
    table: String,
}

/// What the tournament service needs to know of a user.
#[derive(Debug, Clone)]
pub struct Member {
    pub full_name: String,
    pub active: bool,
}

impl UsersDirectory {
    pub async fn member(&self, user_id: &str) -> Result<Option<Member>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("USER#{user_id}")))
            .key("sk", AttributeValue::S("PROFILE".into()))
            .projection_expression("full_name, is_active, is_banned")
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.map(|item| {
            let flag = |k: &str| matches!(item.get(k), Some(AttributeValue::Bool(true)));
            Member {
                full_name: match item.get("full_name") {
                    Some(AttributeValue::S(n)) => n.clone(),
                    _ => String::new(),
                },
                active: flag("is_active") && !flag("is_banned"),
            }
        }))
    }
}
