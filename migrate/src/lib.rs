//! `gymit-migrate`: a gym's monolith database into GymIT (LEGACY.md, docs/migration.md).
//!
//! Layers, one way: `legacy` reads PostgreSQL; `ids` and `text` are the stated rules for
//! ids and text; `accounts` and `tournaments` plan, purely, every item a legacy row becomes
//! (through the services' own types, stores and bracket engine) and what the report says of
//! it; `tables` reads and writes DynamoDB in batches; `import` and `verify` put them
//! together; `progress` and `report` say what happened.

pub mod accounts;
pub mod ids;
pub mod import;
pub mod legacy;
pub mod progress;
pub mod report;
pub mod tables;
pub mod text;
pub mod tournaments;
pub mod verify;

use gymit_shared::dynamo::StoreError;

/// Why a run stopped.
#[derive(Debug)]
pub enum MigrateError {
    /// The monolith's database could not be read.
    Source(tokio_postgres::Error),
    /// A GymIT table could not be read or written.
    Store(StoreError),
    /// The report could not be written.
    Report(std::io::Error),
}

impl std::fmt::Display for MigrateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MigrateError::Source(e) => write!(f, "reading the monolith's database: {e}"),
            MigrateError::Store(e) => write!(f, "GymIT's tables: {e}"),
            MigrateError::Report(e) => write!(f, "writing the report: {e}"),
        }
    }
}

impl std::error::Error for MigrateError {}

impl From<tokio_postgres::Error> for MigrateError {
    fn from(e: tokio_postgres::Error) -> Self {
        MigrateError::Source(e)
    }
}

impl From<StoreError> for MigrateError {
    fn from(e: StoreError) -> Self {
        MigrateError::Store(e)
    }
}
