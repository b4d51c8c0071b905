//! The caller of a request: one way to read it, one way to require a role or approval.
//!
//! Defense in depth: the gateway's Lambda authorizer already verified the token and checked
//! the account's state, and passes a fresh view of it (`requestContext.authorizer.lambda`).
//! The function verifies the bearer token again with the shared verifier, and only then
//! trusts the authorizer's fresher `role` / `approved` for the same user.

use lambda_http::{request::RequestContext, RequestExt};
use serde::{Deserialize, Serialize};

use crate::{jwt::Tokens, ApiError, Request};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Trainer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Trainer => "trainer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "member" => Some(Role::Member),
            "trainer" => Some(Role::Trainer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub email: String,
    pub role: Role,
    pub approved: bool,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Writes beyond one's own profile need an approved account (API.md).
    pub fn require_approved(&self) -> Result<(), ApiError> {
        if self.approved {
            Ok(())
        } else {
            Err(ApiError::not_approved())
        }
    }

    /// One of `roles`, and approved.
    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if !roles.contains(&self.role) {
            return Err(ApiError::forbidden("your role does not allow this"));
        }
        self.require_approved()
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller, or 401: the token must verify; the authorizer's context, when present, must
/// name the same user and supplies the current role and approval.
pub fn caller(req: &Request, tokens: &Tokens) -> Result<Caller, ApiError> {
    let token =
        bearer(req).ok_or_else(|| ApiError::unauthenticated("a bearer token is required"))?;
    let claims = tokens.verify(token)?;
    let mut caller = Caller {
        role: Role::parse(&claims.role)
            .ok_or_else(|| ApiError::unauthenticated("invalid token"))?,
        user_id: claims.sub,
        email: claims.email,
        approved: claims.approved,
    };
    if let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
        if let Some(fields) = ctx
            .authorizer
            .as_ref()
            .map(|a| &a.fields)
            .filter(|f| !f.is_empty())
        {
            if fields.get("user_id").and_then(|v| v.as_str()) != Some(caller.user_id.as_str()) {
                return Err(ApiError::unauthenticated(
                    "the token does not match the session",
                ));
            }
            if let Some(role) = fields
                .get("role")
                .and_then(|v| v.as_str())
                .and_then(Role::parse)
            {
                caller.role = role;
            }
            if let Some(approved) = fields.get("approved") {
                caller.approved = approved
                    .as_bool()
                    .unwrap_or(approved.as_str() == Some("true"));
            }
        }
    }
    Ok(caller)
}

/// The caller if a token was sent (it must then be valid), `None` for anonymous requests.
pub fn optional_caller(req: &Request, tokens: &Tokens) -> Result<Option<Caller>, ApiError> {
    if bearer(req).is_none() && !req.headers().contains_key("authorization") {
        return Ok(None);
    }
    caller(req, tokens).map(Some)
}
