//! The connections table, the only way the notification functions touch DynamoDB.
//!
//! Items (`pk`, `sk`):
//! - `CONN#<connection id>`, `#META`: the connection, who opened it, when, and how many
//!   subscriptions it holds (capped, so one socket cannot make every fan-out expensive); an
//!   anonymous one also names its source address and the slot it holds there
//!   (`anonymous_source`, `anonymous_slot`);
//! - `CONN#<connection id>`, `SUB#<tournament id>`: the connection's side of a subscription,
//!   so a disconnect finds everything to delete with one Query;
//! - `SUB#<tournament id>`, `CONN#<connection id>`: the tournament's side, so a fan-out finds
//!   every subscriber with one Query. The lobby is the tournament id `*`.
//! - `SUB#<tournament id>`, `#KNOWN`: the tournament exists (the fan-out writes it from the
//!   tournament service's `tournament.*` events), so a subscription to an id that names no
//!   tournament is refused without reading the tournament service's table. It sits in the
//!   subscribers' partition so that the fan-out's one Query also says whether the
//!   tournament is known; it is not a subscriber.
//! - `SOURCE#<address>`, `SLOT#<k>`, k in `[0, cap)`: one of the `cap` anonymous connections
//!   a source address may hold at a time, naming the connection that holds it. `$connect`
//!   claims a free slot in the same transaction that writes the connection, `$disconnect`
//!   deletes it in the same batch as the connection's other items. A slot whose
//!   `expires_at` has passed is free even before TTL removes it.
//! - `ACCOUNT#<user id>`, `SLOT#<k>`, k in `[0, cap)`: the same for a signed-in account's
//!   connections (API.md: at most 5 per account); the connection's `#META` names its slot in
//!   `account_slot`. A fan-out that meets a gone connection removes it with its slot, so a
//!   socket whose `$disconnect` was lost holds its slot until the next event reaches it (or
//!   two hours at most).
//!
//! Every connection, subscription and slot item expires (`expires_at`, TTL) two hours
//! after it was written: API Gateway closes any connection after two hours, so nothing
//! outlives its socket for long even when a `$disconnect` never arrives. Known
//! tournaments stay (tournaments are never deleted).

use std::{
    collections::{hash_map::RandomState, HashSet},
    hash::BuildHasher,
};

use aws_sdk_dynamodb::{
    types::{
        AttributeValue, ConditionCheck, Delete, DeleteRequest, Put, TransactWriteItem, Update,
        WriteRequest,
    },
    Client,
};
use gymit_shared::{
    batch::{batch_write_all, RESEND_UNPROCESSED},
    dynamo::{n, query_all, s, transaction_error, Item, StoreError},
};

use crate::messages::{EventKind, LOBBY};

/// API Gateway's maximum connection duration, and so the life of every item.
pub const CONNECTION_TTL_SECONDS: i64 = 2 * 3600;
/// Subscriptions one connection may hold at a time.
pub const MAX_SUBSCRIPTIONS: i64 = 50;

const META: &str = "#META";
const KNOWN: &str = "#KNOWN";
/// Claims of an anonymous slot before `$connect` gives up as busy: each failed claim after
/// the first means another connection of the address took a slot just seen free.
const SLOT_CLAIMS: usize = 5;
/// A holder with at least this many slots (an address's 1,000, not an account's 5) is
/// rarely full: after a taken slot, `$connect` tries other random ones, up to
/// `BLIND_CLAIMS` in all, before it lists the holder's slots (a Query as long as the slots
/// held: with an address's 500 spectators, that list made every arrival slower than the last).
const BLIND_MIN_CAP: i64 = 64;
const BLIND_CLAIMS: usize = 3;

/// Who opened a connection: nobody (a spectator) or a verified user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub connection_id: String,
    pub user_id: Option<String>,
    pub role: Option<String>,
    pub connected_at: String,
    /// The source address of an anonymous connection, whose slot it holds.
    pub anonymous_source: Option<String>,
}

/// What a `$connect` that takes a slot got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Every slot of the source address is held by a live connection.
    SourceFull,
    /// Every slot of the account is held by a live connection.
    AccountFull,
}

/// Whose slots a connection takes one of: its source address (anonymous) or its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder<'a> {
    Source(&'a str),
    Account(&'a str),
}

impl Holder<'_> {
    fn pk(&self) -> AttributeValue {
        match self {
            Holder::Source(address) => source_pk(address),
            Holder::Account(user_id) => account_pk(user_id),
        }
    }

    /// The `#META` attribute that names the slot the connection holds.
    fn slot_attribute(&self) -> &'static str {
        match self {
            Holder::Source(_) => "anonymous_slot",
            Holder::Account(_) => "account_slot",
        }
    }

    fn full(&self) -> Admission {
        match self {
            Holder::Source(_) => Admission::SourceFull,
            Holder::Account(_) => Admission::AccountFull,
        }
    }
}

/// Who follows a tournament, and whether the service knows the tournament.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub subscribers: Vec<String>,
    pub tournament_known: bool,
}

/// What a subscribe did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    New,
    Already,
    /// The connection already holds `MAX_SUBSCRIPTIONS`.
    Full,
    /// The connection is gone (disconnected or expired).
    Gone,
    /// The service has not heard of the tournament (yet): nothing was written.
    UnknownTournament,
}

pub struct ConnectionsStore {
    db: Client,
    table: String,
}

fn conn_pk(connection_id: &str) -> AttributeValue {
    s(format!("CONN#{connection_id}"))
}

fn sub_pk(tournament_id: &str) -> AttributeValue {
    s(format!("SUB#{tournament_id}"))
}

fn known_key(tournament_id: &str) -> Item {
    key(sub_pk(tournament_id), s(KNOWN))
}

fn source_pk(address: &str) -> AttributeValue {
    s(format!("SOURCE#{address}"))
}

fn account_pk(user_id: &str) -> AttributeValue {
    s(format!("ACCOUNT#{user_id}"))
}

fn slot_key(holder: AttributeValue, slot: i64) -> Item {
    key(holder, s(format!("SLOT#{slot}")))
}

/// A number in `[0, below)` (`below` > 0), from the standard library's randomly keyed hasher.
fn random_below(below: u64) -> u64 {
    RandomState::new().hash_one(std::time::SystemTime::now()) % below
}

fn key(pk: AttributeValue, sk: AttributeValue) -> Item {
    Item::from([("pk".to_string(), pk), ("sk".to_string(), sk)])
}

fn expires_at() -> AttributeValue {
    n(gymit_shared::time::epoch_seconds() + CONNECTION_TTL_SECONDS)
}

fn string_of(item: &Item, name: &str) -> Option<String> {
    item.get(name)?.as_s().ok().cloned()
}

fn number_of(item: &Item, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// The `#META` item of a connection, expiring at `expires_at`.
fn connection_item(c: &Connection, expires_at: AttributeValue) -> Item {
    let mut item = key(conn_pk(&c.connection_id), s(META));
    item.extend([
        ("kind".to_string(), s("connection")),
        ("connection_id".to_string(), s(&c.connection_id)),
        ("connected_at".to_string(), s(&c.connected_at)),
        ("subscriptions".to_string(), n(0)),
        ("expires_at".to_string(), expires_at),
    ]);
    if let Some(u) = &c.user_id {
        item.insert("user_id".into(), s(u));
    }
    if let Some(r) = &c.role {
        item.insert("role".into(), s(r));
    }
    if let Some(a) = &c.anonymous_source {
        item.insert("anonymous_source".into(), s(a));
    }
    item
}

impl ConnectionsStore {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    pub async fn connection(&self, connection_id: &str) -> Result<Option<Connection>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(conn_pk(connection_id), s(META))))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.map(|item| Connection {
            connection_id: connection_id.to_string(),
            user_id: string_of(&item, "user_id"),
            role: string_of(&item, "role"),
            connected_at: string_of(&item, "connected_at").unwrap_or_default(),
            anonymous_source: string_of(&item, "anonymous_source"),
        }))
    }

    /// Records an anonymous connection (`anonymous_source` names its address) if the address
    /// has one of its `cap` slots free (see `claim_one_of`).
    pub async fn put_anonymous_connection(
        &self,
        c: &Connection,
        cap: i64,
    ) -> Result<Admission, StoreError> {
        let Some(address) = c.anonymous_source.as_deref() else {
            return Err(StoreError::Other(
                "an anonymous connection names its source address".into(),
            ));
        };
        self.claim_one_of(c, Holder::Source(address), cap).await
    }

    /// Records a signed-in connection (`user_id` names its account) if the account has one
    /// of its `cap` slots free (see `claim_one_of`).
    pub async fn put_account_connection(
        &self,
        c: &Connection,
        cap: i64,
    ) -> Result<Admission, StoreError> {
        let Some(user_id) = c.user_id.as_deref() else {
            return Err(StoreError::Other(
                "a signed-in connection names its account".into(),
            ));
        };
        self.claim_one_of(c, Holder::Account(user_id), cap).await
    }

    /// Records the connection in one of the `cap` slots of `holder`: the slot and the
    /// connection in one transaction, on a random slot first (one request when it is free),
    /// and for a big holder on up to `BLIND_CLAIMS` random slots in all. When those are
    /// taken, one Query lists the holder's live slots and the claim is tried again on a
    /// random free one, at most `SLOT_CLAIMS` listed claims; every slot held is the
    /// holder's `Full`. Concurrent connects never hold more than `cap` slots: each slot is
    /// a conditional put.
    async fn claim_one_of(
        &self,
        c: &Connection,
        holder: Holder<'_>,
        cap: i64,
    ) -> Result<Admission, StoreError> {
        if cap <= 0 {
            return Ok(holder.full());
        }
        let random_slot = || random_below(cap as u64) as i64;
        let blind = if cap >= BLIND_MIN_CAP {
            BLIND_CLAIMS
        } else {
            1
        };
        for _ in 0..blind {
            if self.claim_slot(c, holder, random_slot()).await? {
                return Ok(Admission::Admitted);
            }
        }
        for _ in 0..SLOT_CLAIMS {
            let taken = self.taken_slots(holder).await?;
            // Slots beyond a lowered cap do not count (they expire with their connections).
            let held = taken.iter().filter(|k| (0..cap).contains(*k)).count();
            if held as i64 >= cap {
                return Ok(holder.full());
            }
            // A random free one: `cap / (cap - held)` draws on average, no list of `cap`.
            let slot = std::iter::repeat_with(random_slot)
                .find(|k| !taken.contains(k))
                .unwrap_or_default();
            if self.claim_slot(c, holder, slot).await? {
                return Ok(Admission::Admitted);
            }
        }
        Err(StoreError::Unavailable(format!(
            "no slot of {holder:?} claimed in {SLOT_CLAIMS} tries, though some are free"
        )))
    }

    /// Writes slot `slot` of `holder` and the connection's `#META` in one transaction, if
    /// the slot is free (absent, or expired and not yet removed); `false` when it is not.
    async fn claim_slot(
        &self,
        c: &Connection,
        holder: Holder<'_>,
        slot: i64,
    ) -> Result<bool, StoreError> {
        let expires = expires_at();
        let mut held = slot_key(holder.pk(), slot);
        let kind = match holder {
            Holder::Source(_) => "anonymous slot",
            Holder::Account(_) => "account slot",
        };
        held.extend([
            ("kind".to_string(), s(kind)),
            ("connection_id".to_string(), s(&c.connection_id)),
            ("expires_at".to_string(), expires.clone()),
        ]);
        let held = Put::builder()
            .table_name(&self.table)
            .set_item(Some(held))
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", n(gymit_shared::time::epoch_seconds()))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut meta = connection_item(c, expires);
        meta.insert(holder.slot_attribute().into(), n(slot));
        let meta = Put::builder()
            .table_name(&self.table)
            .set_item(Some(meta))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let result = self
            .db
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(held).build())
            .transact_items(TransactWriteItem::builder().put(meta).build())
            .send()
            .await;
        match result.map_err(transaction_error) {
            Ok(_) => Ok(true),
            // Held by a live connection, or being claimed by another transaction right now.
            Err(StoreError::TransactionCancelled(reasons))
                if matches!(
                    reasons.first().map(String::as_str),
                    Some("ConditionalCheckFailed" | "TransactionConflict")
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// The slots of `holder` held by live connections (one strongly consistent Query,
    /// paginated).
    async fn taken_slots(&self, holder: Holder<'_>) -> Result<HashSet<i64>, StoreError> {
        let items = query_all(
            self.db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :slot)")
                .filter_expression("expires_at >= :now")
                .expression_attribute_values(":pk", holder.pk())
                .expression_attribute_values(":slot", s("SLOT#"))
                .expression_attribute_values(":now", n(gymit_shared::time::epoch_seconds()))
                .projection_expression("sk")
                .consistent_read(true),
        )
        .await?;
        Ok(items
            .iter()
            .filter_map(|item| {
                string_of(item, "sk")?
                    .strip_prefix("SLOT#")?
                    .parse::<i64>()
                    .ok()
            })
            .collect())
    }

    /// Whether the service has heard of tournament `id` (one strongly consistent GetItem).
    pub async fn is_known_tournament(&self, id: &str) -> Result<bool, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(known_key(id)))
            .projection_expression("pk")
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item.is_some())
    }

    /// Records that tournament `id` exists; `true` when it was not known before. Idempotent:
    /// an event delivered twice leaves the same item.
    pub async fn remember_tournament(&self, id: &str) -> Result<bool, StoreError> {
        let mut known = known_key(id);
        known.insert("kind".into(), s("known tournament"));
        let result = self
            .db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(known))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Subscribes a connection to a tournament: both sides of the subscription and the
    /// connection's count in one transaction, which holds only while the connection exists
    /// and has room, and (but for the lobby) while the tournament is known: one round trip.
    pub async fn subscribe(
        &self,
        connection_id: &str,
        tournament_id: &str,
    ) -> Result<Subscribed, StoreError> {
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(conn_pk(connection_id), s(META))))
            .update_expression("SET subscriptions = subscriptions + :one")
            .condition_expression("attribute_exists(pk) AND subscriptions < :max")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(MAX_SUBSCRIPTIONS))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut mine = key(conn_pk(connection_id), s(format!("SUB#{tournament_id}")));
        mine.extend([
            ("kind".to_string(), s("subscription")),
            ("tournament_id".to_string(), s(tournament_id)),
            ("expires_at".to_string(), expires_at()),
        ]);
        let mine = Put::builder()
            .table_name(&self.table)
            .set_item(Some(mine))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut theirs = key(sub_pk(tournament_id), s(format!("CONN#{connection_id}")));
        theirs.extend([
            ("kind".to_string(), s("subscriber")),
            ("connection_id".to_string(), s(connection_id)),
            ("expires_at".to_string(), expires_at()),
        ]);
        let theirs = Put::builder()
            .table_name(&self.table)
            .set_item(Some(theirs))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let mut items = vec![
            TransactWriteItem::builder().update(count).build(),
            TransactWriteItem::builder().put(mine).build(),
            TransactWriteItem::builder().put(theirs).build(),
        ];
        if tournament_id != LOBBY {
            let known = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(known_key(tournament_id)))
                .condition_expression("attribute_exists(pk)")
                .build()
                .map_err(|e| StoreError::Other(e.to_string()))?;
            items.push(TransactWriteItem::builder().condition_check(known).build());
        }
        let result = self
            .db
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result.map_err(transaction_error) {
            Ok(_) => Ok(Subscribed::New),
            Err(StoreError::TransactionCancelled(reasons)) => {
                let failed =
                    |i: usize| reasons.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
                if failed(3) {
                    Ok(Subscribed::UnknownTournament)
                } else if failed(1) {
                    Ok(Subscribed::Already)
                } else if failed(0) {
                    match self.connection(connection_id).await? {
                        Some(_) => Ok(Subscribed::Full),
                        None => Ok(Subscribed::Gone),
                    }
                } else {
                    Err(StoreError::TransactionCancelled(reasons))
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Removes a subscription; `false` when there was none (which is not an error).
    pub async fn unsubscribe(
        &self,
        connection_id: &str,
        tournament_id: &str,
    ) -> Result<bool, StoreError> {
        let mine = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                conn_pk(connection_id),
                s(format!("SUB#{tournament_id}")),
            )))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let theirs = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                sub_pk(tournament_id),
                s(format!("CONN#{connection_id}")),
            )))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(conn_pk(connection_id), s(META))))
            .update_expression("SET subscriptions = subscriptions - :one")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(|e| StoreError::Other(e.to_string()))?;
        let result = self
            .db
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(mine).build())
            .transact_items(TransactWriteItem::builder().delete(theirs).build())
            .transact_items(TransactWriteItem::builder().update(count).build())
            .send()
            .await;
        match result.map_err(transaction_error) {
            Ok(_) => Ok(true),
            Err(StoreError::TransactionCancelled(reasons))
                if reasons.iter().any(|r| r == "ConditionalCheckFailed") =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// The connection ids subscribed to `tournament_id` (one Query, paginated).
    pub async fn subscribers(&self, tournament_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(self.audience(tournament_id).await?.subscribers)
    }

    /// The connection ids subscribed to `tournament_id`, and whether the tournament is known
    /// (one Query of its partition, paginated).
    pub async fn audience(&self, tournament_id: &str) -> Result<Audience, StoreError> {
        let items = query_all(
            self.db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", sub_pk(tournament_id))
                .projection_expression("sk, connection_id"),
        )
        .await?;
        let mut audience = Audience {
            subscribers: Vec::new(),
            tournament_known: false,
        };
        for item in &items {
            if string_of(item, "sk").as_deref() == Some(KNOWN) {
                audience.tournament_known = true;
            } else if let Some(id) = string_of(item, "connection_id") {
                audience.subscribers.push(id);
            }
        }
        Ok(audience)
    }

    /// Who receives an event of `kind` about tournament `tid`, each once; records the
    /// tournament as known on the way when the event says it exists (see
    /// `handlers::fanout` for the requests each kind costs).
    pub async fn recipients(&self, kind: EventKind, tid: &str) -> Result<Vec<String>, StoreError> {
        let mut recipients = match kind {
            EventKind::InTournament => return self.subscribers(tid).await,
            EventKind::TournamentCreated => {
                if self.remember_tournament(tid).await? {
                    Vec::new()
                } else {
                    self.subscribers(tid).await?
                }
            }
            EventKind::TournamentChanged => {
                let audience = self.audience(tid).await?;
                if !audience.tournament_known {
                    tracing::warn!(tournament_id = %tid, "tournament not known before: recorded now");
                    self.remember_tournament(tid).await?;
                }
                audience.subscribers
            }
        };
        recipients.extend(self.subscribers(LOBBY).await?);
        recipients.sort();
        recipients.dedup();
        Ok(recipients)
    }

    /// Deletes a connection, both sides of each of its subscriptions and its slot
    /// (one Query, then one BatchWriteItem per 25 items). Idempotent: a connection that is
    /// already gone is nothing to do. Returns how many items it deleted.
    pub async fn remove_connection(&self, connection_id: &str) -> Result<usize, StoreError> {
        let items = query_all(
            self.db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", conn_pk(connection_id))
                .projection_expression(
                    "pk, sk, tournament_id, anonymous_source, anonymous_slot, user_id, account_slot",
                )
                .consistent_read(true),
        )
        .await?;
        let mut keys = Vec::new();
        for item in &items {
            if let (Some(address), Some(slot)) = (
                string_of(item, "anonymous_source"),
                number_of(item, "anonymous_slot"),
            ) {
                keys.push(slot_key(source_pk(&address), slot));
            }
            if let (Some(user_id), Some(slot)) =
                (string_of(item, "user_id"), number_of(item, "account_slot"))
            {
                keys.push(slot_key(account_pk(&user_id), slot));
            }
            if let Some(t) = string_of(item, "tournament_id") {
                keys.push(key(sub_pk(&t), s(format!("CONN#{connection_id}"))));
            }
            if let (Some(pk), Some(sk)) = (item.get("pk"), item.get("sk")) {
                keys.push(key(pk.clone(), sk.clone()));
            }
        }
        self.delete_all(&keys).await?;
        Ok(keys.len())
    }

    /// Deletes `keys` with BatchWriteItems, resubmitting what DynamoDB leaves unprocessed.
    async fn delete_all(&self, keys: &[Item]) -> Result<(), StoreError> {
        let requests: Vec<WriteRequest> = keys
            .iter()
            .map(|k| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(k.clone()))
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(batch_write_all(&self.db, &self.table, requests, &RESEND_UNPROCESSED).await?)
    }
}
