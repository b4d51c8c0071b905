//! The one error type of the API. Every failure a client can see is an `ApiError`, rendered
//! as RFC 9457 problem+json with a stable snake_case `code` (API.md). Internal causes (SDK
//! errors, serde messages about our own data) are logged, never sent.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
    pub allow: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            allow: None,
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad_request", detail)
    }
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthenticated", detail)
    }
    pub fn invalid_credentials() -> Self {
        Self::new(401, "invalid_credentials", "email or password is incorrect")
    }
    pub fn token_expired() -> Self {
        Self::new(401, "token_expired", "the access token has expired")
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", detail)
    }
    pub fn not_approved() -> Self {
        Self::new(
            403,
            "not_approved",
            "your account is waiting for an admin's approval",
        )
    }
    pub fn account_banned() -> Self {
        Self::new(403, "account_banned", "this account is banned")
    }
    pub fn root_admin_protected() -> Self {
        Self::new(
            403,
            "root_admin_protected",
            "the root admin cannot be changed",
        )
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not_found", format!("{what} not found"))
    }
    pub fn method_not_allowed(allow: &str) -> Self {
        let mut e = Self::new(
            405,
            "method_not_allowed",
            format!("this path allows {allow}"),
        );
        e.allow = Some(allow.to_string());
        e
    }
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(409, code, detail)
    }
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            413,
            "payload_too_large",
            format!("the body is larger than {} KiB", limit / 1024),
        )
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let n = errors.len();
        let mut e = Self::new(
            422,
            "validation_failed",
            if n == 1 {
                "1 field is invalid".to_string()
            } else {
                format!("{n} fields are invalid")
            },
        );
        e.errors = errors;
        e
    }
    pub fn invalid_field(field: &str, message: &str) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::new(429, "rate_limited", "too many attempts, try again later");
        e.retry_after = Some(retry_after_secs.max(1));
        e
    }
    pub fn dependency_unavailable(detail: impl Into<String>) -> Self {
        Self::new(503, "dependency_unavailable", detail)
    }
    pub fn internal() -> Self {
        Self::new(500, "internal_error", "an unexpected error occurred")
    }

    pub fn title(&self) -> &'static str {
        match self.status {
            400 => "Bad request",
            401 => "Unauthenticated",
            403 => "Forbidden",
            404 => "Not found",
            405 => "Method not allowed",
            409 => "Conflict",
            413 => "Payload too large",
            422 => "Validation failed",
            429 => "Too many requests",
            502 => "Bad gateway",
            503 => "Service unavailable",
            504 => "Gateway timeout",
            _ => "Internal server error",
        }
    }

    /// The problem+json document, with the request id that the response also carries.
    pub fn problem(&self, request_id: &str) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "type": format!("https://gymit.dev/problems/{}", self.code.replace('_', "-")),
            "title": self.title(),
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            "request_id": request_id,
        });
        if !self.errors.is_empty() {
            doc["errors"] = serde_json::to_value(&self.errors).unwrap_or_default();
        }
        doc
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_each_field() {
        let e = ApiError::validation(vec![
            FieldError::new("email", "must be a valid email address"),
            FieldError::new("password", "must be 8 to 128 characters"),
        ]);
        let doc = e.problem("req-1");
        assert_eq!(doc["status"], 422);
        assert_eq!(doc["code"], "validation_failed");
        assert_eq!(doc["detail"], "2 fields are invalid");
        assert_eq!(doc["type"], "https://gymit.dev/problems/validation-failed");
        assert_eq!(doc["errors"][1]["field"], "password");
        assert_eq!(doc["request_id"], "req-1");
    }

    #[test]
    fn rate_limited_never_asks_for_zero_seconds() {
        assert_eq!(ApiError::rate_limited(0).retry_after, Some(1));
    }
}
