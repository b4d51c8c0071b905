//! `api-default`: the function behind the HTTP API's `$default` route. API Gateway sends
//! it every request that matches no route; it answers 405 with `Allow` when the path
//! exists with other methods, else 404, as problem+json (API.md). An HTTP API has no 405
//! of its own, so without this function AWS would answer `404 {"message":"Not Found"}`
//! for both. `ROUTES` is the route table of `template.yaml`; the test
//! `tests/routes_in_step.rs` fails when the two drift apart.

use std::sync::Arc;

use gymit_shared::{ApiError, Ctx, Request, Response};

/// Every (method, path) of the template's `HttpApi` events, `$default` aside.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/auth/healthz"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/auth/password-reset"),
    ("POST", "/api/auth/password-reset/confirm"),
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/register"),
    ("GET", "/api/notifications/healthz"),
    ("GET", "/api/tournaments"),
    ("POST", "/api/tournaments"),
    ("GET", "/api/tournaments/healthz"),
    ("DELETE", "/api/tournaments/{id}"),
    ("GET", "/api/tournaments/{id}"),
    ("PATCH", "/api/tournaments/{id}"),
    ("GET", "/api/tournaments/{id}/bracket"),
    ("POST", "/api/tournaments/{id}/check-in"),
    ("POST", "/api/tournaments/{id}/matches/{match_id}/result"),
    ("PUT", "/api/tournaments/{id}/matches/{match_id}/result"),
    ("GET", "/api/tournaments/{id}/participants"),
    ("POST", "/api/tournaments/{id}/participants"),
    ("POST", "/api/tournaments/{id}/participants/bulk"),
    (
        "DELETE",
        "/api/tournaments/{id}/participants/{participant_id}",
    ),
    (
        "POST",
        "/api/tournaments/{id}/participants/{participant_id}/check-in",
    ),
    (
        "POST",
        "/api/tournaments/{id}/participants/{participant_id}/disqualify",
    ),
    (
        "POST",
        "/api/tournaments/{id}/participants/{participant_id}/drop",
    ),
    ("GET", "/api/tournaments/{id}/standings"),
    ("POST", "/api/tournaments/{id}/start"),
    ("GET", "/api/tournaments/{id}/waitlist"),
    ("DELETE", "/api/tournaments/{id}/waitlist/{user_id}"),
    ("GET", "/api/users"),
    ("GET", "/api/users/healthz"),
    ("GET", "/api/users/me"),
    ("PATCH", "/api/users/me"),
    ("DELETE", "/api/users/{id}"),
    ("GET", "/api/users/{id}"),
    ("POST", "/api/users/{id}/approve"),
    ("POST", "/api/users/{id}/ban"),
    ("PUT", "/api/users/{id}/role"),
    ("POST", "/api/users/{id}/unban"),
];

/// Whether a route path (`/api/users/{id}`, `/x/{proxy+}`) matches a request path.
fn matches(route: &str, path: &str) -> bool {
    let mut want = route.trim_matches('/').split('/');
    let mut have = path.trim_matches('/').split('/');
    loop {
        match (want.next(), have.next()) {
            (None, None) => return true,
            (Some(w), Some(_)) if w.ends_with("+}") => return true,
            (Some(w), Some(h)) if w.starts_with('{') || w == h => {}
            _ => return false,
        }
    }
}

/// The refusal for a request no route took.
pub fn refusal(method: &str, path: &str) -> ApiError {
    let mut allow: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, route)| matches(route, path))
        .map(|(m, _)| *m)
        .collect();
    allow.sort_unstable();
    allow.dedup();
    if allow.is_empty() || allow.contains(&method) {
        ApiError::not_found(&format!("no route for {path}; the resource"))
    } else {
        ApiError::method_not_allowed(&allow.join(", "))
    }
}

pub async fn handle(_: Arc<()>, req: Request, _: Ctx) -> Result<Response, ApiError> {
    Err(refusal(req.method().as_str(), req.uri().path()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_path_with_another_method_is_405_listing_the_methods() {
        // DELETE /api/users/me reaches DELETE /api/users/{id}, so it is allowed too.
        let e = refusal("PUT", "/api/users/me");
        assert_eq!(e.status, 405);
        assert_eq!(e.allow.as_deref(), Some("DELETE, GET, PATCH"));
        let e = refusal("POST", "/api/tournaments/t1");
        assert_eq!(e.allow.as_deref(), Some("DELETE, GET, PATCH"));
    }

    #[test]
    fn an_unknown_path_is_404() {
        assert_eq!(refusal("GET", "/api/nothing").status, 404);
        assert_eq!(refusal("GET", "/api/users/1/extra").status, 404);
        assert_eq!(refusal("GET", "/").status, 404);
    }
}
