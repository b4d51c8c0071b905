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

/// What `UsersDirectory` reads of a profile.
const PROFILE_PROJECTION: &str = "full_name, is_active, is_banned";

impl UsersDirectory {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    pub async fn member(&self, user_id: &str) -> Result<Option<Member>, StoreError> {
        let (_, key, projection) = self.profile(user_id);
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .projection_expression(projection)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.as_ref().map(Self::member_of))
    }

    /// `user_id`'s profile as (table, key, projection), to read it in another request.
    pub fn profile(&self, user_id: &str) -> (&str, gymit_shared::dynamo::Item, &'static str) {
        let key = gymit_shared::dynamo::Item::from([
            (
                "pk".to_string(),
                AttributeValue::S(format!("USER#{user_id}")),
            ),
            ("sk".to_string(), AttributeValue::S("PROFILE".into())),
        ]);
        (&self.table, key, PROFILE_PROJECTION)
    }

    /// A condition on `user_id`'s profile that holds when `member` would say active:
    /// (table, key, condition, values), for a transaction's ConditionCheck.
    pub fn active_check(
        &self,
        user_id: &str,
    ) -> (
        &str,
        gymit_shared::dynamo::Item,
        &'static str,
        gymit_shared::dynamo::Item,
    ) {
        let (table, key, _) = self.profile(user_id);
        let values =
            gymit_shared::dynamo::Item::from([(":t".to_string(), AttributeValue::Bool(true))]);
        (
            table,
            key,
            "attribute_exists(pk) AND is_active = :t AND (attribute_not_exists(is_banned) OR is_banned <> :t)",
            values,
        )
    }

    /// A profile item as a member.
    pub fn member_of(item: &gymit_shared::dynamo::Item) -> Member {
        let flag = |k: &str| matches!(item.get(k), Some(AttributeValue::Bool(true)));
        Member {
            full_name: match item.get("full_name") {
                Some(AttributeValue::S(n)) => n.clone(),
                _ => String::new(),
            },
            active: flag("is_active") && !flag("is_banned"),
        }
    }
}
