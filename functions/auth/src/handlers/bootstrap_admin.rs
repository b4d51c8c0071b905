//! `auth-bootstrap-admin` (no route): creates the root admin from `ROOT_ADMIN_EMAIL` and
//! the password in the secret `ROOT_ADMIN_SECRET_ARN`, invoked once by the operator or by `make dev`. Idempotent: run
//! again, it finds the account and makes sure the profile exists.

use gymit_shared::{config, identity::Role, validate::Validator};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    blocking,
    domain::{check_email, check_password, hash_password, Account},
    store::CreateError,
    Registration,
};

/// What the operator (or `make dev`) invokes it with: nothing, `{}`. Any field is ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Bootstrap {}

pub struct RootAdmin {
    pub email: String,
    pub password: String,
}

impl RootAdmin {
    /// The password is read from the Secrets Manager secret `ROOT_ADMIN_SECRET_ARN`
    /// (field `password`) at start, never from a plaintext variable on AWS.
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        Ok(Self {
            email: config::required("ROOT_ADMIN_EMAIL")?,
            password: config::secret_field(
                "ROOT_ADMIN_SECRET_ARN",
                "password",
                "ROOT_ADMIN_PASSWORD",
            )
            .await?,
        })
    }
}

pub async fn handle(state: &Registration, root: &RootAdmin) -> Result<Value, String> {
    let mut v = Validator::new();
    let email = check_email(&mut v, &root.email);
    check_password(&mut v, "ROOT_ADMIN_PASSWORD", &root.password, Some(&email));
    v.finish()
        .map_err(|e| format!("invalid root admin configuration: {:?}", e.errors))?;

    let (account, created) = match state
        .store
        .account_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(existing) if existing.is_root_admin => (existing, false),
        Some(_) => {
            return Err(format!(
                "{email} belongs to an account that is not the root admin"
            ))
        }
        None => {
            let password = root.password.clone();
            let hash = blocking(move || hash_password(&password))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            let mut account = Account::new(email, "Root Admin".into(), hash);
            account.role = Role::Admin;
            account.is_approved = true;
            account.is_root_admin = true;
            match state.store.create_account(&account).await {
                Ok(()) => (account, true),
                Err(CreateError::EmailTaken) => {
                    return Err("the root admin was created concurrently; run again".into())
                }
                Err(CreateError::Store(e)) => return Err(e.to_string()),
            }
        }
    };
    let user = account.to_user();
    state.profiles.create(&user, "bootstrap-admin").await?;
    tracing::info!(user_id = %user.id, created, "root admin ready");
    Ok(json!({ "created": created, "user": user }))
}
