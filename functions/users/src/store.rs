//! The only code that speaks DynamoDB for the users table.
//!
//! Access patterns (`pk`/`sk`):
//! - profile by id: `USER#<id>` / `PROFILE` (GetItem; create is a conditional Put, so a
//!   retried `users-create` is idempotent)

use aws_sdk_dynamodb::{types::ReturnValue, Client};
use gymit_shared::dynamo::{from_item, s, to_item, Item, StoreError};

use crate::domain::Profile;

#[derive(Clone)]
pub struct UsersStore {
    db: Client,
    table: String,
}

pub(crate) fn profile_key(id: &str) -> Item {
    Item::from([
        ("pk".to_string(), s(format!("USER#{id}"))),
        ("sk".to_string(), s("PROFILE")),
    ])
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

    /// Creates the profile unless it exists; returns the stored one either way.
    pub async fn create(&self, profile: &Profile) -> Result<Profile, StoreError> {
        let mut item = to_item(profile)?;
        item.extend(profile_key(&profile.user.id));
        let put = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match put {
            Ok(_) => Ok(profile.clone()),
            Err(StoreError::ConditionFailed) => self
                .get(&profile.user.id)
                .await?
                .ok_or_else(|| StoreError::Other("profile vanished after a conflict".into())),
            Err(e) => Err(e),
        }
    }

    pub async fn get(&self, id: &str) -> Result<Option<Profile>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(profile_key(id)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(from_item).transpose()
    }

    /// Sets the full name of an existing profile; `None` if there is none.
    pub async fn set_full_name(
        &self,
        id: &str,
        full_name: &str,
        updated_at: &str,
    ) -> Result<Option<Profile>, StoreError> {
        let out = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(profile_key(id)))
            .update_expression("SET full_name = :n, updated_at = :u")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":n", s(full_name))
            .expression_attribute_values(":u", s(updated_at))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match out {
            Ok(out) => out.attributes.map(from_item).transpose(),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
