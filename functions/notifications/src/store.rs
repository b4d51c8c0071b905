//! The connections table, the only way the notification functions touch DynamoDB.
//!
//! Items (`pk`, `sk`):
//! - `CONN#<connection id>`, `#META`: the connection, who opened it, when, and how many
//!   subscriptions it holds (capped, so one socket cannot make every fan-out expensive);
//! - `CONN#<connection id>`, `SUB#<tournament id>`: the connection's side of a subscription,
//!   so a disconnect finds everything to delete with one Query;
//! - `SUB#<tournament id>`, `CONN#<connection id>`: the tournament's side, so a fan-out finds
//!   every subscriber with one Query. The lobby is the tournament id `*`.
//!
//! - `SOURCE#<address>`, `#ANONYMOUS`: how many anonymous connections one source address
//!   holds (capped at `$connect`, given back at `$disconnect`).
//! - `TOURNAMENT#<tournament id>`, `#KNOWN`: a tournament exists (the fan-out writes it
//!   from the tournament service's `tournament.*` events), so a subscription to an id that
//!   names no tournament is refused without reading the tournament service's table.
//!
//! Every connection, subscription and source item expires (`expires_at`, TTL) two hours
//! after it was written: API Gateway closes any connection after two hours, so nothing
//! outlives its socket for long even when a `$disconnect` never arrives. Known
//! tournaments stay (tournaments are never deleted).

use aws_sdk_dynamodb::{
    types::{AttributeValue, Delete, DeleteRequest, Put, TransactWriteItem, Update, WriteRequest},
    Client,
};
use gymit_shared::{
    batch::{batch_write_all, RESEND_UNPROCESSED},
    dynamo::{n, s, transaction_error, Item, StoreError},
};

/// API Gateway's maximum connection duration, and so the life of every item.
pub const CONNECTION_TTL_SECONDS: i64 = 2 * 3600;
/// Subscriptions one connection may hold at a time.
pub const MAX_SUBSCRIPTIONS: i64 = 50;

const META: &str = "#META";

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

fn source_key(address: &str) -> Item {
    key(s(format!("SOURCE#{address}")), s("#ANONYMOUS"))
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
    key(s(format!("TOURNAMENT#{tournament_id}")), s("#KNOWN"))
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

impl ConnectionsStore {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    pub async fn put_connection(&self, c: &Connection) -> Result<(), StoreError> {
        let mut item = key(conn_pk(&c.connection_id), s(META));
        item.extend([
            ("kind".to_string(), s("connection")),
            ("connection_id".to_string(), s(&c.connection_id)),
            ("connected_at".to_string(), s(&c.connected_at)),
            ("subscriptions".to_string(), n(0)),
            ("expires_at".to_string(), expires_at()),
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
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
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

    /// Takes one of `cap` anonymous connection slots of a source address, atomically;
    /// `false` when all are taken. The counter expires with the connections it counts.
    pub async fn claim_anonymous_slot(&self, address: &str, cap: i64) -> Result<bool, StoreError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(source_key(address)))
            .update_expression("ADD #c :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(#c) OR #c < :cap")
            .expression_attribute_names("#c", "connections")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":cap", n(cap))
            .expression_attribute_values(":exp", expires_at())
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) => Ok(true),
            Err(StoreError::ConditionFailed) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Gives a slot back (never below zero).
    pub async fn release_anonymous_slot(&self, address: &str) -> Result<(), StoreError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .set_key(Some(source_key(address)))
            .update_expression("ADD #c :minus")
            .condition_expression("#c > :zero")
            .expression_attribute_names("#c", "connections")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(StoreError::from_sdk);
        match result {
            Ok(_) | Err(StoreError::ConditionFailed) => Ok(()),
            Err(e) => Err(e),
        }
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

    /// Records that tournament `id` exists (idempotent: an event delivered twice writes the
    /// same item twice).
    pub async fn remember_tournament(&self, id: &str) -> Result<(), StoreError> {
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(known_key(id)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Subscribes a connection to a tournament: both sides of the subscription and the
    /// connection's count in one transaction, which holds only while the connection exists
    /// and has room.
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
        let result = self
            .db
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(count).build())
            .transact_items(TransactWriteItem::builder().put(mine).build())
            .transact_items(TransactWriteItem::builder().put(theirs).build())
            .send()
            .await;
        match result.map_err(transaction_error) {
            Ok(_) => Ok(Subscribed::New),
            Err(StoreError::TransactionCancelled(reasons)) => {
                let failed =
                    |i: usize| reasons.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
                if failed(1) {
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
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", sub_pk(tournament_id))
                .projection_expression("connection_id")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            ids.extend(
                out.items()
                    .iter()
                    .filter_map(|item| string_of(item, "connection_id")),
            );
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(ids);
            }
        }
    }

    /// Deletes a connection and both sides of each of its subscriptions, and gives back its
    /// anonymous slot. Idempotent: a connection that is already gone is nothing to do.
    /// Returns how many items it deleted.
    pub async fn remove_connection(&self, connection_id: &str) -> Result<usize, StoreError> {
        let mut keys = Vec::new();
        let mut source = None;
        let mut start = None;
        loop {
            let out = self
                .db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", conn_pk(connection_id))
                .projection_expression("pk, sk, tournament_id, anonymous_source")
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            for item in out.items() {
                if let Some(a) = string_of(item, "anonymous_source") {
                    source = Some(a);
                }
                if let Some(t) = string_of(item, "tournament_id") {
                    keys.push(key(sub_pk(&t), s(format!("CONN#{connection_id}"))));
                }
                if let (Some(pk), Some(sk)) = (item.get("pk"), item.get("sk")) {
                    keys.push(key(pk.clone(), sk.clone()));
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        let deleted = keys.len();
        self.delete_all(&keys).await?;
        // The slot is given back only by the call that found the connection, so a repeated
        // `$disconnect` cannot give it back twice.
        if let Some(address) = source.filter(|_| deleted > 0) {
            self.release_anonymous_slot(&address).await?;
        }
        Ok(deleted)
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
