//! Check-in (API.md v1.1): `POST /api/tournaments/{id}/check-in` (a participant or a
//! waitlisted user, for themselves; `myself`) and
//! `POST /api/tournaments/{id}/participants/{participant_id}/check-in` (the owner or an
//! admin, for anyone; `participant`) → `200 {participant}` (a waitlisted user:
//! `200 {waitlist_entry}`) with `checked_in_at` set. Only while check-in is open (409
//! `check_in_not_open`); a second check-in answers the first and writes nothing.
//!
//! A check-in commits under the tournament's version, so a start that races it either
//! sees it or reads again: nobody who got a 200 becomes a no-show.

use std::sync::Arc;

use gymit_shared::{http, identity, time, ApiError, Ctx, Request, Response};
use serde_json::{json, Value};

use super::{event, mutate, next_meta, Decision};
use crate::{
    domain::{
        waitlist::{require_check_in_open, waitlist_view},
        Missing, Participant, Refusal, Write,
    },
    store::{Loaded, Registered},
    Tournaments,
};

/// `POST /api/tournaments/{id}/check-in`: the caller checks themselves in.
pub async fn myself(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let answer = mutate(&state, &id, |loaded| {
        match loaded.of_user(&caller.user_id) {
            None => Err(Refusal::NotFound(Missing::Participant).into()),
            Some(Registered::Participant(p)) => check_in_participant(loaded, p),
            Some(Registered::Waitlisted(e)) => {
                require_check_in_open(loaded.tournament(), chrono::Utc::now())?;
                if e.checked_in_at.is_some() {
                    return Ok(Decision::unchanged(
                        loaded.meta.clone(),
                        json!({ "waitlist_entry": e }),
                    ));
                }
                let at = time::now_rfc3339();
                let line: Vec<_> = loaded
                    .waitlist
                    .iter()
                    .map(|w| {
                        let mut w = w.clone();
                        if w.user_id == e.user_id {
                            w.checked_in_at = Some(at.clone());
                        }
                        w
                    })
                    .collect();
                let entry = line
                    .iter()
                    .find(|w| w.user_id == e.user_id)
                    .cloned()
                    .ok_or(Refusal::NotFound(Missing::WaitlistEntry))?;
                let mut change =
                    Decision::new(next_meta(loaded), json!({ "waitlist_entry": entry }));
                change.writes.push(Write::CheckInWaitlisted {
                    user_id: e.user_id.clone(),
                    at,
                });
                change
                    .events
                    .push(event("waitlist.updated", &id, waitlist_view(&line)));
                Ok(change)
            }
        }
    })
    .await?;
    tracing::info!(tournament_id = %id, user_id = %caller.user_id, "checked in");
    http::json(200, &answer)
}

/// `POST /api/tournaments/{id}/participants/{participant_id}/check-in`: the owner or an
/// admin checks a participant in (named ones without an account too).
pub async fn participant(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let participant_id = http::path_param(&req, "participant_id")?;
    let answer = mutate(&state, &id, |loaded| {
        loaded.tournament().require_manager(&caller)?;
        let p = loaded
            .participant(&participant_id)
            .ok_or(Refusal::NotFound(Missing::Participant))?;
        check_in_participant(loaded, p)
    })
    .await?;
    tracing::info!(tournament_id = %id, %participant_id, by = %caller.user_id, "checked in");
    http::json(200, &answer)
}

/// Participant `p` checks in: once, while check-in is open, with `participant.checked_in`.
fn check_in_participant(loaded: &Loaded, p: &Participant) -> Result<Decision<Value>, ApiError> {
    require_check_in_open(loaded.tournament(), chrono::Utc::now())?;
    if p.checked_in_at.is_some() {
        return Ok(Decision::unchanged(
            loaded.meta.clone(),
            json!({ "participant": p }),
        ));
    }
    let mut checked = p.clone();
    let at = time::now_rfc3339();
    checked.checked_in_at = Some(at.clone());
    let mut change = Decision::new(next_meta(loaded), json!({ "participant": checked }));
    change.writes.push(Write::CheckInParticipant {
        participant_id: p.id.clone(),
        at,
    });
    change.events.push(event(
        "participant.checked_in",
        &loaded.tournament().id,
        json!({ "participant": checked }),
    ));
    Ok(change)
}
