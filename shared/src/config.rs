//! Configuration comes from the environment, read and validated once at start-up. A missing
//! or malformed variable fails the function's init with a message naming it, so a broken
//! deployment shows up at the first cold start, not in the middle of a request.

use std::{fmt, str::FromStr};

#[derive(Debug)]
pub struct ConfigError {
    pub name: String,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "environment variable {}: {}", self.name, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// A required, non-empty variable.
pub fn required(name: &str) -> Result<String, ConfigError> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value),
        Ok(_) => Err(ConfigError {
            name: name.into(),
            problem: "is empty".into(),
        }),
        Err(_) => Err(ConfigError {
            name: name.into(),
            problem: "is not set".into(),
        }),
    }
}

/// An optional variable with a default.
pub fn or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// An optional variable parsed into `T`, with a default; a value that does not parse is an error.
pub fn parsed_or<T: FromStr>(name: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: fmt::Display,
{
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => {
            value.trim().parse().map_err(|e: T::Err| ConfigError {
                name: name.into(),
                problem: format!("cannot parse {value:?}: {e}"),
            })
        }
        _ => Ok(default),
    }
}

/// The development key of `gymit-local`: public (it is in the repository), so it is refused
/// wherever no emulator endpoint is configured.
pub const DEVELOPMENT_JWT_SECRET: &str = "gymit-local-development-secret-not-for-production";

/// Whether the SDK talks to a local emulator (`AWS_ENDPOINT_URL` set): never on Lambda.
pub fn emulator_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// The keys that sign and verify access tokens (and derive the cursor key), read once at
/// cold start, only by the functions that need them:
/// - `JWT_SECRET_ARN`: a Secrets Manager secret (name or ARN) holding the key set's JSON
///   (`jwt::KeySet::parse`); on AWS and under `gymit-local` alike (the emulator's
///   Secrets Manager), so locally the same code path runs.
/// - `JWT_SECRET` (plaintext): only with an emulator endpoint (in-process tests); refused
///   on AWS, where an environment variable is readable by anyone who may read the
///   function's configuration.
///
/// Every key has at least 32 bytes, and the development key is refused without an emulator.
pub async fn jwt_keys() -> Result<crate::jwt::KeySet, ConfigError> {
    let keys =
        match secret_string("JWT_SECRET_ARN").await? {
            Some(text) => crate::jwt::KeySet::parse(&text).map_err(|problem| ConfigError {
                name: "JWT_SECRET_ARN".into(),
                problem: format!("the secret {problem}"),
            })?,
            None if emulator_endpoint().is_some() => {
                crate::jwt::KeySet::single(&required("JWT_SECRET")?)
            }
            None => return Err(ConfigError {
                name: "JWT_SECRET_ARN".into(),
                problem:
                    "is not set (a plaintext JWT_SECRET is only accepted with an emulator endpoint)"
                        .into(),
            }),
        };
    check_keys(&keys, emulator_endpoint().is_some())?;
    Ok(keys)
}

/// The `SecretString` of the Secrets Manager secret named by variable `var` (its name or
/// ARN), read now (at cold start); `None` when `var` is not set.
pub async fn secret_string(var: &str) -> Result<Option<String>, ConfigError> {
    let Some(id) = std::env::var(var).ok().filter(|v| !v.trim().is_empty()) else {
        return Ok(None);
    };
    let sdk = crate::aws::sdk_config().await;
    let out = aws_sdk_secretsmanager::Client::new(&sdk)
        .get_secret_value()
        .secret_id(&id)
        .send()
        .await
        .map_err(|e| ConfigError {
            name: var.into(),
            problem: format!(
                "cannot read the secret: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            ),
        })?;
    out.secret_string()
        .map(|s| Some(s.to_string()))
        .ok_or_else(|| ConfigError {
            name: var.into(),
            problem: "the secret has no SecretString".into(),
        })
}

/// A string field of the JSON secret named by `var`, or, only against an emulator, the
/// plaintext variable `fallback` (in-process tests).
pub async fn secret_field(var: &str, field: &str, fallback: &str) -> Result<String, ConfigError> {
    match secret_string(var).await? {
        Some(text) => serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get(field)?.as_str().map(str::to_string))
            .ok_or_else(|| ConfigError {
                name: var.into(),
                problem: format!("the secret has no string field {field:?}"),
            }),
        None if emulator_endpoint().is_some() => required(fallback),
        None => Err(ConfigError {
            name: var.into(),
            problem: format!(
                "is not set (a plaintext {fallback} is only accepted with an emulator endpoint)"
            ),
        }),
    }
}

/// Each key at least 32 bytes; the development key only against an emulator.
pub fn check_keys(keys: &crate::jwt::KeySet, emulator: bool) -> Result<(), ConfigError> {
    for key in keys.all() {
        if key.secret.len() < 32 {
            return Err(ConfigError {
                name: "JWT_SECRET".into(),
                problem: format!("key {} must be at least 32 bytes", key.kid),
            });
        }
        if key.secret == DEVELOPMENT_JWT_SECRET && !emulator {
            return Err(ConfigError {
                name: "JWT_SECRET".into(),
                problem: "is the public development key, refused outside the local emulator".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_variable_is_named_in_the_error() {
        let err = required("GYMIT_TEST_SURELY_UNSET").unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable GYMIT_TEST_SURELY_UNSET: is not set"
        );
    }

    #[test]
    fn the_development_key_is_refused_without_an_emulator() {
        let dev = crate::jwt::KeySet::single(DEVELOPMENT_JWT_SECRET);
        let err = check_keys(&dev, false).unwrap_err();
        assert!(err.to_string().contains("development key"), "{err}");
        assert!(check_keys(&dev, true).is_ok());
        let rotated_to_dev = crate::jwt::KeySet::parse(&format!(
            r#"{{"kid": "a", "secret": "a-real-secret-a-real-secret-a-real-secret",
                 "accept": [{{"kid": "b", "secret": "{DEVELOPMENT_JWT_SECRET}"}}]}}"#
        ))
        .unwrap();
        assert!(
            check_keys(&rotated_to_dev, false).is_err(),
            "accepted keys too"
        );
        let short = crate::jwt::KeySet::single("short");
        assert!(check_keys(&short, true).is_err());
    }

    #[test]
    fn a_malformed_number_is_refused() {
        std::env::set_var("GYMIT_TEST_BAD_NUMBER", "twelve");
        let err = parsed_or::<u32>("GYMIT_TEST_BAD_NUMBER", 3).unwrap_err();
        assert!(err.to_string().contains("GYMIT_TEST_BAD_NUMBER"));
        assert_eq!(parsed_or::<u32>("GYMIT_TEST_SURELY_UNSET", 3).unwrap(), 3);
    }
}
