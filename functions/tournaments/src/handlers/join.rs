//! `POST /api/tournaments/{id}/participants`: an approved user joins themselves (`{}`), or
//! the owner or an admin adds `{name, user_id?, seed?}` → `201 {participant}`.
//!
//! The participant, the user's registration marker, the conditional count increment and
//! the event are one transaction, so capacity holds under any concurrency without joins
//! retrying against each other; seeds are ranks of position keys, so they stay 1..n.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use gymit_shared::{http, identity, time, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;
use serde_json::json;

use super::event;
use crate::{
    domain::{append_position, position_between, Participant, Status, Tournament},
    store::JoinError,
    Tournaments,
};

fn already_registered() -> ApiError {
    ApiError::conflict("already_registered", "this user is already registered")
}

/// 409 when the tournament takes no more participants.
fn refuse_if_closed(t: &Tournament) -> Result<(), ApiError> {
    if t.status != Status::RegistrationOpen {
        return Err(ApiError::conflict(
            "registration_closed",
            format!(
                "registration is closed: the tournament is {}",
                t.status.as_str()
            ),
        ));
    }
    if t.participant_count >= t.max_participants {
        return Err(ApiError::conflict(
            "tournament_full",
            "every place is taken",
        ));
    }
    Ok(())
}

#[derive(Deserialize, Default)]
struct Body {
    name: Option<String>,
    user_id: Option<String>,
    seed: Option<i64>,
}

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let id = http::path_param(&req, "id")?;
    let body: Body = http::optional_json_body(&req)?;
    let adding = body.name.is_some() || body.user_id.is_some() || body.seed.is_some();

    let (user_id, name, seed) = if adding {
        // Only the owner or an admin adds others; checked against the stored owner below,
        // and here first so a member gets 403 before any look-up.
        let t = state.tournament(&id).await?;
        t.require_manager(&caller)?;
        let mut v = Validator::new();
        let name = match &body.name {
            Some(n) => v.text("name", n, 1, 100),
            None => {
                v.fail("name", "is required");
                String::new()
            }
        };
        let seed = body.seed.map(|s| {
            v.check((1..=256).contains(&s), "seed", "must be between 1 and 256");
            s as u32
        });
        v.finish()?;
        let user_id = match &body.user_id {
            Some(u) => {
                let member = state.users.member(u).await?;
                if !member.is_some_and(|m| m.active) {
                    return Err(ApiError::not_found("user"));
                }
                Some(u.clone())
            }
            None => None,
        };
        (user_id, name, seed)
    } else {
        caller.require_approved()?;
        let name = state
            .users
            .member(&caller.user_id)
            .await?
            .map(|m| m.full_name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                caller
                    .email
                    .split('@')
                    .next()
                    .unwrap_or("player")
                    .to_string()
            });
        (Some(caller.user_id.clone()), name, None)
    };

    let deadline = Instant::now() + Duration::from_secs(8);
    let mut attempt = 0u32;
    let participant = loop {
        let t = state.tournament(&id).await?;
        if adding {
            t.require_manager(&caller)?;
        }
        refuse_if_closed(&t)?;
        // An insertion needs its neighbours' keys; an append needs nobody's.
        let (position, seed) = match seed {
            Some(k) if k < t.participant_count + 1 => {
                let loaded = state.load(&id).await?;
                let k = (k as usize).min(loaded.roster.len().max(1));
                match loaded.roster.get(k - 1) {
                    Some((high, _)) => {
                        let low = (k >= 2).then(|| loaded.roster[k - 2].0.as_str());
                        (position_between(low, high), k as u32)
                    }
                    None => (append_position(), loaded.roster.len() as u32 + 1),
                }
            }
            _ => (append_position(), t.participant_count + 1),
        };
        let participant = Participant {
            id: uuid::Uuid::now_v7().to_string(),
            tournament_id: id.clone(),
            user_id: user_id.clone(),
            name: name.clone(),
            seed,
            joined_at: time::now_rfc3339(),
            disqualified: false,
        };
        // The seed in the event is the one this join saw; concurrent joins may settle it
        // one or more places later, which the participants list always shows exactly.
        let joined = event(
            "participant.joined",
            &id,
            json!({ "participant": participant }),
        );
        match state.store.join(&participant, &position, &joined).await {
            Ok(()) => break participant,
            Err(JoinError::AlreadyRegistered) => return Err(already_registered()),
            Err(JoinError::Closed) => {
                // Full or no longer open: read it again to say which.
                let t = state.tournament(&id).await?;
                refuse_if_closed(&t)?;
            }
            Err(JoinError::Conflict) => {}
            Err(JoinError::Store(e)) => return Err(e.into()),
        }
        if Instant::now() > deadline {
            return Err(ApiError::dependency_unavailable(
                "the tournament is busy, try again",
            ));
        }
        attempt += 1;
        tokio::time::sleep(gymit_shared::retry::jittered(5, attempt.min(5))).await;
    };
    // The exact seed, now that the join is in. The join is committed whatever this read
    // does: if it fails, answer with the seed the join saw rather than a 503 that a retry
    // would turn into `already_registered`.
    let participant = match state.store.load(&id).await {
        Ok(loaded) => loaded
            .and_then(|l| l.participant(&participant.id).cloned())
            .unwrap_or(participant),
        Err(e) => {
            tracing::warn!(tournament_id = %id, error = %e, "reading the seed after a join failed");
            participant
        }
    };
    tracing::info!(tournament_id = %id, participant_id = %participant.id, seed = participant.seed, "participant joined");
    http::json(201, &json!({ "participant": participant }))
}
