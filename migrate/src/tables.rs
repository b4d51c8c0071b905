//! The three tables an import writes, named as the functions name them (`AUTH_TABLE`,
//! `USERS_TABLE`, `TOURNAMENTS_TABLE`; the local stack's names by default), reached through
//! the SDK configured as every function's (`AWS_ENDPOINT_URL`; real AWS when unset).
//!
//! Items are read and written in batches: BatchGetItem of 100 keys to learn what is already
//! there, BatchWriteItem of 25 requests to write, what DynamoDB leaves unprocessed resent
//! through `gymit_shared::batch` (the shared retry), a few batches in flight at a time, and
//! at most `--max-writes-per-second` item writes per second and table.

use std::{
    collections::HashMap,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use aws_sdk_dynamodb::{
    types::{AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest},
    Client,
};
use futures::{stream, StreamExt, TryStreamExt};
use gymit_shared::{
    batch::{batch_get_all, batch_write_all, BatchError, RESEND_UNPROCESSED},
    dynamo::{s, Item, StoreError},
    retry::Policy,
};

use crate::progress::TableProgress;

/// Keys a BatchGetItem left unprocessed are asked for again: eight tries.
const UNPROCESSED_KEYS: Policy = Policy::attempts(8, Duration::from_millis(20));
/// Batches in flight at a time, per table.
const IN_FLIGHT: usize = 4;

/// An item's key, as a pair of strings.
pub type Key = (String, String);

pub fn key_of(item: &Item) -> Key {
    let part = |k: &str| match item.get(k) {
        Some(AttributeValue::S(v)) => v.clone(),
        _ => String::new(),
    };
    (part("pk"), part("sk"))
}

fn key_item((pk, sk): &Key) -> Item {
    Item::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// One table and its write budget.
pub struct Table {
    pub db: Client,
    pub name: String,
    /// The environment variable that names it (how the report calls it).
    pub variable: &'static str,
    limit: Option<RateLimit>,
}

/// The three tables.
pub struct Tables {
    pub auth: Table,
    pub users: Table,
    pub tournaments: Table,
}

impl Tables {
    pub async fn from_env(max_writes_per_second: Option<u32>) -> Self {
        let db = Client::new(&patient_sdk_config().await);
        let table = |variable: &'static str, local: &str| Table {
            db: db.clone(),
            name: std::env::var(variable).unwrap_or_else(|_| local.to_string()),
            variable,
            limit: max_writes_per_second.map(RateLimit::new),
        };
        Tables {
            auth: table("AUTH_TABLE", "gymit-auth"),
            users: table("USERS_TABLE", "gymit-users"),
            tournaments: table("TOURNAMENTS_TABLE", "gymit-tournaments"),
        }
    }
}

/// The functions' SDK configuration (`gymit_shared::aws`) with the patience of a batch job:
/// a function must answer within its own timeout, an import must rather wait for a busy
/// table than stop (measured: a 25-item BatchWriteItem to the emulator on a loaded machine
/// took longer than the functions' 8 s).
async fn patient_sdk_config() -> aws_config::SdkConfig {
    let base = gymit_shared::aws::sdk_config().await;
    base.into_builder()
        .retry_config(
            aws_config::retry::RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(Duration::from_millis(100)),
        )
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(60))
                .operation_timeout(Duration::from_secs(300))
                .build(),
        )
        .build()
}

/// At most `per_second` item writes per second since the first one.
struct RateLimit {
    per_second: u32,
    started: Instant,
    granted: AtomicU64,
}

impl RateLimit {
    fn new(per_second: u32) -> Self {
        Self {
            per_second: per_second.max(1),
            started: Instant::now(),
            granted: AtomicU64::new(0),
        }
    }

    async fn acquire(&self, n: u64) {
        let before = self.granted.fetch_add(n, Ordering::SeqCst);
        let due =
            self.started + Duration::from_secs_f64(before as f64 / f64::from(self.per_second));
        tokio::time::sleep_until(due.into()).await;
    }
}

/// A write: an item to put, or a key to delete.
pub enum Write {
    Put(Item),
    Delete(Key),
}

impl Table {
    /// The stored items among `keys`, by key (strongly consistent).
    pub async fn existing(&self, keys: Vec<Key>) -> Result<HashMap<Key, Item>, StoreError> {
        let chunks: Vec<Vec<Key>> = keys.chunks(100).map(<[Key]>::to_vec).collect();
        let found: Vec<Vec<Item>> = stream::iter(chunks)
            .map(|chunk| async move {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(key_item).collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Other(e.to_string()))?;
                batch_get_all(&self.db, &self.name, request, &UNPROCESSED_KEYS)
                    .await
                    .map_err(StoreError::from)
            })
            .buffer_unordered(IN_FLIGHT)
            .try_collect()
            .await?;
        Ok(found
            .into_iter()
            .flatten()
            .map(|item| (key_of(&item), item))
            .collect())
    }

    /// The keys of one partition (a tournament's items), paginated.
    pub async fn partition_keys(&self, pk: &str) -> Result<Vec<Key>, StoreError> {
        let mut keys = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .query()
                .table_name(&self.name)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .projection_expression("pk, sk")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(StoreError::from_sdk)?;
            keys.extend(out.items.unwrap_or_default().iter().map(key_of));
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(keys),
            }
        }
    }

    /// Writes every request, 25 to a BatchWriteItem, a few in flight, under the rate limit.
    pub async fn write(
        &self,
        writes: Vec<Write>,
        progress: &TableProgress,
    ) -> Result<u64, StoreError> {
        let requests = writes
            .into_iter()
            .map(|w| {
                let request = match w {
                    Write::Put(item) => WriteRequest::builder().put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .map_err(|e| StoreError::Other(e.to_string()))?,
                    ),
                    Write::Delete(key) => WriteRequest::builder().delete_request(
                        DeleteRequest::builder()
                            .set_key(Some(key_item(&key)))
                            .build()
                            .map_err(|e| StoreError::Other(e.to_string()))?,
                    ),
                };
                Ok(request.build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let total = requests.len() as u64;
        let chunks: Vec<Vec<WriteRequest>> =
            requests.chunks(25).map(<[WriteRequest]>::to_vec).collect();
        stream::iter(chunks)
            .map(|chunk| async move {
                let n = chunk.len() as u64;
                if let Some(limit) = &self.limit {
                    limit.acquire(n).await;
                }
                match batch_write_all(&self.db, &self.name, chunk, &RESEND_UNPROCESSED).await {
                    Ok(()) => {
                        progress.add(n);
                        Ok(())
                    }
                    Err(BatchError::Unprocessed(left)) => Err(StoreError::Unavailable(format!(
                        "{}: {left} writes still unprocessed after retries",
                        self.name
                    ))),
                    Err(BatchError::Store(e)) => Err(e),
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(total)
    }
}
