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

/// Whether the SDK talks to a local emulator (`AWS_ENDPOINT_URL` set): never on Lambda.
pub fn emulator_endpoint() -> Option<String> {
    std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
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
    fn a_malformed_number_is_refused() {
        std::env::set_var("GYMIT_TEST_BAD_NUMBER", "twelve");
        let err = parsed_or::<u32>("GYMIT_TEST_BAD_NUMBER", 3).unwrap_err();
        assert!(err.to_string().contains("GYMIT_TEST_BAD_NUMBER"));
        assert_eq!(parsed_or::<u32>("GYMIT_TEST_SURELY_UNSET", 3).unwrap(), 3);
    }
}
