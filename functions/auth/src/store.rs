//! The only code that speaks DynamoDB for the auth table.
//!
//! Access patterns (one table, `pk`/`sk`, TTL attribute `expires_at`):
//! - account by id: `USER#<id>` / `ACCOUNT` (GetItem)
//! - account by email: `EMAIL#<email>` / `EMAIL` → `user_id`, written in the same
//!   transaction as the account so an email is unique even under concurrent registration
//! - refresh token by hash: `REFRESH#<sha256>` / `REFRESH` (TTL 30 days)
//! - revoked refresh-token family: `FAMILY#<id>` / `REVOKED` (TTL 30 days)
//! - failed logins per email: `LOGINFAIL#<email>` / `LOGINFAIL` (TTL: the window)

use std::time::Duration;

use aws_sdk_dynamodb::{
    types::{
        Delete, DeleteRequest, KeysAndAttributes, Put, PutRequest, TransactWriteItem, Update,
        WriteRequest,
    },
    Client,
};
use gymit_shared::{
    batch::{batch_get_all, batch_write_all, BatchError, RESEND_UNPROCESSED},
    dynamo::{from_item, n, s, to_item, transaction_error, Item, StoreError},
    retry::{retry, Attempt, Policy},
};

use crate::domain::{
    Account, LoginFailures, RefreshToken, LOCKOUT_FAILURES, LOCKOUT_WINDOW_SECONDS,
    REFRESH_TOKEN_SECONDS,
};

const ACCOUNT: &str = "ACCOUNT";

/// A registration whose transaction conflicted with another write is tried again: five tries.
const TRANSACTION_CONFLICTS: Policy = Policy::attempts(5, Duration::from_millis(10));

/// Keys a BatchGetItem left unprocessed are asked for again: five tries in all.
const UNPROCESSED_KEYS: Policy = Policy::attempts(5, Duration::from_millis(20));
/// Reserving a login attempt races the other logins of the same email (each success clears
/// the counter the next one was about to add to): tried again, with backoff, a few times.
const LOGIN_RESERVATIONS: Policy = Policy::attempts(8, Duration::from_millis(5));

#[derive(Clone)]
pub struct AuthStore {
    db: Client,
    table: String,
}

fn key(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn account_key(id: &str) -> Item {
    key(format!("USER#{id}"), ACCOUNT)
}

fn email_key(email: &str) -> Item {
    key(format!("EMAIL#{email}"), "EMAIL")
}

fn lockout_key(email: &str) -> Item {
    key(format!("LOGINFAIL#{email}"), "LOGINFAIL")
}

fn refresh_key(hash: &str) -> Item {
    key(format!("REFRESH#{hash}"), "REFRESH")
}

fn family_key(family: &str) -> Item {
    key(format!("FAMILY#{family}"), "REVOKED")
}

/// Why registering an account did not happen.
#[derive(Debug)]
pub enum CreateError {
    EmailTaken,
    Store(StoreError),
}

impl AuthStore {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    pub fn db(&self) -> &Client {
        &self.db
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Writes the account and its email item in one transaction. Concurrent registrations
    /// of one email: exactly one wins; a transaction conflict is retried, and surfaces
    /// (as a busy store) only if it keeps conflicting.
    pub async fn create_account(&self, account: &Account) -> Result<(), CreateError> {
        let mut item = to_item(account).map_err(CreateError::Store)?;
        item.extend(account_key(&account.id));
        let mut email = email_key(&account.email);
        email.insert("user_id".into(), s(&account.id));
        let put_account = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| CreateError::Store(StoreError::Other(e.to_string())))?;
        let put_email = Put::builder()
            .table_name(&self.table)
            .set_item(Some(email))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| CreateError::Store(StoreError::Other(e.to_string())))?;
        retry(&TRANSACTION_CONFLICTS, |_| async {
            let result = self
                .db
                .transact_write_items()
                .transact_items(
                    TransactWriteItem::builder()
                        .put(put_account.clone())
                        .build(),
                )
                .transact_items(TransactWriteItem::builder().put(put_email.clone()).build())
                .send()
                .await;
            match result.map_err(transaction_error) {
                Ok(_) => Ok(Attempt::Done(())),
                Err(StoreError::TransactionCancelled(reasons))
                    if reasons.get(1).map(String::as_str) == Some("ConditionalCheckFailed") =>
                {
                    Err(CreateError::EmailTaken)
                }
                Err(e) if e.is_transaction_conflict() => Ok(Attempt::Retry(CreateError::Store(e))),
                Err(e) => Err(CreateError::Store(e)),
            }
        })
        .await
    }

    /// Removes an account and its email item (the compensation when no profile could be made).
    pub async fn delete_account(&self, account: &Account) -> Result<(), StoreError> {
        let delete = |k: Item| {
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(k))
                        .build()
                        .expect("key set"),
                )
                .build()
        };
        self.db
            .transact_write_items()
            .transact_items(delete(account_key(&account.id)))
            .transact_items(delete(email_key(&account.email)))
            .send()
            .await
            .map_err(transaction_error)?;
        Ok(())
    }

    pub async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(account_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(from_item).transpose()
    }

    /// The account id of an email, if registered.
    pub async fn user_id_by_email(&self, email: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out
            .item
            .and_then(|i| i.get("user_id").and_then(|v| v.as_s().ok()).cloned()))
    }

    /// The items of one BatchGetItem on this table, asking again for the keys DynamoDB left
    /// unprocessed (under throttling it may answer only part): a missing lockout, email or
    /// revocation item must mean "does not exist", never "was not read".
    async fn batch_get(&self, keys: KeysAndAttributes) -> Result<Vec<Item>, StoreError> {
        batch_get_all(&self.db, &self.table, keys, &UNPROCESSED_KEYS)
            .await
            .map_err(|e| match e {
                BatchError::Store(e) => e,
                BatchError::Unprocessed(_) => {
                    StoreError::Other("BatchGetItem left keys unprocessed after 5 attempts".into())
                }
            })
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        match out
            .item
            .and_then(|i| i.get("user_id").and_then(|v| v.as_s().ok()).cloned())
        {
            Some(id) => self.account(&id).await,
            None => Ok(None),
        }
    }

    /// Reserves one password attempt for `email` before the password is verified: one
    /// conditional write either opens a fresh window (count 1) or adds one while fewer than
    /// `LOCKOUT_FAILURES` attempts were made in it. `Err(wait)`: the email is locked for
    /// `wait` seconds. Because the reservation comes first and is atomic, concurrent wrong
    /// passwords cannot all be verified: at most `LOCKOUT_FAILURES` per window are. A
    /// successful attempt clears the counter (`clear_login_failures`), a failed one leaves
    /// its reservation as the counted failure.
    pub async fn reserve_login_attempt(
        &self,
        email: &str,
        now: i64,
    ) -> Result<Result<(), u64>, StoreError> {
        retry(&LOGIN_RESERVATIONS, |_| async {
            let opened = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(lockout_key(email)))
                .update_expression("SET #c = :one, window_start = :now, expires_at = :ends")
                .condition_expression("attribute_not_exists(pk) OR window_start <= :cutoff")
                .expression_attribute_names("#c", "count")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":ends", n(now + LOCKOUT_WINDOW_SECONDS))
                .expression_attribute_values(":cutoff", n(now - LOCKOUT_WINDOW_SECONDS))
                .send()
                .await;
            match opened.map_err(StoreError::from_sdk) {
                Ok(_) => return Ok(Attempt::Done(Ok(()))),
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
            let added = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(lockout_key(email)))
                .update_expression("ADD #c :one")
                .condition_expression(
                    "attribute_exists(pk) AND window_start > :cutoff AND #c < :max",
                )
                .expression_attribute_names("#c", "count")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":max", n(LOCKOUT_FAILURES))
                .expression_attribute_values(":cutoff", n(now - LOCKOUT_WINDOW_SECONDS))
                .send()
                .await;
            match added.map_err(StoreError::from_sdk) {
                Ok(_) => return Ok(Attempt::Done(Ok(()))),
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return Err(e),
            }
            // Full, or the window passed (or the item vanished: a concurrent successful
            // login cleared it) between the two writes.
            let out = self
                .db
                .get_item()
                .table_name(&self.table)
                .set_key(Some(lockout_key(email)))
                .consistent_read(true)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            if let Some(item) = out.item {
                let failures: LoginFailures = from_item(item)?;
                if let Some(wait) = failures.locked_for(now) {
                    return Ok(Attempt::Done(Err(wait)));
                }
            }
            Ok(Attempt::Retry(StoreError::Unavailable(
                "the login attempt could not be reserved".into(),
            )))
        })
        .await
    }

    pub async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        self.db
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(lockout_key(email)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    pub async fn put_refresh_token(
        &self,
        hash: &str,
        token: &RefreshToken,
    ) -> Result<(), StoreError> {
        let mut item = to_item(token)?;
        item.extend(refresh_key(hash));
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// A successful login's two writes in one BatchWriteItem (they are independent): the
    /// email's attempt counter is cleared (as `clear_login_failures`) and the new session's
    /// refresh token stored (as `put_refresh_token`). What DynamoDB leaves unprocessed is
    /// sent again; a remainder fails the login as an unavailable store.
    pub async fn clear_login_failures_and_put_refresh_token(
        &self,
        email: &str,
        hash: &str,
        token: &RefreshToken,
    ) -> Result<(), StoreError> {
        let mut item = to_item(token)?;
        item.extend(refresh_key(hash));
        let other = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Other(e.to_string());
        let clear = DeleteRequest::builder()
            .set_key(Some(lockout_key(email)))
            .build()
            .map_err(other)?;
        let put = PutRequest::builder()
            .set_item(Some(item))
            .build()
            .map_err(other)?;
        let requests = vec![
            WriteRequest::builder().delete_request(clear).build(),
            WriteRequest::builder().put_request(put).build(),
        ];
        Ok(batch_write_all(&self.db, &self.table, requests, &RESEND_UNPROCESSED).await?)
    }

    pub async fn refresh_token(&self, hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(refresh_key(hash)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(from_item).transpose()
    }

    /// The account and whether the token's family is revoked, in one round trip.
    pub async fn account_and_family(
        &self,
        user_id: &str,
        family: &str,
    ) -> Result<(Option<Account>, bool), StoreError> {
        let keys = KeysAndAttributes::builder()
            .keys(account_key(user_id))
            .keys(family_key(family))
            .consistent_read(true)
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let items = self.batch_get(keys).await?;
        let mut account = None;
        let mut revoked = false;
        for item in items {
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(ACCOUNT) => account = Some(from_item(item)?),
                Some("REVOKED") => revoked = true,
                _ => {}
            }
        }
        Ok((account, revoked))
    }

    /// Exchanges a refresh token for a new one of the same family, atomically: the old one
    /// must still be unrotated (two concurrent refreshes with one token: one wins).
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        new: &RefreshToken,
    ) -> Result<bool, StoreError> {
        let mut item = to_item(new)?;
        item.extend(refresh_key(new_hash));
        let result = self
            .db
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&self.table)
                            .set_key(Some(refresh_key(old_hash)))
                            .update_expression("SET rotated = :t")
                            .condition_expression("attribute_exists(pk) AND rotated = :f")
                            .expression_attribute_values(
                                ":t",
                                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
                            )
                            .expression_attribute_values(
                                ":f",
                                aws_sdk_dynamodb::types::AttributeValue::Bool(false),
                            )
                            .build()
                            .map_err(|e| StoreError::Other(e.to_string()))?,
                    )
                    .build(),
            )
            .transact_items(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(item))
                            .build()
                            .map_err(|e| StoreError::Other(e.to_string()))?,
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(transaction_error);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::TransactionCancelled(reasons))
                if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Marks a family revoked at `now`. The marker must outlive every token of the family,
    /// or DynamoDB's TTL would delete it while a newer token of the family still lives and
    /// that token would refresh again: every token of the family was issued before `now`
    /// (no token is issued into a revoked family), so each expires by `now` + the refresh
    /// token lifetime, and so does the marker.
    pub async fn revoke_family(&self, family: &str, now: i64) -> Result<(), StoreError> {
        let mut item = family_key(family);
        item.insert(
            "expires_at".into(),
            n(now.saturating_add(REFRESH_TOKEN_SECONDS)),
        );
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// New password hash; refresh tokens issued before `now_ms` stop working.
    pub async fn set_password(
        &self,
        user_id: &str,
        hash: &str,
        now_ms: i64,
        updated_at: &str,
    ) -> Result<(), StoreError> {
        self.db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(account_key(user_id)))
            .update_expression(
                "SET password_hash = :h, tokens_valid_after_ms = :t, updated_at = :u",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":h", s(hash))
            .expression_attribute_values(":t", n(now_ms))
            .expression_attribute_values(":u", s(updated_at))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Applies the account state of a user event unless the record already reflects that
    /// profile version or a newer one: idempotent and order-safe. `true` if it applied.
    pub async fn apply_user_state(
        &self,
        user: &gymit_shared::user::User,
        version: i64,
    ) -> Result<bool, StoreError> {
        use aws_sdk_dynamodb::types::AttributeValue::Bool;
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(account_key(&user.id)))
            .update_expression(
                "SET profile_version = :v, updated_at = :u, full_name = :n, #r = :r, \
                 is_approved = :a, is_banned = :b, is_active = :act",
            )
            .condition_expression("attribute_exists(pk) AND (attribute_not_exists(profile_version) OR profile_version < :v)")
            .expression_attribute_names("#r", "role")
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":u", s(&user.updated_at))
            .expression_attribute_values(":n", s(&user.full_name))
            .expression_attribute_values(":r", s(user.role.as_str()))
            .expression_attribute_values(":a", Bool(user.is_approved))
            .expression_attribute_values(":b", Bool(user.is_banned))
            .expression_attribute_values(":act", Bool(user.is_active))
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
