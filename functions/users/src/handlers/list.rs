//! `GET /api/users` (admin) `?role=&is_approved=&is_banned=&limit=&cursor=` → a page of
//! users, newest first, `{items, next_cursor}`.

use std::sync::Arc;

use gymit_shared::{
    http,
    identity::{self, Role},
    validate::Validator,
    ApiError, Ctx, Request, Response,
};

use crate::{store::ListFilter, Users};

fn flag(v: &mut Validator, req: &Request, name: &str) -> Option<bool> {
    match http::query_param(req, name).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            v.fail(name, "must be true or false");
            None
        }
    }
}

pub async fn handle(state: Arc<Users>, req: Request, _ctx: Ctx) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    caller.require_role(&[Role::Admin])?;
    let limit = http::page_limit(&req)?;
    let mut v = Validator::new();
    let role = http::query_param(&req, "role").and_then(|r| {
        let parsed = Role::parse(&r);
        v.check(
            parsed.is_some(),
            "role",
            "must be one of member, trainer, admin",
        );
        parsed
    });
    let filter = ListFilter {
        role,
        is_approved: flag(&mut v, &req, "is_approved"),
        is_banned: flag(&mut v, &req, "is_banned"),
    };
    v.finish()?;
    let cursors = state.keys.cursors()?;
    let start = http::page_cursor(&req)
        .map(|c| cursors.decode(&filter.scope(), &c))
        .transpose()?;
    let (profiles, last) = state.store.list(&filter, limit as usize, start).await?;
    let items: Vec<_> = profiles.into_iter().map(|p| p.user).collect();
    let next_cursor = last.map(|k| cursors.encode(&filter.scope(), &k));
    http::json(
        200,
        &serde_json::json!({ "items": items, "next_cursor": next_cursor }),
    )
}
