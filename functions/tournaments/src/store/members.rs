//! The members projection: what the tournament service keeps of each user, so it never
//! reads the user service's table (DESIGN.md: a service that needs another's data keeps a
//! small projection of it, fed by that service's events). `tournaments-sync-user` applies
//! every `user.*` event of the `user-events` topic here.
//!
//! Item `pk = MEMBER#<user id>`, `sk = MEMBER`: `full_name`, `active` (the account is
//! active and not banned: whom an owner may add to a tournament) and `version` (the
//! profile's, so an older event that arrives late never overwrites a newer one). Members
//! carry neither `kind` nor `start_key`, so the stream filter and the listing indexes never
//! see them.

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Get, TransactGetItem, TransactWriteItem,
};
use gymit_shared::{
    dynamo::{n, s, Item, StoreError},
    user::User,
};

use super::{build, TournamentsStore};

/// What the tournament service knows of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub full_name: String,
    /// Active and not banned.
    pub active: bool,
}

impl Member {
    pub fn of(user: &User) -> Self {
        Self {
            full_name: user.full_name.clone(),
            active: user.is_active && !user.is_banned,
        }
    }

    pub(super) fn from_item(item: &Item) -> Self {
        Self {
            full_name: match item.get("full_name") {
                Some(AttributeValue::S(name)) => name.clone(),
                _ => String::new(),
            },
            active: matches!(item.get("active"), Some(AttributeValue::Bool(true))),
        }
    }
}

pub(super) fn member_key(user_id: &str) -> Item {
    Item::from([
        ("pk".to_string(), s(format!("MEMBER#{user_id}"))),
        ("sk".to_string(), s("MEMBER")),
    ])
}

impl TournamentsStore {
    /// What the service knows of `user_id` (one strongly consistent GetItem).
    pub async fn member(&self, user_id: &str) -> Result<Option<Member>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(member_key(user_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.as_ref().map(Member::from_item))
    }

    /// What the service knows of each of `user_ids` (at most 100: one TransactGetItems),
    /// in their order.
    pub async fn members(&self, user_ids: &[String]) -> Result<Vec<Option<Member>>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.db.transact_get_items();
        for u in user_ids {
            tx = tx.transact_items(TransactGetItem::builder().get(self.member_get(u)?).build());
        }
        let out = tx.send().await.map_err(StoreError::from_sdk)?;
        Ok(out
            .responses
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.item.as_ref().map(Member::from_item))
            .collect())
    }

    /// The member item of `user` as of profile `version` (what `apply_member` writes, and
    /// what `gymit-migrate` imports for each account).
    pub fn member_item(user: &User, version: i64) -> Item {
        let member = Member::of(user);
        let mut item = member_key(&user.id);
        item.insert("full_name".into(), s(&member.full_name));
        item.insert("active".into(), AttributeValue::Bool(member.active));
        item.insert("version".into(), n(version));
        item
    }

    /// Records `user` as of profile `version`, unless a newer or the same version is
    /// already there. Returns whether the projection changed.
    pub async fn apply_member(&self, user: &User, version: i64) -> Result<bool, StoreError> {
        let item = Self::member_item(user, version);
        let put = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR version < :v")
            .expression_attribute_values(":v", n(version))
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match put {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The read of `user_id`'s member item, for a TransactGetItems beside META.
    pub(super) fn member_get(&self, user_id: &str) -> Result<Get, StoreError> {
        build(
            Get::builder()
                .table_name(&self.table)
                .set_key(Some(member_key(user_id)))
                .build(),
        )
    }

    /// A transaction's check that `user_id` is a known, active member.
    pub(super) fn member_active_check(
        &self,
        user_id: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let check = build(
            ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(member_key(user_id)))
                .condition_expression("attribute_exists(pk) AND active = :t")
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .build(),
        )?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }
}
