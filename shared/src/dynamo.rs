//! DynamoDB helpers shared by the stores: attribute builders, item (de)serialisation, and
//! the classification of SDK errors so a store can say *what* went wrong (a condition
//! failed, a transaction was cancelled, the table is unreachable) without leaking SDK
//! messages to clients.

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    error::SdkError, operation::query::builders::QueryFluentBuilder, types::AttributeValue,
};
use serde::{de::DeserializeOwned, Serialize};

use crate::ApiError;

pub type Item = HashMap<String, AttributeValue>;

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Every item a Query answers, page after page (the SDK's paginator): the one page loop of
/// every store.
pub async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    query
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(StoreError::from_sdk)
}

/// Why a store call failed, in the terms a handler decides on.
#[derive(Debug)]
pub enum StoreError {
    /// A `ConditionExpression` did not hold (single-item write).
    ConditionFailed,
    /// A transaction was cancelled; one reason per action, `"None"` for those that were fine.
    TransactionCancelled(Vec<String>),
    /// Throttled, timed out or unreachable after the SDK's retries.
    Unavailable(String),
    /// An item that does not match our own schema.
    Corrupt(String),
    /// Anything else (a bug on our side, e.g. an invalid expression).
    Other(String),
}

impl StoreError {
    pub fn from_sdk<E, R>(err: SdkError<E, R>) -> Self
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
        R: std::fmt::Debug,
    {
        match &err {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => StoreError::Unavailable(format!("{err:?}")),
            SdkError::ServiceError(service) => {
                let e = service.err();
                match e.code() {
                    Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
                    Some(
                        "ProvisionedThroughputExceededException"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                        | "ResourceNotFoundException",
                    ) => StoreError::Unavailable(format!("{:?}", e.code())),
                    Some("TransactionConflictException") => {
                        StoreError::TransactionCancelled(vec!["TransactionConflict".into()])
                    }
                    _ => StoreError::Other(format!("{:?}: {:?}", e.code(), e.message())),
                }
            }
            _ => StoreError::Other(format!("{err:?}")),
        }
    }

    /// Whether retrying the same transaction might succeed (another writer got there first).
    pub fn is_transaction_conflict(&self) -> bool {
        matches!(self, StoreError::TransactionCancelled(reasons)
            if reasons.iter().any(|r| r == "TransactionConflict"))
    }
}

/// Turns a cancelled `TransactWriteItems` into its per-action reasons.
pub fn transaction_error<R: std::fmt::Debug>(
    err: SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>,
) -> StoreError {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    if let SdkError::ServiceError(service) = &err {
        if let TransactWriteItemsError::TransactionCanceledException(e) = service.err() {
            let reasons = e
                .cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_string())
                .collect();
            return StoreError::TransactionCancelled(reasons);
        }
    }
    StoreError::from_sdk(err)
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::ConditionFailed => write!(f, "condition failed"),
            StoreError::TransactionCancelled(r) => write!(f, "transaction cancelled: {r:?}"),
            StoreError::Unavailable(m) => write!(f, "store unavailable: {m}"),
            StoreError::Corrupt(m) => write!(f, "corrupt item: {m}"),
            StoreError::Other(m) => write!(f, "store error: {m}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// A store failure the handler did not turn into a domain answer: 503 when the store was
/// unreachable, 500 otherwise. The cause is logged, never sent.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match &err {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %err, "store unavailable");
                ApiError::dependency_unavailable("the data store is unavailable, try again")
            }
            StoreError::TransactionCancelled(_) if err.is_transaction_conflict() => {
                tracing::warn!(error = %err, "transaction kept conflicting");
                ApiError::dependency_unavailable("the data store is busy, try again")
            }
            _ => {
                tracing::error!(error = %err, "store error");
                ApiError::internal()
            }
        }
    }
}
