//! The health check every service exposes (`GET /api/<service>/healthz`): one cheap call on
//! the service's table with a short timeout. 200 `ok`, or 503 `degraded` with the same shape.

use std::time::Duration;

use crate::{http, ApiError, Response};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn table_reachable(client: &aws_sdk_dynamodb::Client, table: &str) -> bool {
    let call = client.describe_table().table_name(table).send();
    match tokio::time::timeout(Duration::from_millis(1500), call).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::dynamo::StoreError::from_sdk(e), table, "health check failed");
            false
        }
        Err(_) => {
            tracing::warn!(table, "health check timed out");
            false
        }
    }
}

pub async fn respond(
    service: &str,
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Result<Response, ApiError> {
    let ok = table_reachable(client, table).await;
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "degraded" },
        "service": service,
        "version": VERSION,
    });
    http::json(if ok { 200 } else { 503 }, &body)
}

/// What a healthz function needs: the service's name, its table and a client.
pub struct Health {
    pub service: &'static str,
    pub db: aws_sdk_dynamodb::Client,
    pub table: String,
}

impl Health {
    pub async fn from_env(
        service: &'static str,
        table_var: &str,
    ) -> Result<Self, crate::config::ConfigError> {
        let table = crate::config::required(table_var)?;
        Ok(Self {
            service,
            db: crate::aws::dynamodb().await,
            table,
        })
    }

    pub async fn respond(&self) -> Result<Response, ApiError> {
        respond(self.service, &self.db, &self.table).await
    }
}
