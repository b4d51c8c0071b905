//! The only code that speaks DynamoDB for the auth table.
//!
//! Access patterns (one table, `pk`/`sk`, TTL attribute `expires_at`):
//! - account by id: `USER#<id>` / `ACCOUNT` (GetItem)
//! - account by email, the *login item*: `EMAIL#<email>` / `EMAIL` → `user_id`, a copy of
//!   the account, and the email's failed-login window (`login_failures`, `failures_since`).
//!   Written in the same transaction as the account (so an email is unique even under
//!   concurrent registration), and every later change of the account changes both in one
//!   transaction. It lets login reserve its attempt and read the account in one UpdateItem,
//!   and start the session (clear the failures, store the refresh token) in one
//!   TransactWriteItems: two round trips.
//! - refresh token by hash: `REFRESH#<sha256>` / `REFRESH` (TTL 30 days)
//! - revoked refresh-token family: `FAMILY#<id>` / `REVOKED` (TTL 30 days)
//! - failed logins for an email with no account: `LOGINFAIL#<email>` / `LOGINFAIL` (TTL: the
//!   window), so the lockout holds whether or not the account exists and nothing stays
//!   behind for emails never registered.

use std::time::Duration;

use aws_sdk_dynamodb::{
    types::{
        AttributeValue, Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
    },
    Client,
};
use gymit_shared::{
    batch::{batch_get_all, BatchError},
    dynamo::{from_item, n, s, to_item, transaction_error, Item, StoreError},
    retry::{retry, Attempt, Policy},
};

use crate::domain::{
    Account, LoginFailures, RefreshToken, LOCKOUT_FAILURES, LOCKOUT_WINDOW_SECONDS,
    REFRESH_TOKEN_SECONDS,
};

const ACCOUNT: &str = "ACCOUNT";
/// The failed-login window on a login item (`LoginFailures`' `count` and `window_start`).
const FAILURES: &str = "login_failures";
const FAILURES_SINCE: &str = "failures_since";

/// A transaction that conflicted with another write (a registration, a login's session, a
/// password change, a user event) is tried again: five tries.
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

/// The account item and its login item, as a registration writes them (`create_account`;
/// `gymit-migrate` imports legacy accounts as these same two items).
pub fn account_items(account: &Account) -> Result<[Item; 2], StoreError> {
    let mut item = to_item(account)?;
    let mut login = item.clone();
    item.extend(account_key(&account.id));
    login.extend(email_key(&account.email));
    login.insert("user_id".into(), s(&account.id));
    Ok([item, login])
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

    /// Writes the account and its login item in one transaction. Concurrent registrations
    /// of one email: exactly one wins; a transaction conflict is retried, and surfaces
    /// (as a busy store) only if it keeps conflicting.
    pub async fn create_account(&self, account: &Account) -> Result<(), CreateError> {
        let [item, login] = account_items(account).map_err(CreateError::Store)?;
        let put_account = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| CreateError::Store(build_error(e)))?;
        let put_email = Put::builder()
            .table_name(&self.table)
            .set_item(Some(login))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| CreateError::Store(build_error(e)))?;
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

    /// Removes an account and its login item (the compensation when no profile could be made).
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

    /// The account of a login item. A login item written before it carried the account
    /// (it held only `user_id`) is followed to the account item instead.
    async fn account_of_login_item(&self, item: Item) -> Result<Option<Account>, StoreError> {
        let Some(user_id) = item.get("user_id").and_then(|v| v.as_s().ok()).cloned() else {
            return Ok(None);
        };
        match from_item::<Account>(item) {
            Ok(account) => Ok(Some(account)),
            Err(_) => self.account(&user_id).await,
        }
    }

    /// The login item of `email`, if the email is registered (one GetItem).
    async fn login_item(&self, email: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.filter(|i| i.contains_key("user_id")))
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        match self.login_item(email).await? {
            Some(item) => self.account_of_login_item(item).await,
            None => Ok(None),
        }
    }

    /// Reserves one password attempt for `email` before the password is verified, and
    /// returns the email's account (`Ok(None)`: no account has it; `Err(wait)`: the email is
    /// locked for `wait` seconds).
    ///
    /// A registered email's attempts are counted on its login item: one conditional
    /// UpdateItem adds the attempt (opening a window if none is open) while fewer than
    /// `LOCKOUT_FAILURES` were made in the window, and returns the item, account included.
    /// Only when that condition fails is more read or written: an email with no account is
    /// counted the same way on its own expiring item, a window that has passed is opened
    /// afresh, a full one is the lockout. Because the reservation comes first and is
    /// atomic, concurrent wrong passwords cannot all be verified: at most
    /// `LOCKOUT_FAILURES` per window are. A successful attempt clears the count
    /// (`start_session`, `set_password`, `clear_login_failures`), a failed one leaves its
    /// reservation as the counted failure.
    pub async fn reserve_login_attempt(
        &self,
        email: &str,
        now: i64,
    ) -> Result<Result<Option<Account>, u64>, StoreError> {
        retry(&LOGIN_RESERVATIONS, |_| async {
            let mut reserved = self.reserve_on(Counter::LoginItem, email, now).await?;
            let registered = !matches!(reserved, Reservation::NoItem);
            if !registered {
                reserved = self.reserve_on(Counter::NoAccount, email, now).await?;
            }
            match reserved {
                Reservation::Counted(item) if registered => {
                    Ok(Attempt::Done(Ok(self.account_of_login_item(item).await?)))
                }
                Reservation::Counted(_) => Ok(Attempt::Done(Ok(None))),
                Reservation::Locked(wait) => Ok(Attempt::Done(Err(wait))),
                Reservation::Busy(e) => Ok(Attempt::Retry(e)),
                // The expiring item was removed between the write and the read: again.
                Reservation::NoItem => Ok(Attempt::Retry(StoreError::ConditionFailed)),
            }
        })
        .await
    }

    /// One attempt counted on `counter` for `email`: added to an open window that has room
    /// (or opening one if none is open) in one UpdateItem; when that does not hold, the item
    /// is read to tell a full window (`Locked`) from one that has passed (opened afresh), or
    /// from no item at all (`NoItem`: on the login item, no account has the email).
    async fn reserve_on(
        &self,
        counter: Counter,
        email: &str,
        now: i64,
    ) -> Result<Reservation, StoreError> {
        let counted = |result: Result<Item, StoreError>| match result {
            Ok(item) => Ok(Some(Reservation::Counted(item))),
            Err(StoreError::ConditionFailed) => Ok(None),
            Err(e) if e.is_transaction_conflict() => Ok(Some(Reservation::Busy(e))),
            Err(e) => Err(e),
        };
        if let Some(r) = counted(self.count_attempt(counter, email, now, false).await)? {
            return Ok(r);
        }
        let Some(item) = self.counter_item(counter, email).await? else {
            return Ok(Reservation::NoItem);
        };
        if let Some(wait) = counter.failures(&item).locked_for(now) {
            return Ok(Reservation::Locked(wait));
        }
        // The window has passed (or was cleared meanwhile): open a new one.
        Ok(
            counted(self.count_attempt(counter, email, now, true).await)?
                .unwrap_or(Reservation::Busy(StoreError::ConditionFailed)),
        )
    }

    /// One attempt counted on `counter`'s item, which it returns as updated: added to an
    /// open window that has room (or opening one if none is open), or with `reopen` opening
    /// a new window in place of one that has passed. An item with no account also expires
    /// with its window.
    async fn count_attempt(
        &self,
        counter: Counter,
        email: &str,
        now: i64,
        reopen: bool,
    ) -> Result<Item, StoreError> {
        let (mut update, condition) = if reopen {
            ("SET #f = :one, #w = :now".to_string(), "#w <= :cutoff")
        } else {
            (
                "SET #f = if_not_exists(#f, :zero) + :one, #w = if_not_exists(#w, :now)"
                    .to_string(),
                "(attribute_not_exists(#w) OR (#w > :cutoff AND #f < :max))",
            )
        };
        let (key, condition) = match counter {
            Counter::LoginItem => (
                email_key(email),
                format!("attribute_exists(user_id) AND {condition}"),
            ),
            Counter::NoAccount => {
                update.push_str(if reopen {
                    ", expires_at = :ends"
                } else {
                    ", expires_at = if_not_exists(expires_at, :ends)"
                });
                (lockout_key(email), condition.to_string())
            }
        };
        let (failures, since) = counter.attributes();
        let mut request = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#f", failures)
            .expression_attribute_names("#w", since)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":cutoff", n(now - LOCKOUT_WINDOW_SECONDS))
            .return_values(ReturnValue::AllNew);
        if !reopen {
            request = request
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":max", n(LOCKOUT_FAILURES));
        }
        if counter == Counter::NoAccount {
            request = request.expression_attribute_values(":ends", n(now + LOCKOUT_WINDOW_SECONDS));
        }
        let out = request.send().await.map_err(StoreError::from_sdk)?;
        out.attributes
            .ok_or_else(|| StoreError::Corrupt("UpdateItem returned no item".into()))
    }

    /// The item `counter` counts on (strongly consistent); a login item only if an account
    /// has the email.
    async fn counter_item(
        &self,
        counter: Counter,
        email: &str,
    ) -> Result<Option<Item>, StoreError> {
        match counter {
            Counter::LoginItem => self.login_item(email).await,
            Counter::NoAccount => {
                let out = self
                    .db
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(lockout_key(email)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(StoreError::from_sdk)?;
                Ok(out.item)
            }
        }
    }

    /// The right password clears the email's failures (of an account that is refused all
    /// the same: banned or deactivated).
    pub async fn clear_login_failures(&self, email: &str) -> Result<(), StoreError> {
        let result = retry(&TRANSACTION_CONFLICTS, |_| async {
            let result = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(email_key(email)))
                .update_expression("REMOVE #f, #w")
                .condition_expression("attribute_exists(user_id)")
                .expression_attribute_names("#f", FAILURES)
                .expression_attribute_names("#w", FAILURES_SINCE)
                .send()
                .await
                .map_err(StoreError::from_sdk);
            match result {
                Ok(_) => Ok(Attempt::Done(())),
                Err(e) if e.is_transaction_conflict() => Ok(Attempt::Retry(e)),
                Err(e) => Err(e),
            }
        })
        .await;
        match result {
            // The account is gone: nothing to clear.
            Err(StoreError::ConditionFailed) => Ok(()),
            other => other,
        }
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

    /// A successful login's two writes in one transaction: the email's failures are
    /// cleared on its login item and the new session's refresh token stored. `false` when
    /// the account's login item is gone (the account was deleted meanwhile).
    pub async fn start_session(
        &self,
        account: &Account,
        hash: &str,
        token: &RefreshToken,
    ) -> Result<bool, StoreError> {
        let mut item = to_item(token)?;
        item.extend(refresh_key(hash));
        let clear = Update::builder()
            .table_name(&self.table)
            .set_key(Some(email_key(&account.email)))
            .update_expression("REMOVE #f, #w")
            .condition_expression("user_id = :id")
            .expression_attribute_names("#f", FAILURES)
            .expression_attribute_names("#w", FAILURES_SINCE)
            .expression_attribute_values(":id", s(&account.id))
            .build()
            .map_err(build_error)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(build_error)?;
        self.transact_on_login_item(vec![
            TransactWriteItem::builder().update(clear).build(),
            TransactWriteItem::builder().put(put).build(),
        ])
        .await
    }

    /// Sends `items`, whose first action is a conditional update of a login item, tried
    /// again while it conflicts with another write (a concurrent login's reservation of the
    /// same email, say). `false`: the first action's condition failed.
    async fn transact_on_login_item(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<bool, StoreError> {
        retry(&TRANSACTION_CONFLICTS, |_| async {
            let result = self
                .db
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            match result.map_err(transaction_error) {
                Ok(_) => Ok(Attempt::Done(true)),
                Err(StoreError::TransactionCancelled(reasons))
                    if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") =>
                {
                    Ok(Attempt::Done(false))
                }
                Err(e) if e.is_transaction_conflict() => Ok(Attempt::Retry(e)),
                Err(e) => Err(e),
            }
        })
        .await
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

    /// What a refresh needs, in one BatchGetItem: the token stored under `hash`, the
    /// account `user_id` and whether family `family` is revoked. The ids come from the
    /// token as the client holds it (`domain::refresh_token_ids`); the caller checks that
    /// the stored token names the same ones.
    pub async fn refresh_state(
        &self,
        hash: &str,
        user_id: &str,
        family: &str,
    ) -> Result<(Option<RefreshToken>, Option<Account>, bool), StoreError> {
        let keys = KeysAndAttributes::builder()
            .keys(refresh_key(hash))
            .keys(account_key(user_id))
            .keys(family_key(family))
            .consistent_read(true)
            .build()
            .map_err(build_error)?;
        let items = self.batch_get(keys).await?;
        let (mut token, mut account, mut revoked) = (None, None, false);
        for item in items {
            match item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
            {
                Some(ACCOUNT) => account = Some(from_item(item)?),
                Some("REFRESH") => token = Some(from_item(item)?),
                Some("REVOKED") => revoked = true,
                _ => {}
            }
        }
        Ok((token, account, revoked))
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
                            .expression_attribute_values(":t", AttributeValue::Bool(true))
                            .expression_attribute_values(":f", AttributeValue::Bool(false))
                            .build()
                            .map_err(build_error)?,
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
                            .map_err(build_error)?,
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

    /// New password hash; refresh tokens issued before `now_ms` stop working, and the
    /// email's failed logins are cleared (the right current password was given). The
    /// account and its login item change in one transaction; `false` if the account is
    /// gone.
    pub async fn set_password(
        &self,
        account: &Account,
        hash: &str,
        now_ms: i64,
        updated_at: &str,
    ) -> Result<bool, StoreError> {
        let update = |key: Item, expression: &str, condition: &str| {
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression(expression)
                .condition_expression(condition)
                .expression_attribute_values(":h", s(hash))
                .expression_attribute_values(":t", n(now_ms))
                .expression_attribute_values(":u", s(updated_at));
            if expression.contains("#f") {
                update = update
                    .expression_attribute_names("#f", FAILURES)
                    .expression_attribute_names("#w", FAILURES_SINCE)
                    .expression_attribute_values(":id", s(&account.id));
            }
            update.build().map_err(build_error)
        };
        const SET: &str = "SET password_hash = :h, tokens_valid_after_ms = :t, updated_at = :u";
        let login = update(
            email_key(&account.email),
            &format!("{SET} REMOVE #f, #w"),
            "user_id = :id",
        )?;
        let record = update(account_key(&account.id), SET, "attribute_exists(pk)")?;
        self.transact_on_login_item(vec![
            TransactWriteItem::builder().update(login).build(),
            TransactWriteItem::builder().update(record).build(),
        ])
        .await
    }

    /// Applies the account state of a user event unless the record already reflects that
    /// profile version or a newer one: idempotent and order-safe. The account and its login
    /// item change in one transaction. `true` if it applied.
    pub async fn apply_user_state(
        &self,
        user: &gymit_shared::user::User,
        version: i64,
    ) -> Result<bool, StoreError> {
        let update = |key: Item, condition: &str| {
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .update_expression(
                    "SET profile_version = :v, updated_at = :u, full_name = :n, #r = :r, \
                     is_approved = :a, is_banned = :b, is_active = :act",
                )
                .condition_expression(condition)
                .expression_attribute_names("#r", "role")
                .expression_attribute_values(":v", n(version))
                .expression_attribute_values(":u", s(&user.updated_at))
                .expression_attribute_values(":n", s(&user.full_name))
                .expression_attribute_values(":r", s(user.role.as_str()))
                .expression_attribute_values(":a", AttributeValue::Bool(user.is_approved))
                .expression_attribute_values(":b", AttributeValue::Bool(user.is_banned))
                .expression_attribute_values(":act", AttributeValue::Bool(user.is_active))
                .build()
                .map_err(build_error)
        };
        let record = update(
            account_key(&user.id),
            "attribute_exists(pk) AND \
             (attribute_not_exists(profile_version) OR profile_version < :v)",
        )?;
        let login = update(email_key(&user.email), "attribute_exists(user_id)")?;
        self.transact_on_login_item(vec![
            TransactWriteItem::builder().update(record).build(),
            TransactWriteItem::builder().update(login).build(),
        ])
        .await
    }
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Other(e.to_string())
}

/// Where an email's failed logins are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counter {
    /// On the login item of a registered email.
    LoginItem,
    /// On an item of its own, expiring with the window, for an email no account has.
    NoAccount,
}

impl Counter {
    /// The attributes of the count and the window's start.
    fn attributes(self) -> (&'static str, &'static str) {
        match self {
            Counter::LoginItem => (FAILURES, FAILURES_SINCE),
            Counter::NoAccount => ("count", "window_start"),
        }
    }

    /// The failed-login window on an item of this counter (none open: count 0).
    fn failures(self, item: &Item) -> LoginFailures {
        let (failures, since) = self.attributes();
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        LoginFailures {
            count: number(failures),
            window_start: number(since),
        }
    }
}

/// What counting one attempt on a `Counter` found.
enum Reservation {
    /// Counted; the item as updated.
    Counted(Item),
    /// The window is full for this many more seconds.
    Locked(u64),
    /// There is no such item (no account has the email, for the login item).
    NoItem,
    /// Another write got in the way: worth another try.
    Busy(StoreError),
}
