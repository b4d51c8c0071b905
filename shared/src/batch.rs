//! BatchWriteItem and BatchGetItem to the end: DynamoDB may answer a batch only in part
//! (`UnprocessedItems`, `UnprocessedKeys`, under throttling), and what it leaves must be
//! sent again, with backoff, until it is done or a `Policy` says to stop.
//!
//! One table per call. Whether a remainder is an error is the caller's call: a write that
//! must land fails, a best-effort cleanup shrugs (`BatchError::Unprocessed`).

use std::sync::{Mutex, MutexGuard, PoisonError};

use aws_sdk_dynamodb::{
    types::{KeysAndAttributes, WriteRequest},
    Client,
};

use crate::{
    dynamo::{Item, StoreError},
    retry::{retry, Attempt, Policy},
};

/// The most writes one BatchWriteItem takes.
const WRITES_PER_BATCH: usize = 25;

/// Resending what DynamoDB left unprocessed: eight sends in all, 20 ms base.
pub const RESEND_UNPROCESSED: Policy = Policy::attempts(8, std::time::Duration::from_millis(20));

/// Why a batch did not get done.
#[derive(Debug)]
pub enum BatchError {
    /// A call failed (the SDK has already retried what it retries).
    Store(StoreError),
    /// DynamoDB still left this many writes or keys unprocessed when the policy ran out.
    Unprocessed(usize),
}

/// Writes every request to `table`, 25 to a BatchWriteItem, resending what each leaves
/// unprocessed while `policy` allows (the policy applies to each BatchWriteItem). A failed
/// call stops at once; a remainder does not stop the later batches, and `Unprocessed` then
/// counts what was left of them all.
pub async fn batch_write_all(
    db: &Client,
    table: &str,
    requests: Vec<WriteRequest>,
    policy: &Policy,
) -> Result<(), BatchError> {
    let mut left = 0;
    for chunk in requests.chunks(WRITES_PER_BATCH) {
        let pending = &Mutex::new(chunk.to_vec());
        let written = retry(policy, |_| async move {
            let out = db
                .batch_write_item()
                .request_items(table, take(pending))
                .send()
                .await
                .map_err(|e| BatchError::Store(StoreError::from_sdk(e)))?;
            let unprocessed = out
                .unprocessed_items
                .and_then(|mut u| u.remove(table))
                .unwrap_or_default();
            if unprocessed.is_empty() {
                return Ok(Attempt::Done(()));
            }
            let count = unprocessed.len();
            *lock(pending) = unprocessed;
            Ok(Attempt::Retry(BatchError::Unprocessed(count)))
        })
        .await;
        match written {
            Ok(()) => {}
            Err(BatchError::Unprocessed(n)) => left += n,
            Err(store) => return Err(store),
        }
    }
    match left {
        0 => Ok(()),
        n => Err(BatchError::Unprocessed(n)),
    }
}

/// The items of `keys` (at most 100, as one BatchGetItem takes) in `table`, asking again for
/// the keys each answer leaves unprocessed while `policy` allows. Items come in no order.
pub async fn batch_get_all(
    db: &Client,
    table: &str,
    keys: KeysAndAttributes,
    policy: &Policy,
) -> Result<Vec<Item>, BatchError> {
    let items = &Mutex::new(Vec::new());
    let pending = &Mutex::new(Some(keys));
    retry(policy, |_| async move {
        let Some(keys) = take(pending) else {
            return Ok(Attempt::Done(()));
        };
        let out = db
            .batch_get_item()
            .request_items(table, keys)
            .send()
            .await
            .map_err(|e| BatchError::Store(StoreError::from_sdk(e)))?;
        let got = out.responses.and_then(|mut r| r.remove(table));
        lock(items).extend(got.unwrap_or_default());
        let left = out
            .unprocessed_keys
            .and_then(|mut u| u.remove(table))
            .filter(|k| !k.keys().is_empty());
        Ok(match left {
            None => Attempt::Done(()),
            Some(left) => {
                let count = left.keys().len();
                *lock(pending) = Some(left);
                Attempt::Retry(BatchError::Unprocessed(count))
            }
        })
    })
    .await?;
    Ok(take(items))
}

// The state an attempt hands the next: never locked across an await, so never contended.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn take<T: Default>(m: &Mutex<T>) -> T {
    std::mem::take(&mut *lock(m))
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::Store(e) => e.fmt(f),
            BatchError::Unprocessed(n) => write!(f, "{n} left unprocessed"),
        }
    }
}

impl std::error::Error for BatchError {}

/// A batch that could not be finished is a store that is unavailable (throttled).
impl From<BatchError> for StoreError {
    fn from(err: BatchError) -> Self {
        match err {
            BatchError::Store(e) => e,
            BatchError::Unprocessed(n) => {
                StoreError::Unavailable(format!("{n} writes or keys left unprocessed"))
            }
        }
    }
}
