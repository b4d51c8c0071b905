//! `POST /api/tournaments/{id}/start` (owner or admin) `{seeding?: "by_seed" | "random"}` →
//! `200 {tournament, bracket}`.
//!
//! The matches of this start attempt are written first under a fresh generation id; the
//! commit that flips the status names that generation, conditioned on the version read, so
//! a join that lands meanwhile makes the start read again (and the unused matches are never
//! read).

use std::sync::Arc;

use gymit_shared::{http, identity, metrics, ApiError, Ctx, Request, Response};
use rand::seq::SliceRandom;
use serde::Deserialize;
use serde_json::json;

use super::{bracket_view, event, mutate, next_meta, Decision};
use crate::{
    bracket,
    domain::{staged, Refusal, Status},
    Tournaments,
};

#[derive(Deserialize, Default)]
struct Body {
    seeding: Option<String>,
}

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let id = http::path_param(&req, "id")?;
    let body: Body = http::optional_json_body(&req)?;
    let random = match body.seeding.as_deref() {
        None | Some("by_seed") => false,
        Some("random") => true,
        Some(_) => {
            return Err(ApiError::invalid_field(
                "seeding",
                "must be by_seed or random",
            ))
        }
    };
    let (t, bracket) = mutate(&state, &id, |loaded| {
        let t = loaded.tournament();
        t.require_manager(&caller)?;
        t.require_status(&[Status::RegistrationOpen], "start")?;
        if loaded.roster.len() < 2 {
            return Err(Refusal::NotEnoughParticipants(
                "a tournament needs at least 2 participants".into(),
            )
            .into());
        }
        let mut order: Vec<String> = loaded.participants().map(|p| p.id.clone()).collect();
        if random {
            order.shuffle(&mut rand::rng());
        }
        let bracket = bracket::generate(t.format(), &order);
        let gen = uuid::Uuid::now_v7().simple().to_string();
        let mut meta = next_meta(loaded);
        meta.tournament.status = Status::InProgress;
        staged::start(&mut meta.tournament, order.len(), &bracket)?;
        meta.bracket_gen = Some(gen.clone());
        meta.disqualified.clear();
        let t = meta.tournament.clone();
        let mut change = Decision::new(meta, (t.clone(), bracket.clone()));
        change.events.push(event(
            "tournament.started",
            &t.id,
            json!({ "tournament": t }),
        ));
        change.matches = Some((gen, bracket));
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, matches = bracket.matches().len(), random, "tournament started");
    // The format's wire name (`single_elimination`…), as the API spells it.
    let format = serde_json::to_value(t.tournament_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    metrics::count("tournaments_started_total", 1.0, &[("format", &format)]);
    http::json(
        200,
        &json!({ "tournament": t, "bracket": bracket_view(&t, Some(&bracket)) }),
    )
}
