//! The only code that speaks DynamoDB for the auth table.
//!
//! Access patterns (one table, `pk`/`sk`, TTL attribute `expires_at`):
//! - account by id: `USER#<id>` / `ACCOUNT` (GetItem)
//! - account by email, the *login item*: `EMAIL#<email>` / `EMAIL` → `user_id`, a copy of
//!   the account, and the email's failed logins (`LoginFailures`: `login_failures` and
//!   `failures_since` for all addresses, `failures@<address>` and
//!   `failures_since@<address>` per source address, `failures_version`).
//!   Written in the same transaction as the account (so an email is unique even under
//!   concurrent registration), and every later change of the account changes both in one
//!   transaction. It lets login reserve its attempt and read the account in one UpdateItem,
//!   and start the session (clear the failures, store the refresh token) in one
//!   TransactWriteItems: two round trips.
//! - the failed logins of an email no account has live on the same key, an item with no
//!   `user_id` that expires with its windows (`expires_at`), so that a login makes the same
//!   requests whether or not the email is registered (API.md: timing tells nothing), and
//!   registration replaces it.
//! - refresh token by hash: `REFRESH#<sha256>` / `REFRESH` (TTL 30 days)
//! - revoked refresh-token family (a session): `FAMILY#<id>` / `REVOKED` (TTL 30 days)
//! - password reset code by hash: `RESET#<sha256>` / `RESET` → the email, `used` (TTL 30
//!   minutes); the email's reset requests are counted on its login item (`reset_requests`,
//!   `reset_since`: a fixed hour from the first), in the same transaction that stores a
//!   code, so a code is stored only for a registered, active email with room in its hour.

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
    Account, FailureWindow, LoginFailures, RefreshToken, ResetCode, LOCKOUT_FAILURES,
    LOCKOUT_FAILURES_ALL_SOURCES, LOCKOUT_WINDOW_SECONDS, REFRESH_TOKEN_SECONDS, RESET_REQUESTS,
    RESET_WINDOW_SECONDS,
};

const ACCOUNT: &str = "ACCOUNT";
/// The failed-login window of all addresses on an email item (`LoginFailures::all`).
const FAILURES: &str = "login_failures";
const FAILURES_SINCE: &str = "failures_since";
/// The prefixes of a source address's window (`LoginFailures::sources`), then the address.
const SOURCE_FAILURES: &str = "failures@";
const SOURCE_SINCE: &str = "failures_since@";
/// Bumped by every write of the failures, so a write computed from a read can tell whether
/// another got in between.
const FAILURES_VERSION: &str = "failures_version";
/// Passed source windows removed per write at most (an expression holds 4 KB); the rest
/// go with the next one.
const PRUNED_PER_WRITE: usize = 100;
/// The reset requests of an email's current window, and when that window opened.
const RESET_REQUESTS_ATTR: &str = "reset_requests";
const RESET_SINCE: &str = "reset_since";

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

fn refresh_key(hash: &str) -> Item {
    key(format!("REFRESH#{hash}"), "REFRESH")
}

fn family_key(family: &str) -> Item {
    key(format!("FAMILY#{family}"), "REVOKED")
}

fn reset_key(hash: &str) -> Item {
    key(format!("RESET#{hash}"), "RESET")
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
        // An item with no `user_id` there only counts failed logins: it is replaced.
        let put_email = Put::builder()
            .table_name(&self.table)
            .set_item(Some(login))
            .condition_expression("attribute_not_exists(user_id)")
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
    /// The items of `keys` that exist, read in one strongly consistent BatchGetItem, by
    /// their sort key (each key names an item of another kind).
    async fn items_by_kind(
        &self,
        keys: impl IntoIterator<Item = Item>,
    ) -> Result<std::collections::HashMap<String, Item>, StoreError> {
        let keys = KeysAndAttributes::builder()
            .set_keys(Some(keys.into_iter().collect()))
            .consistent_read(true)
            .build()
            .map_err(build_error)?;
        let items = batch_get_all(&self.db, &self.table, keys, &UNPROCESSED_KEYS)
            .await
            .map_err(|e| match e {
                BatchError::Store(e) => e,
                BatchError::Unprocessed(_) => {
                    StoreError::Other("BatchGetItem left keys unprocessed after 5 attempts".into())
                }
            })?;
        Ok(items
            .into_iter()
            .filter_map(|item| Some((item.get("sk")?.as_s().ok()?.clone(), item)))
            .collect())
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
        Ok(self
            .email_item(email)
            .await?
            .filter(|i| i.contains_key("user_id")))
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        match self.login_item(email).await? {
            Some(item) => self.account_of_login_item(item).await,
            None => Ok(None),
        }
    }

    /// Reserves one password attempt for `email` from `source` before the password is
    /// verified, and returns the email's account and failures (`Err(wait)`: `source` is
    /// held back for `wait` seconds).
    ///
    /// One conditional UpdateItem on the email's item counts the attempt (opening windows
    /// where none is open) while both the address's and all addresses' windows have room,
    /// and returns the item, account included: the same single request whether or not an
    /// account has the email. Only when that condition fails is the item read and the
    /// decision taken in `LoginFailures` (a full window is the lockout; a passed one opens
    /// afresh, and the passed windows of other addresses are removed), written back under
    /// the version it was read at. Because the reservation comes first and is atomic,
    /// concurrent wrong passwords cannot all be verified: at most `LOCKOUT_FAILURES` per
    /// address and window are. A successful attempt clears its counts
    /// (`start_session`, `set_password`, `clear_login_failures`), a failed one leaves its
    /// reservation as the counted failure.
    pub async fn reserve_login_attempt(
        &self,
        email: &str,
        source: &str,
        now: i64,
    ) -> Result<Result<Reserved, u64>, StoreError> {
        retry(&LOGIN_RESERVATIONS, |_| async {
            let busy = |e: StoreError| {
                if e.is_transaction_conflict() || matches!(e, StoreError::ConditionFailed) {
                    Ok(Attempt::Retry(e))
                } else {
                    Err(e)
                }
            };
            match self.count_attempt(email, source, now).await {
                Ok(item) => return Ok(Attempt::Done(Ok(self.reserved(item).await?))),
                Err(StoreError::ConditionFailed) => {}
                Err(e) => return busy(e),
            }
            let item = self.email_item(email).await?.unwrap_or_default();
            let (failures, version) = failures_of(&item);
            let next = match failures.with_attempt(source, now) {
                Ok(next) => next,
                Err(wait) => return Ok(Attempt::Done(Err(wait))),
            };
            let passed: Vec<&str> = failures
                .passed_sources(now)
                .into_iter()
                .filter(|s| *s != source)
                .collect();
            match self
                .write_failures(email, &next, source, version, &passed, now)
                .await
            {
                Ok(item) => Ok(Attempt::Done(Ok(self.reserved(item).await?))),
                Err(e) => busy(e),
            }
        })
        .await
    }

    /// What a reservation returns from the email's item as updated.
    async fn reserved(&self, item: Item) -> Result<Reserved, StoreError> {
        let failures = failures_of(&item).0;
        let account = if item.contains_key("user_id") {
            self.account_of_login_item(item).await?
        } else {
            None
        };
        Ok(Reserved { account, failures })
    }

    /// The email's item (login item or failures only), strongly consistent.
    async fn email_item(&self, email: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item)
    }

    /// The fast path: one attempt from `source` counted on the email's item in one
    /// UpdateItem, while both windows are open with room or not open at all.
    async fn count_attempt(&self, email: &str, source: &str, now: i64) -> Result<Item, StoreError> {
        let out = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .update_expression(
                "SET #f = if_not_exists(#f, :zero) + :one, #w = if_not_exists(#w, :now), \
                 #sf = if_not_exists(#sf, :zero) + :one, #sw = if_not_exists(#sw, :now), \
                 #v = if_not_exists(#v, :zero) + :one, expires_at = if_not_exists(user_id, :ends)",
            )
            .condition_expression(
                "(attribute_not_exists(#w) OR (#w > :cutoff AND #f < :all)) AND \
                 (attribute_not_exists(#sw) OR (#sw > :cutoff AND #sf < :max))",
            )
            .expression_attribute_names("#f", FAILURES)
            .expression_attribute_names("#w", FAILURES_SINCE)
            .expression_attribute_names("#sf", format!("{SOURCE_FAILURES}{source}"))
            .expression_attribute_names("#sw", format!("{SOURCE_SINCE}{source}"))
            .expression_attribute_names("#v", FAILURES_VERSION)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":ends", n(now + LOCKOUT_WINDOW_SECONDS))
            .expression_attribute_values(":cutoff", n(now - LOCKOUT_WINDOW_SECONDS))
            .expression_attribute_values(":all", n(LOCKOUT_FAILURES_ALL_SOURCES))
            .expression_attribute_values(":max", n(LOCKOUT_FAILURES))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.attributes
            .ok_or_else(|| StoreError::Corrupt("UpdateItem returned no item".into()))
    }

    /// The slow path's write: all addresses' window and `source`'s as `next` has them,
    /// `passed` source windows removed, provided the failures are still at `version`.
    ///
    /// Both paths set `expires_at = if_not_exists(user_id, :ends)`: on an item that only
    /// counts failures (no account) it is the end of the latest window, so DynamoDB's TTL
    /// removes it once nothing is left to count; on a login item it is a copy of the
    /// (string) user id, which TTL ignores, so a login item never expires.
    async fn write_failures(
        &self,
        email: &str,
        next: &LoginFailures,
        source: &str,
        version: i64,
        passed: &[&str],
        now: i64,
    ) -> Result<Item, StoreError> {
        let all = next.all.unwrap_or(FailureWindow {
            count: 0,
            start: now,
        });
        let own = next.sources.get(source).copied().unwrap_or(FailureWindow {
            count: 0,
            start: now,
        });
        let mut update = String::from(
            "SET #f = :f, #w = :w, #sf = :sf, #sw = :sw, #v = :next, \
             expires_at = if_not_exists(user_id, :ends)",
        );
        let mut names = std::collections::HashMap::from([
            ("#f".to_string(), FAILURES.to_string()),
            ("#w".to_string(), FAILURES_SINCE.to_string()),
            ("#sf".to_string(), format!("{SOURCE_FAILURES}{source}")),
            ("#sw".to_string(), format!("{SOURCE_SINCE}{source}")),
            ("#v".to_string(), FAILURES_VERSION.to_string()),
        ]);
        let mut removed = Vec::new();
        for (i, passed) in passed.iter().take(PRUNED_PER_WRITE).enumerate() {
            for (suffix, prefix) in [("f", SOURCE_FAILURES), ("w", SOURCE_SINCE)] {
                let placeholder = format!("#p{i}{suffix}");
                names.insert(placeholder.clone(), format!("{prefix}{passed}"));
                removed.push(placeholder);
            }
        }
        if !removed.is_empty() {
            update.push_str(" REMOVE ");
            update.push_str(&removed.join(", "));
        }
        let mut request = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(email_key(email)))
            .set_expression_attribute_names(Some(names))
            .expression_attribute_values(":f", n(all.count))
            .expression_attribute_values(":w", n(all.start))
            .expression_attribute_values(":sf", n(own.count))
            .expression_attribute_values(":sw", n(own.start))
            .expression_attribute_values(":next", n(version + 1))
            .expression_attribute_values(":ends", n(now + LOCKOUT_WINDOW_SECONDS))
            .return_values(ReturnValue::AllNew);
        request = if version == 0 {
            request.condition_expression("attribute_not_exists(#v)")
        } else {
            request
                .condition_expression("#v = :version")
                .expression_attribute_values(":version", n(version))
        };
        let out = request
            .update_expression(update)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.attributes
            .ok_or_else(|| StoreError::Corrupt("UpdateItem returned no item".into()))
    }

    /// The right password clears the email's failures (of an account that is refused all
    /// the same: banned or deactivated): see `FailuresCleared`.
    pub async fn clear_login_failures(
        &self,
        email: &str,
        cleared: &FailuresCleared,
    ) -> Result<(), StoreError> {
        let result = retry(&TRANSACTION_CONFLICTS, |_| async {
            let (update, names, values) = cleared.expression(None);
            let result = self
                .db
                .update_item()
                .table_name(&self.table)
                .set_key(Some(email_key(email)))
                .update_expression(update)
                .condition_expression("attribute_exists(user_id)")
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
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

    /// A successful login's writes in one transaction: the email's failures are cleared on
    /// its login item and the new session's refresh token stored; with `rehashed`, the
    /// account's legacy hash is replaced by that argon2id one on the account and its login
    /// item, provided it is still the hash the password was verified against. `false` when
    /// the account's login item is gone (the account was deleted meanwhile). If the hash
    /// changed meanwhile (a concurrent login replaced it first, or a password change), the
    /// session still starts and that newer hash stays.
    pub async fn start_session(
        &self,
        account: &Account,
        hash: &str,
        token: &RefreshToken,
        rehashed: Option<&str>,
        cleared: &FailuresCleared,
    ) -> Result<bool, StoreError> {
        let mut item = to_item(token)?;
        item.extend(refresh_key(hash));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(build_error)?;
        let clear = |rehash: Option<&str>| {
            let (update, names, mut values) =
                cleared.expression(rehash.map(|_| "password_hash = :new"));
            values.insert(":id".into(), s(&account.id));
            let mut condition = "user_id = :id".to_string();
            if let Some(new) = rehash {
                values.insert(":new".into(), s(new));
                values.insert(":old".into(), s(&account.password_hash));
                condition.push_str(" AND password_hash = :old");
            }
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(email_key(&account.email)))
                .update_expression(update)
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .build()
                .map_err(build_error)
        };
        let Some(new) = rehashed else {
            return self
                .transact_on_login_item(vec![
                    TransactWriteItem::builder().update(clear(None)?).build(),
                    TransactWriteItem::builder().put(put).build(),
                ])
                .await;
        };
        let record = Update::builder()
            .table_name(&self.table)
            .set_key(Some(account_key(&account.id)))
            .update_expression("SET password_hash = :new")
            .condition_expression("password_hash = :old")
            .expression_attribute_values(":new", s(new))
            .expression_attribute_values(":old", s(&account.password_hash))
            .build()
            .map_err(build_error)?;
        let result = self
            .transact_on_login_item(vec![
                TransactWriteItem::builder()
                    .update(clear(Some(new))?)
                    .build(),
                TransactWriteItem::builder().put(put.clone()).build(),
                TransactWriteItem::builder().update(record).build(),
            ])
            .await;
        match result {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(StoreError::TransactionCancelled(reasons))
                if reasons.iter().any(|r| r == "ConditionalCheckFailed") => {}
            Err(e) => return Err(e),
        }
        // A condition failed: the account is gone, or its hash changed meanwhile.
        self.transact_on_login_item(vec![
            TransactWriteItem::builder().update(clear(None)?).build(),
            TransactWriteItem::builder().put(put).build(),
        ])
        .await
    }

    /// Sends `items`, whose first action is a conditional update (of a login item, or a
    /// reset code), tried again while it conflicts with another write (a concurrent login's
    /// reservation of the same email, say). `false`: the first action's condition failed.
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
        let mut items = self
            .items_by_kind([refresh_key(hash), account_key(user_id), family_key(family)])
            .await?;
        let token = items.remove("REFRESH").map(from_item).transpose()?;
        let account = items.remove(ACCOUNT).map(from_item).transpose()?;
        Ok((token, account, items.contains_key("REVOKED")))
    }

    /// What the authorizer needs, in one BatchGetItem: the account `user_id` and whether
    /// session (family) `sid` has ended (logged out, or its refresh token reused).
    pub async fn account_and_session(
        &self,
        user_id: &str,
        sid: &str,
    ) -> Result<(Option<Account>, bool), StoreError> {
        let mut items = self
            .items_by_kind([account_key(user_id), family_key(sid)])
            .await?;
        let account = items.remove(ACCOUNT).map(from_item).transpose()?;
        Ok((account, items.contains_key("REVOKED")))
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
    /// email's failed logins are cleared as `cleared` says (the right current password was
    /// given). The account and its login item change in one transaction; `false` if the
    /// account is gone.
    pub async fn set_password(
        &self,
        account: &Account,
        hash: &str,
        now_ms: i64,
        updated_at: &str,
        cleared: &FailuresCleared,
    ) -> Result<bool, StoreError> {
        let [login, record] = self.password_updates(account, hash, now_ms, updated_at, cleared)?;
        self.transact_on_login_item(vec![
            TransactWriteItem::builder().update(login).build(),
            TransactWriteItem::builder().update(record).build(),
        ])
        .await
    }

    /// The login item's and the account item's updates of a password change: the new
    /// hash, `tokens_valid_after_ms` (every session ends) and the cleared failures.
    fn password_updates(
        &self,
        account: &Account,
        hash: &str,
        now_ms: i64,
        updated_at: &str,
        cleared: &FailuresCleared,
    ) -> Result<[Update; 2], StoreError> {
        const SET: &str = "password_hash = :h, tokens_valid_after_ms = :t, updated_at = :u";
        let values = |mut values: std::collections::HashMap<String, AttributeValue>| {
            values.insert(":h".into(), s(hash));
            values.insert(":t".into(), n(now_ms));
            values.insert(":u".into(), s(updated_at));
            values
        };
        let (update, names, login_values) = cleared.expression(Some(SET));
        let mut login_values = values(login_values);
        login_values.insert(":id".into(), s(&account.id));
        let login = Update::builder()
            .table_name(&self.table)
            .set_key(Some(email_key(&account.email)))
            .update_expression(update)
            .condition_expression("user_id = :id")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(login_values))
            .build()
            .map_err(build_error)?;
        let record = Update::builder()
            .table_name(&self.table)
            .set_key(Some(account_key(&account.id)))
            .update_expression(format!("SET {SET}"))
            .condition_expression("attribute_exists(pk)")
            .set_expression_attribute_values(Some(values(Default::default())))
            .build()
            .map_err(build_error)?;
        Ok([login, record])
    }

    /// Stores a reset code for `email` if it may have one: the email is registered to an
    /// active account and has sent fewer than `RESET_REQUESTS` requests in its hour. The
    /// request is counted on the login item and the code stored in one transaction, so the
    /// limit holds under concurrency and no code exists for an email that has no account.
    /// `false`: nothing stored (no such account, or the limit is reached). One
    /// transaction; a second only when the email's hour has passed (it opens a new one).
    pub async fn store_reset_code(
        &self,
        hash: &str,
        code: &ResetCode,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut item = to_item(code)?;
        item.extend(reset_key(hash));
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(build_error)?;
        const ACCOUNT_ACTIVE: &str =
            "attribute_exists(user_id) AND (attribute_not_exists(is_active) OR is_active = :t)";
        let count = |update: &str, window: &str, extra: Vec<(&str, AttributeValue)>| {
            let mut builder = Update::builder()
                .table_name(&self.table)
                .set_key(Some(email_key(&code.email)))
                .update_expression(update)
                .condition_expression(format!("{ACCOUNT_ACTIVE} AND {window}"))
                .expression_attribute_names("#rq", RESET_REQUESTS_ATTR)
                .expression_attribute_names("#rs", RESET_SINCE)
                .expression_attribute_values(":t", AttributeValue::Bool(true))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now))
                .expression_attribute_values(":cutoff", n(now - RESET_WINDOW_SECONDS));
            for (name, value) in extra {
                builder = builder.expression_attribute_values(name, value);
            }
            builder.build().map_err(build_error)
        };
        // The window is open with room, or was never opened: count one more.
        let within = count(
            "SET #rq = if_not_exists(#rq, :zero) + :one, #rs = if_not_exists(#rs, :now)",
            "(attribute_not_exists(#rs) OR (#rs > :cutoff AND #rq < :max))",
            vec![(":zero", n(0)), (":max", n(RESET_REQUESTS))],
        )?;
        let stored = self
            .transact_on_login_item(vec![
                TransactWriteItem::builder().update(within).build(),
                TransactWriteItem::builder().put(put.clone()).build(),
            ])
            .await?;
        if stored {
            return Ok(true);
        }
        // The window has passed: open a new one with this request. (Two requests racing
        // here: one opens it, the other sends nothing; the limit errs on the safe side.)
        let reopened = count("SET #rq = :one, #rs = :now", "#rs <= :cutoff", Vec::new())?;
        self.transact_on_login_item(vec![
            TransactWriteItem::builder().update(reopened).build(),
            TransactWriteItem::builder().put(put).build(),
        ])
        .await
    }

    /// What a reset confirm needs, in one BatchGetItem: the code stored under `hash`, and
    /// from `email`'s login item its account (if registered) and failed logins. The email
    /// comes from the code as the client holds it (`domain::reset_code_email`); the caller
    /// checks that the stored code names the same one.
    pub async fn reset_state(
        &self,
        hash: &str,
        email: &str,
    ) -> Result<(Option<ResetCode>, Option<Account>, LoginFailures), StoreError> {
        let mut items = self
            .items_by_kind([reset_key(hash), email_key(email)])
            .await?;
        let code = items.remove("RESET").map(from_item).transpose()?;
        let Some(login) = items.remove("EMAIL") else {
            return Ok((code, None, LoginFailures::default()));
        };
        let failures = failures_of(&login).0;
        let account = if login.contains_key("user_id") {
            self.account_of_login_item(login).await?
        } else {
            None
        };
        Ok((code, account, failures))
    }

    /// A password reset in one transaction: the code marked used (provided it is unused
    /// and unexpired at `now`), the new hash, every session ended (`tokens_valid_after_ms`)
    /// and the failed logins cleared as `cleared` says. `false`: the code was used or had
    /// expired meanwhile (of two racing confirms exactly one gets `true`), or the account
    /// changed (deleted) meanwhile.
    pub async fn reset_password(
        &self,
        code_hash: &str,
        account: &Account,
        hash: &str,
        now_ms: i64,
        updated_at: &str,
        cleared: &FailuresCleared,
    ) -> Result<bool, StoreError> {
        let spend = Update::builder()
            .table_name(&self.table)
            .set_key(Some(reset_key(code_hash)))
            .update_expression("SET used = :t, used_at = :u")
            .condition_expression("used = :f AND expires_at > :now AND email = :e")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":u", s(updated_at))
            .expression_attribute_values(":now", n(now_ms / 1000))
            .expression_attribute_values(":e", s(&account.email))
            .build()
            .map_err(build_error)?;
        let [login, record] = self.password_updates(account, hash, now_ms, updated_at, cleared)?;
        let result = self
            .transact_on_login_item(vec![
                TransactWriteItem::builder().update(spend).build(),
                TransactWriteItem::builder().update(login).build(),
                TransactWriteItem::builder().update(record).build(),
            ])
            .await;
        match result {
            Err(StoreError::TransactionCancelled(reasons))
                if reasons.iter().any(|r| r == "ConditionalCheckFailed") =>
            {
                Ok(false)
            }
            other => other,
        }
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

/// What reserving a login attempt found: the email's account (`None`: no account has it)
/// and its failed logins, this attempt counted.
#[derive(Debug)]
pub struct Reserved {
    pub account: Option<Account>,
    pub failures: LoginFailures,
}

impl Reserved {
    /// What the right password clears: all addresses' count and `source`'s (API.md: a
    /// successful login resets the count), and the windows of other addresses that have
    /// passed. Other addresses' open windows stay: a success elsewhere does not give an
    /// attacker new guesses.
    pub fn cleared(&self, source: &str, now: i64) -> FailuresCleared {
        FailuresCleared {
            sources: std::iter::once(source)
                .chain(
                    self.failures
                        .passed_sources(now)
                        .into_iter()
                        .filter(|s| *s != source),
                )
                .take(PRUNED_PER_WRITE)
                .map(str::to_string)
                .collect(),
        }
    }
}

/// The failure counts a successful attempt removes from the email's item.
#[derive(Debug, Clone)]
pub struct FailuresCleared {
    sources: Vec<String>,
}

impl FailuresCleared {
    /// Clears the count across all addresses and no address's own (a password set
    /// outside a login, e.g. by an import).
    pub fn across_addresses() -> Self {
        Self {
            sources: Vec::new(),
        }
    }

    /// Clears all addresses' count and every address's own that `failures` holds (a
    /// password reset: whoever reads the email may try again from anywhere).
    pub fn every_source(failures: &LoginFailures) -> Self {
        Self {
            sources: failures
                .sources
                .keys()
                .take(PRUNED_PER_WRITE)
                .cloned()
                .collect(),
        }
    }

    /// Clears all addresses' count and `source`'s only.
    pub fn source(source: &str) -> Self {
        Self {
            sources: vec![source.to_string()],
        }
    }

    /// The update expression (with `set` added to its SET clause), its names and values.
    fn expression(
        &self,
        set: Option<&str>,
    ) -> (
        String,
        std::collections::HashMap<String, String>,
        std::collections::HashMap<String, AttributeValue>,
    ) {
        let mut names = std::collections::HashMap::from([
            ("#f".to_string(), FAILURES.to_string()),
            ("#w".to_string(), FAILURES_SINCE.to_string()),
            ("#v".to_string(), FAILURES_VERSION.to_string()),
        ]);
        let mut removed = vec!["#f".to_string(), "#w".to_string()];
        for (i, source) in self.sources.iter().enumerate() {
            for (suffix, prefix) in [("f", SOURCE_FAILURES), ("w", SOURCE_SINCE)] {
                let placeholder = format!("#s{i}{suffix}");
                names.insert(placeholder.clone(), format!("{prefix}{source}"));
                removed.push(placeholder);
            }
        }
        let mut update = "SET #v = if_not_exists(#v, :zero) + :one".to_string();
        if let Some(set) = set {
            update.push_str(", ");
            update.push_str(set);
        }
        update.push_str(" REMOVE ");
        update.push_str(&removed.join(", "));
        let values = std::collections::HashMap::from([
            (":zero".to_string(), n(0)),
            (":one".to_string(), n(1)),
        ]);
        (update, names, values)
    }
}

/// The failed logins on an email's item, and the version they were written at (0: never).
fn failures_of(item: &Item) -> (LoginFailures, i64) {
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
    };
    let window = |count: &str, since: &str| {
        Some(FailureWindow {
            count: number(count)?,
            start: number(since)?,
        })
    };
    let sources = item
        .keys()
        .filter_map(|k| k.strip_prefix(SOURCE_FAILURES))
        .filter_map(|source| {
            let w = window(
                &format!("{SOURCE_FAILURES}{source}"),
                &format!("{SOURCE_SINCE}{source}"),
            )?;
            Some((source.to_string(), w))
        })
        .collect();
    let failures = LoginFailures {
        all: window(FAILURES, FAILURES_SINCE),
        sources,
    };
    (failures, number(FAILURES_VERSION).unwrap_or(0))
}
