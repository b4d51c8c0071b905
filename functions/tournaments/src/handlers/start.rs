//! `POST /api/tournaments/{id}/start` (owner or admin) `{seeding?: "by_seed" | "random"}` →
//! `200 {tournament, bracket, no_shows, promoted}`.
//!
//! With check-in (API.md v1.1), whoever has not checked in becomes a `no_show`, checked-in
//! waitlisted users take the free places in line order, and seeds are renumbered 1..n — in
//! the same write as the start; fewer than 2 left is 409 and nothing changes.
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
    domain::{
        staged,
        waitlist::{field_at_start, remaining, waitlist_view},
        Participant, Refusal, Status,
    },
    Tournaments,
};

/// The most items one transaction holds (DynamoDB).
const TRANSACTION_ITEMS: usize = 100;

#[derive(Deserialize, Default)]
struct Body {
    seeding: Option<String>,
}

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
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
    let (t, bracket, no_shows, promoted) = mutate(&state, &id, |loaded| {
        let t = loaded.tournament();
        t.require_manager(&caller)?;
        t.require_status(&[Status::RegistrationOpen], "start")?;
        let roster: Vec<Participant> = loaded.participants().cloned().collect();
        let field = field_at_start(t, &roster, &loaded.waitlist)?;
        // META, tournament.started, each no-show (status, event), each promotion (entry,
        // participant, event), the line's event.
        let items = 2 + 2 * field.no_shows.len() + 3 * field.promoted.len() + 1;
        if items > TRANSACTION_ITEMS {
            return Err(Refusal::TooManyChanges(format!(
                "{} no-shows and {} promotions are more than one start can write; check more players in (or remove no-shows) first",
                field.no_shows.len(),
                field.promoted.len()
            ))
            .into());
        }
        let mut order: Vec<String> = field.players.iter().map(|p| p.id.clone()).collect();
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
        meta.tournament.participant_count = field.players.len() as u32;
        let gone: Vec<&str> = field
            .promoted
            .iter()
            .filter_map(|p| p.user_id.as_deref())
            .collect();
        let line = remaining(&loaded.waitlist, &gone);
        meta.tournament.waitlist_count = line.len() as u32;
        let t = meta.tournament.clone();
        let mut change = Decision::new(
            meta,
            (
                t.clone(),
                bracket.clone(),
                field.no_shows.clone(),
                field.promoted.clone(),
            ),
        );
        change.writes = field.writes;
        for p in &field.no_shows {
            change.events.push(event(
                "participant.left",
                &t.id,
                json!({ "participant": p, "reason": "no_show" }),
            ));
        }
        for p in &field.promoted {
            change.events.push(event(
                "participant.joined",
                &t.id,
                json!({ "participant": p, "from_waitlist": true }),
            ));
        }
        if !field.promoted.is_empty() {
            change
                .events
                .push(event("waitlist.updated", &t.id, waitlist_view(&line)));
        }
        change.events.push(event(
            "tournament.started",
            &t.id,
            json!({ "tournament": t }),
        ));
        change.matches = Some((gen, bracket));
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, matches = bracket.matches().len(), random, no_shows = no_shows.len(), promoted = promoted.len(), "tournament started");
    // The format's wire name (`single_elimination`…), as the API spells it.
    let format = serde_json::to_value(t.tournament_type)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    metrics::count("tournaments_started_total", 1.0, &[("format", &format)]);
    http::json(
        200,
        &json!({
            "tournament": t,
            "bracket": bracket_view(&t, Some(&bracket)),
            "no_shows": no_shows,
            "promoted": promoted,
        }),
    )
}
