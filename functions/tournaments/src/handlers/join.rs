//! `POST /api/tournaments/{id}/participants`: an approved user joins themselves (`{}`), or
//! the owner or an admin adds `{name, user_id?, seed?}` → `201 {participant}`.
//!
//! Two round trips: one read (the tournament, with the member's profile or the roster when
//! needed) and one transaction of the participant, the user's registration marker, the
//! conditional count increment, the added user's profile check and the event, so capacity
//! holds under any concurrency without joins retrying against each other; seeds are ranks
//! of position keys, so they stay 1..n.

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
    Tournaments, UsersDirectory,
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
    if !adding {
        caller.require_approved()?;
    }

    let deadline = Instant::now() + Duration::from_secs(8);
    let mut attempt = 0u32;
    let participant = loop {
        // Round trip 1: what the decision needs, in one read. A self-join reads the
        // tournament with the member's profile (their name); an add reads the tournament,
        // with the roster only to insert at a seed (the neighbours' position keys).
        let (t, roster, profile) = if !adding {
            let (meta, profile) = state
                .store
                .meta_with(&id, state.users.profile(&caller.user_id))
                .await?;
            (meta, None, profile)
        } else if body.seed.is_some() {
            match state.store.meta_and_roster(&id).await? {
                Some((meta, roster)) => (Some(meta), Some(roster), None),
                None => (None, None, None),
            }
        } else {
            (state.store.meta(&id).await?, None, None)
        };
        let t = t
            .map(|m| m.tournament)
            .ok_or_else(|| ApiError::not_found("tournament"))?;
        let (name, seed) = if adding {
            // Only the owner or an admin adds others: a member gets 403 before 422.
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
            (name, seed)
        } else {
            let name = profile
                .as_ref()
                .map(UsersDirectory::member_of)
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
            (name, None)
        };
        refuse_if_closed(&t)?;
        // An insertion takes the midpoint of its neighbours' keys; an append a fresh key
        // after every other, and the next seed.
        let (position, seed) = match (seed, &roster) {
            (Some(k), Some(roster)) if (k as usize) <= roster.len() => {
                let k = k as usize;
                let high = roster[k - 1].0.as_str();
                let low = (k >= 2).then(|| roster[k - 2].0.as_str());
                (position_between(low, high), k as u32)
            }
            _ => (append_position(), t.participant_count + 1),
        };
        let user_id = if adding {
            body.user_id.clone()
        } else {
            Some(caller.user_id.clone())
        };
        let participant = Participant {
            id: uuid::Uuid::now_v7().to_string(),
            tournament_id: id.clone(),
            user_id: user_id.clone(),
            name,
            seed,
            joined_at: time::now_rfc3339(),
            disqualified: false,
        };
        // The seed in the answer and the event is the one this join saw: exact unless
        // another join commits between this one's read and its write, in which case the
        // participants list (always exact) may show it one or more places later.
        let joined = event(
            "participant.joined",
            &id,
            json!({ "participant": participant }),
        );
        // An added user must exist and be active: a condition in the same transaction.
        let user_check = match (&user_id, adding) {
            (Some(u), true) => Some(state.users.active_check(u)),
            _ => None,
        };
        // Round trip 2: the join itself.
        match state
            .store
            .join(&participant, &position, &joined, user_check)
            .await
        {
            Ok(()) => break participant,
            Err(JoinError::AlreadyRegistered) => return Err(already_registered()),
            Err(JoinError::UserUnavailable) => return Err(ApiError::not_found("user")),
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
    tracing::info!(tournament_id = %id, participant_id = %participant.id, seed = participant.seed, "participant joined");
    http::json(201, &json!({ "participant": participant }))
}
