//! `POST /api/tournaments/{id}/matches/{match_id}/result` reports a result and `PUT` on the
//! same path corrects one (owner or admin) → `200 {match, tournament}`.
//!
//! Only the result is written (with the tournament's new version, in one transaction);
//! who advanced follows from it when the bracket is read, so the winner (and in double
//! elimination the loser) advance in the same atomic write. Two reports of one match: the
//! second reads again, finds the match completed and gets 409. A result that completes a
//! Swiss round or a group stage draws the next round (or the top cut, or the playoff) in
//! that same write; the answer's `updated_matches` lists them (API.md v1.1).

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{champion, event, match_completed, mutate, next_meta, Decision};
use crate::{
    domain::{staged, Missing, Refusal, ResultBody, Status, Write},
    Tournaments,
};

pub async fn report(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    record(&state, &req, false).await
}

pub async fn correct(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    record(&state, &req, true).await
}

async fn record(
    state: &Tournaments,
    req: &Request,
    correcting: bool,
) -> Result<Response, ApiError> {
    let caller = identity::caller(req, state.keys.tokens()?)?;
    let id = http::path_param(req, "id")?;
    let match_id = http::path_param(req, "match_id")?;
    let body: ResultBody = http::json_body(req)?;
    let score = body.validate()?;
    let winner = body.winner_id.clone();
    let (m, t, updated) = mutate(state, &id, |loaded| {
        let t = loaded.tournament();
        t.require_manager(&caller)?;
        // In a completed tournament every match is decided: the engine says which way.
        t.require_status(
            &[Status::InProgress, Status::Completed],
            if correcting {
                "correct a result in"
            } else {
                "report a result in"
            },
        )?;
        let before = loaded
            .bracket
            .as_ref()
            .ok_or(Refusal::NotFound(Missing::Match))?;
        let champion_before = champion(t, before, loaded);
        let mut after = before.clone();
        if correcting {
            after.correct(&match_id, winner.as_deref(), &score)
        } else {
            after.report(&match_id, winner.as_deref(), &score)
        }
        .map_err(Refusal::Engine)?;
        let mut meta = next_meta(loaded);
        let entrants = staged::entrants(loaded.field(), None);
        let drawn = staged::draw_due_stages(&mut meta.tournament, &entrants, &mut after);
        let m = after
            .get(&match_id)
            .cloned()
            .ok_or(Refusal::NotFound(Missing::Match))?;
        let updated: Vec<_> = after
            .changed_since(before)
            .into_iter()
            .filter(|u| u.id != m.id)
            .collect();
        let updated_views: Vec<_> = updated
            .iter()
            .map(|u| serde_json::to_value(u.view()).unwrap_or_default())
            .collect();
        let finished = after.is_finished();
        meta.tournament.status = if finished {
            Status::Completed
        } else {
            Status::InProgress
        };
        let t2 = meta.tournament.clone();
        let champion_after = champion(&t2, &after, loaded);
        let mut change = Decision::new(meta, (m.clone(), t2.clone(), updated_views));
        change.writes.extend(drawn);
        let (match_id, winner, score) = (m.id.clone(), winner.clone(), score.clone());
        change.writes.push(if correcting {
            Write::CorrectResult {
                match_id,
                winner,
                score,
            }
        } else {
            Write::RecordResult {
                match_id,
                winner,
                score,
                seq: t2.version,
            }
        });
        change.events.push(event(
            "match.completed",
            &t2.id,
            match_completed(&m, &updated),
        ));
        if finished && (t.status != Status::Completed || champion_after != champion_before) {
            change.events.push(event(
                "tournament.completed",
                &t2.id,
                json!({ "tournament": t2, "champion_id": champion_after }),
            ));
        } else if t.status == Status::Completed && !finished {
            // A corrected first grand final can bring the bracket reset back into play.
            change.events.push(event(
                "tournament.updated",
                &t2.id,
                json!({ "tournament": t2 }),
            ));
        }
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, match_id = %m.id, correcting, status = t.status.as_str(), "result recorded");
    http::json(
        200,
        &json!({ "match": m.view(), "tournament": t, "updated_matches": updated }),
    )
}
