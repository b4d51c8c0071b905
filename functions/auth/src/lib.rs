//! The auth service: accounts, password hashing, access and refresh tokens, the login
//! lockout, and the HTTP API's Lambda authorizer. Layers: `handlers` → `domain` ← `store`;
//! `profiles` is the client of the user service.

pub mod domain;
pub mod handlers;
pub mod profiles;
pub mod session;
pub mod store;

use gymit_shared::{config, jwt::Tokens};

use crate::{profiles::Profiles, store::AuthStore};

/// What most auth functions need, built once per process.
pub struct Auth {
    pub store: AuthStore,
    pub tokens: Tokens,
}

impl Auth {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let table = config::required("AUTH_TABLE")?;
        let tokens = Tokens::from_env().await?;
        Ok(Self {
            store: AuthStore::new(gymit_shared::aws::dynamodb().await, table),
            tokens,
        })
    }
}

/// Registration also needs the user service.
pub struct Registration {
    pub auth: Auth,
    pub profiles: Profiles,
}

impl Registration {
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let function = config::required("USERS_CREATE_FUNCTION")?;
        let auth = Auth::from_env().await?;
        let sdk = gymit_shared::aws::sdk_config().await;
        Ok(Self {
            auth,
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
