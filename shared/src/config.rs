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

/// The secret that signs access tokens and pagination cursors. At least 32 bytes, so a
/// weak development value cannot slip into a deployment unnoticed.
pub fn jwt_secret() -> Result<String, ConfigError> {
    let secret = required("JWT_SECRET")?;
    if secret.len() < 32 {
        return Err(ConfigError {
            name: "JWT_SECRET".into(),
            problem: "must be at least 32 bytes".into(),
        });
    }
    Ok(secret)
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
