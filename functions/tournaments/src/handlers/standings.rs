//! `GET /api/tournaments/{id}/standings` (anyone) → `200 {items}` ordered by rank, every
//! participant included (disqualified ones too).

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::{
    bracket::{self, Bracket},
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = http::path_param(&req, "id")?;
    let loaded = state.load(&id).await?;
    let names: Vec<(String, String)> = loaded
        .participants()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let empty;
    let b = match &loaded.bracket {
        Some(b) => b,
        None => {
            empty = Bracket::new(Vec::new(), Default::default());
            &empty
        }
    };
    http::cacheable_json(&json!({ "items": bracket::standings(b, &names) }))
}
