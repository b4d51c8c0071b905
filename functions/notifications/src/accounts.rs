//! The account standing that `$connect` checks for a `?token=` (API.md: a banned or
//! deactivated account's token, or one issued before the account's last password change,
//! refuses the connection with 401), asked of the service that owns accounts: the auth
//! service's `auth-authorizer` — the HTTP API's own authorizer — invoked through the Lambda
//! Invoke API with the token as an authorizer request. Its verdict is the one every HTTP
//! request gets, and the notification service never reads the auth table (DESIGN.md). A
//! circuit breaker (`breaker`) stops asking while the authorizer keeps failing: `$connect`
//! with a token then answers 503 at once (anonymous spectators never need it).

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use gymit_shared::breaker::{Breaker, Settings};
use serde_json::{json, Value};

/// An invoke may include an authorizer instance's cold start.
const ATTEMPT: Duration = Duration::from_secs(5);

pub struct Accounts {
    lambda: aws_sdk_lambda::Client,
    function: String,
    /// Whether the authorizer is worth asking (this instance's experience of it).
    pub breaker: Breaker,
}

/// Whether a token's account may connect, and with which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Active { role: String },
    Refused,
}

impl Accounts {
    pub fn new(lambda: aws_sdk_lambda::Client, function: String) -> Self {
        let config = lambda
            .config()
            .to_builder()
            .timeout_config(
                aws_sdk_lambda::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(1))
                    .operation_timeout(ATTEMPT)
                    .build(),
            )
            .interceptor(gymit_shared::trace::Calls)
            .build();
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(config),
            function,
            breaker: Breaker::new("auth-authorizer", Settings::STANDARD),
        }
    }

    /// The auth service's verdict on `token` (already verified here: this asks about the
    /// account). `Err` when the authorizer cannot answer: `$connect` then fails closed.
    pub async fn standing(&self, token: &str) -> Result<Standing, String> {
        let bearer = format!("Bearer {token}");
        let request = json!({
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": "$connect",
            "identitySource": [bearer],
            "headers": { "authorization": bearer },
            "requestContext": {
                "routeKey": "$connect",
                "http": { "method": "GET", "path": "$connect" },
            },
        });
        let out = self
            .lambda
            .invoke()
            .function_name(&self.function)
            .payload(Blob::new(request.to_string()))
            .send()
            .await
            .map_err(|e| format!("invoking {}: {}", self.function, e))?;
        if out.function_error().is_some() || out.status_code() != 200 {
            return Err(format!(
                "{} answered {} {:?}",
                self.function,
                out.status_code(),
                out.function_error()
            ));
        }
        let answer: Value = out
            .payload()
            .and_then(|p| serde_json::from_slice(p.as_ref()).ok())
            .ok_or_else(|| format!("{} answered no JSON", self.function))?;
        Ok(standing_of(&answer))
    }
}

/// The authorizer's simple response as a standing: `allow` with the account's current role
/// connects; every other verdict refuses.
fn standing_of(answer: &Value) -> Standing {
    let context = &answer["context"];
    match (context["verdict"].as_str(), context["role"].as_str()) {
        (Some("allow"), Some(role)) => Standing::Active {
            role: role.to_string(),
        },
        _ => Standing::Refused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_allow_with_a_role_connects() {
        let allow = json!({ "isAuthorized": true, "context": { "verdict": "allow", "role": "trainer", "user_id": "u" } });
        assert_eq!(
            standing_of(&allow),
            Standing::Active {
                role: "trainer".into()
            }
        );
        for verdict in [
            "account_banned",
            "account_inactive",
            "token_expired",
            "unauthenticated",
        ] {
            let refused = json!({ "isAuthorized": true, "context": { "verdict": verdict } });
            assert_eq!(standing_of(&refused), Standing::Refused, "{verdict}");
        }
        assert_eq!(standing_of(&json!({})), Standing::Refused);
    }
}
