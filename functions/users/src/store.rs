//! The only code that speaks DynamoDB for the users table.
//!
//! Access patterns (`pk`/`sk`, TTL `expires_at`, stream NEW_IMAGE for the outbox):
//! - profile by id: `USER#<id>` / `PROFILE` (GetItem). Create is one `TransactWriteItems`
//!   of the Put conditioned on the profile not existing + its `user.created` event, so a
//!   retried `users-create` is idempotent and announces the user once.
//! - admin change: GetItem, then one `TransactWriteItems` = Put of the profile conditioned
//!   on its `version` + the outbox event item (`EVENT#<id>` / `EVENT`, see shared::events).
//! - list newest first: GSI `by_created` (`list_pk` = "USER", `id` = UUID v7, so time
//!   ordered) or, with `?role=`, GSI `by_role` (`role`, `id`); `is_approved` / `is_banned`
//!   are filter expressions on that query. A page is filled by at most a few queries.

use std::collections::HashMap;

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use gymit_shared::{
    dynamo::{from_item, s, to_item, transaction_error, Item, StoreError},
    events::{outbox_put, Event},
    identity::Role,
};

use crate::domain::Profile;

#[derive(Clone)]
pub struct UsersStore {
    db: Client,
    table: String,
}

fn profile_key(id: &str) -> Item {
    Item::from([
        ("pk".to_string(), s(format!("USER#{id}"))),
        ("sk".to_string(), s("PROFILE")),
    ])
}

/// A profile's item, as every write of the service stores it (`gymit-migrate` imports
/// legacy accounts' profiles as this same item, without an event).
pub fn profile_item(profile: &Profile) -> Result<Item, StoreError> {
    let mut item = to_item(profile)?;
    item.extend(profile_key(&profile.user.id));
    item.insert("list_pk".into(), s("USER"));
    Ok(item)
}

/// Why a versioned write did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// Someone else changed the profile since it was read.
    Stale,
    Store(StoreError),
}

/// Filters of the admin listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub role: Option<Role>,
    pub is_approved: Option<bool>,
    pub is_banned: Option<bool>,
}

impl ListFilter {
    /// Binds cursors to the filter they were made for.
    pub fn scope(&self) -> String {
        format!(
            "users:{:?}:{:?}:{:?}",
            self.role, self.is_approved, self.is_banned
        )
    }
}

impl UsersStore {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    pub fn db(&self) -> &Client {
        &self.db
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the profile unless it exists, with its `event` (`user.created`); returns
    /// the stored one either way.
    pub async fn create(&self, profile: &Profile, event: &Event) -> Result<Profile, StoreError> {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(profile_item(profile)?))
            .condition_expression("attribute_not_exists(pk)");
        match self.put_with_event(put, event).await {
            Ok(_) => Ok(profile.clone()),
            Err(StoreError::TransactionCancelled(reasons))
                if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") =>
            {
                self.get(&profile.user.id)
                    .await?
                    .ok_or_else(|| StoreError::Other("profile vanished after a conflict".into()))
            }
            Err(e) => Err(e),
        }
    }

    /// The conditional profile put and its outbox event, in one transaction.
    async fn put_with_event(
        &self,
        put: aws_sdk_dynamodb::types::builders::PutBuilder,
        event: &Event,
    ) -> Result<(), StoreError> {
        let put = put.build().map_err(|e| StoreError::Other(e.to_string()))?;
        self.db
            .transact_write_items()
            .transact_items(
                aws_sdk_dynamodb::types::TransactWriteItem::builder()
                    .put(put)
                    .build(),
            )
            .transact_items(outbox_put(&self.table, event))
            .send()
            .await
            .map_err(transaction_error)?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<Profile>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(profile_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(from_item).transpose()
    }

    /// Writes `profile` (whose `version` is already the new one) if the stored version is
    /// still `read_version`, together with its event, in one transaction.
    pub async fn save(
        &self,
        read_version: u64,
        profile: &Profile,
        event: &Event,
    ) -> Result<(), SaveError> {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(profile_item(profile).map_err(SaveError::Store)?))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(version) OR version = :v)",
            )
            .expression_attribute_values(":v", AttributeValue::N(read_version.to_string()));
        match self.put_with_event(put, event).await {
            Ok(_) => Ok(()),
            Err(StoreError::TransactionCancelled(reasons))
                if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") =>
            {
                Err(SaveError::Stale)
            }
            Err(e) if e.is_transaction_conflict() => Err(SaveError::Stale),
            Err(e) => Err(SaveError::Store(e)),
        }
    }

    /// One page of profiles, newest first, and the key of the last one when more may follow.
    pub async fn list(
        &self,
        filter: &ListFilter,
        limit: usize,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<(Vec<Profile>, Option<Item>), StoreError> {
        let mut found = Vec::new();
        let mut start = start;
        // Filters can leave a query page short: keep reading, a bounded number of times.
        for _ in 0..8 {
            let mut q = self
                .db
                .query()
                .table_name(&self.table)
                .scan_index_forward(false)
                .limit((limit - found.len()) as i32 * 2)
                .set_exclusive_start_key(start.take());
            q = match filter.role {
                Some(role) => q
                    .index_name("by_role")
                    .key_condition_expression("#r = :r")
                    .expression_attribute_names("#r", "role")
                    .expression_attribute_values(":r", s(role.as_str())),
                None => q
                    .index_name("by_created")
                    .key_condition_expression("list_pk = :p")
                    .expression_attribute_values(":p", s("USER")),
            };
            let mut conditions = Vec::new();
            if let Some(a) = filter.is_approved {
                conditions.push("is_approved = :a");
                q = q.expression_attribute_values(":a", AttributeValue::Bool(a));
            }
            if let Some(b) = filter.is_banned {
                conditions.push("is_banned = :b");
                q = q.expression_attribute_values(":b", AttributeValue::Bool(b));
            }
            if !conditions.is_empty() {
                q = q.filter_expression(conditions.join(" AND "));
            }
            let out = q.send().await.map_err(StoreError::from_sdk)?;
            let last = out.last_evaluated_key;
            for item in out.items.unwrap_or_default() {
                if found.len() == limit {
                    break;
                }
                found.push(item);
            }
            if found.len() == limit || last.is_none() {
                let more = found.len() == limit;
                let cursor = more
                    .then(|| found.last().map(|i| list_key(i, filter)))
                    .flatten();
                let profiles = found.into_iter().map(from_item).collect::<Result<_, _>>()?;
                return Ok((profiles, cursor));
            }
            start = last;
        }
        let cursor = found.last().map(|i| list_key(i, filter));
        let profiles = found.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((profiles, cursor))
    }
}

/// The index key of a listed item: where the next page starts.
fn list_key(item: &Item, filter: &ListFilter) -> Item {
    let index_attr = if filter.role.is_some() {
        "role"
    } else {
        "list_pk"
    };
    ["pk", "sk", "id", index_attr]
        .iter()
        .filter_map(|k| Some((k.to_string(), item.get(*k)?.clone())))
        .collect()
}
