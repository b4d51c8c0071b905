//! `GET /api/tournaments/{id}/standings` (anyone) → `200 {items, provisional}` ordered by
//! rank, every participant of the field included (disqualified and dropped ones too);
//! `provisional` until the tournament is completed (API.md v1.1). A Swiss standing carries
//! `buchholz` and `sonneborn_berger`; a group stage adds `groups`, each group's table.

use std::sync::Arc;

use gymit_shared::{http, ApiError, Ctx, Request, Response};
use serde_json::json;

use crate::{
    bracket::{self, groups, swiss, Bracket, Kind},
    domain::Status,
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let id = http::path_param(&req, "id")?;
    let loaded = state.current(&id).await?;
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
    let body = match loaded.tournament().tournament_type {
        Kind::Swiss => json!({ "items": swiss::standings(b, &names), "provisional": provisional }),
        Kind::GroupStage => {
            let (items, groups) = groups::standings_with_groups(b, &names);
            json!({ "items": items, "groups": groups, "provisional": provisional })
        }
        _ => json!({ "items": bracket::standings(b, &names), "provisional": provisional }),
    };
    http::cacheable_json(&body)
}
