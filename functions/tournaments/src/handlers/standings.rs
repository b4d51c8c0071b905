//! `GET /api/tournaments/{id}/standings` (anyone) → `200 {items, provisional}` ordered by
//! rank, every participant of the field included (disqualified and dropped ones too);
//! `provisional` until the tournament is completed (API.md v1.1).

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::{
    bracket::{self, Bracket},
    domain::Status,
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = http::path_param(&req, "id")?;
    let loaded = state.load(&id).await?;
    // The field: no-shows of a check-in start never played.
    let names: Vec<(String, String)> = loaded
        .field()
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
    let provisional = loaded.tournament().status != Status::Completed;
    http::json(
        200,
        &json!({ "items": bracket::standings(b, &names), "provisional": provisional }),
    )
}
