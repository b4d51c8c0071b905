//! `POST /api/tournaments/{id}/participants/{participant_id}/disqualify` (owner or admin,
//! only in progress) → `200 {participant, bracket}`. Every unplayed match of theirs is a
//! forfeit (now, and whenever they would arrive in one); opponents advance, byes cascade.
//! In Swiss and group stages they are never paired again, and a forfeit that completes
//! the round draws the next one (or the top cut, or the playoff) in the same write
//! (`domain::staged::leave_pairing`, which the drop route calls too).

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{bracket_view, champion, event, match_completed, mutate, next_meta, Decision};
use crate::{
    bracket::{Bracket, MatchStatus, FORFEIT},
    domain::{staged, Missing, Participant, ParticipantStatus, Refusal, Status, Tournament, Write},
    store::{Disqualification, Loaded},
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let participant_id = http::path_param(&req, "participant_id")?;
    let (participant, t, bracket) = mutate(&state, &id, |loaded| {
        loaded.tournament().require_manager(&caller)?;
        take_out(loaded, &participant_id, ParticipantStatus::Disqualified)
    })
    .await?;
    tracing::info!(tournament_id = %id, %participant_id, by = %caller.user_id, "participant disqualified");
    http::json(
        200,
        &json!({ "participant": participant, "bracket": bracket_view(&t, Some(&bracket)) }),
    )
}

/// Takes participant `participant_id` out of a tournament in progress, as `status`
/// (disqualified or dropped): every unplayed match of theirs is a forfeit at once,
/// opponents advance, byes cascade, and the tournament completes if that decided it.
pub(super) fn take_out(
    loaded: &Loaded,
    participant_id: &str,
    status: ParticipantStatus,
) -> Result<Decision<(Participant, Tournament, Bracket)>, ApiError> {
    let t = loaded.tournament();
    let p = loaded
        .participant(participant_id)
        .ok_or(Refusal::NotFound(Missing::Participant))?;
    let action = match status {
        ParticipantStatus::Dropped => "drop out of",
        _ => "disqualify in",
    };
    t.require_status(&[Status::InProgress], action)?;
    if status == ParticipantStatus::Dropped && !p.is_active() {
        return Err(Refusal::AlreadyOut.into());
    }
    // Elimination and round robin forfeit every unplayed match at once; in Swiss the
    // engine forfeits the current round's match, `staged::leave_pairing` keeps the player
    // out of every later pairing and pairs the next round in this write when that forfeit
    // completed the round (API.md v1.1).
    let before = loaded
        .bracket
        .as_ref()
        .ok_or(Refusal::NotFound(Missing::Bracket))?;
    let mut after = before.clone();
    after.disqualify(&p.id).map_err(Refusal::Engine)?;
    let mut meta = next_meta(loaded);
    let drawn = staged::leave_pairing(&mut meta.tournament, loaded.field(), &p.id, &mut after);
    let changed = after.changed_since(before);

    meta.disqualified.push(Disqualification {
        participant_id: p.id.clone(),
        seq: meta.tournament.version,
    });
    let finished = after.is_finished();
    if finished {
        meta.tournament.status = Status::Completed;
    }
    let t2 = meta.tournament.clone();
    let mut participant = p.clone();
    participant.set_status(status);
    let mut change = Decision::new(meta, (participant.clone(), t2.clone(), after.clone()));
    let participant_id = p.id.clone();
    change.writes.push(match status {
        ParticipantStatus::Dropped => Write::DropParticipant { participant_id },
        _ => Write::DisqualifyParticipant { participant_id },
    });
    change.writes.extend(drawn);
    if status == ParticipantStatus::Dropped {
        change.events.push(event(
            "participant.dropped",
            &t2.id,
            json!({ "participant": participant }),
        ));
    }
    for forfeit in changed
        .iter()
        .filter(|m| m.status == MatchStatus::Completed && m.score.as_deref() == Some(FORFEIT))
    {
        let others: Vec<_> = changed
            .iter()
            .copied()
            .filter(|o| o.id != forfeit.id)
            .collect();
        change.events.push(event(
            "match.completed",
            &t2.id,
            match_completed(forfeit, &others),
        ));
    }
    if finished {
        change.events.push(event(
            "tournament.completed",
            &t2.id,
            json!({ "tournament": t2, "champion_id": champion(&t2, &after, loaded) }),
        ));
    }
    Ok(change)
}
