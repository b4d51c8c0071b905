//! The auth service: accounts, password hashing, access and refresh tokens, the login
//! lockout, and the HTTP API's Lambda authorizer. Layers: `handlers` → `domain` ← `store`;
//! `profiles` is the client of the user service; `credentials` verifies passwords in even
//! time for the handlers.

pub mod cookie;
pub mod credentials;
pub mod domain;
pub mod email;
pub mod handlers;
pub mod profiles;
pub mod session;
pub mod store;

use gymit_shared::{config, jwt::Tokens};

use crate::{profiles::Profiles, store::AuthStore};

/// What the functions that sign or verify access tokens need, built once per process:
/// only they read the signing keys (docs/security.md, "The signing key").
pub struct Auth {
    pub store: AuthStore,
    pub tokens: Tokens,
}

impl Auth {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let tokens = Tokens::from_env().await?;
        Ok(Self {
            store: store_from_env().await?,
            tokens,
        })
    }
}

/// The auth table's store, for the functions that neither sign nor verify a token
/// (register, logout, the bootstrap, the user-event sync, the password reset).
pub async fn store_from_env() -> Result<AuthStore, config::ConfigError> {
    let table = config::required("AUTH_TABLE")?;
    Ok(AuthStore::new(gymit_shared::aws::dynamodb().await, table))
}

/// Registration also needs the user service; it signs nothing.
pub struct Registration {
    pub store: AuthStore,
    pub profiles: Profiles,
}

impl Registration {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let function = config::required("USERS_CREATE_FUNCTION")?;
        let store = store_from_env().await?;
        let sdk = gymit_shared::aws::sdk_config().await;
        Ok(Self {
            store,
            profiles: Profiles::new(aws_sdk_lambda::Client::new(&sdk), function),
        })
    }
}

/// Runs argon2 on the blocking pool so the runtime's threads are never stalled.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, gymit_shared::ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        gymit_shared::ApiError::internal()
    })
}

/// The source address of a request as API Gateway reports it
/// (`requestContext.http.sourceIp`; locally the TCP peer), keyed as the login lockout
/// counts it (`domain::source_key`).
pub fn source_address(req: &gymit_shared::Request) -> String {
    use lambda_http::{request::RequestContext, RequestExt};
    let reported = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.as_deref(),
        _ => None,
    };
    domain::source_key(reported)
}
