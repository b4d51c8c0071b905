//! The account state that `$connect` checks for a `?token=` (API.md: a banned or deactivated
//! account's token, or one issued before the account's last password change, refuses the
//! connection with 401). Read-only: one GetItem on the auth service's table (the template
//! grants this function `dynamodb:GetItem` on it and nothing else), the same record the HTTP
//! API's authorizer reads.

use aws_sdk_dynamodb::{types::AttributeValue, Client};
use gymit_shared::{dynamo::StoreError, jwt::Claims};

pub struct Accounts {
    db: Client,
    table: String,
}

/// Why a token may not open a connection, or `Ok` with the account's current role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Active { role: String },
    Refused,
}

impl Accounts {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    /// Whether the verified `claims` may act now: the account exists, is active, is not
    /// banned, and the token was issued after its last password change.
    pub async fn standing(&self, claims: &Claims) -> Result<Standing, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("USER#{}", claims.sub)))
            .key("sk", AttributeValue::S("ACCOUNT".into()))
            .projection_expression("is_active, is_banned, tokens_valid_after_ms, #r")
            .expression_attribute_names("#r", "role")
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let Some(item) = out.item else {
            return Ok(Standing::Refused);
        };
        let flag = |k: &str| matches!(item.get(k), Some(AttributeValue::Bool(true)));
        let valid_after = match item.get("tokens_valid_after_ms") {
            Some(AttributeValue::N(n)) => n.parse::<i64>().unwrap_or(i64::MAX),
            _ => 0,
        };
        if !flag("is_active") || flag("is_banned") || claims.issued_at_ms() < valid_after {
            return Ok(Standing::Refused);
        }
        let role = match item.get("role") {
            Some(AttributeValue::S(r)) => r.clone(),
            _ => claims.role.clone(),
        };
        Ok(Standing::Active { role })
    }
}
