//! `POST /api/tournaments/{id}/participants`: an approved user joins themselves (`{}`), or
//! the owner or an admin adds `{name, user_id?, seed?}` → `201 {participant}`.
//!
//! Two round trips: one read (the tournament, with the joining member or the roster when
//! needed) and one transaction of the participant, the user's registration marker, the
//! conditional count increment, the added user's member check and the event, so capacity
//! holds under any concurrency without joins retrying against each other; seeds are ranks
//! of position keys, so they stay 1..n.

use std::{sync::Arc, time::Duration};

use gymit_shared::{
    http, identity,
    identity::Caller,
    ids, metrics,
    retry::{retry, Attempt, Policy},
    time,
    validate::Validator,
    ApiError, Ctx, Request, Response,
};
use serde::Deserialize;
use serde_json::json;

use super::{busy, event};
use crate::{
    domain::{append_position, position_between, Participant, Status, Tournament},
    store::{JoinError, Member},
    Tournaments,
};

/// How long after a user's id was minted its `user.created` event may still be on its way
/// to the members projection: an add of such a user waits for it instead of answering 404.
const MEMBER_EVENT_LAG: Duration = Duration::from_secs(5);

/// Joins do not read-and-check a version, so they retry only when a transaction touched
/// the same items at that moment, when a full or closed answer needs a second look, or
/// while an added user's event is on its way: for 8 s at most, waiting up to 160 ms.
const JOINS: Policy = Policy::until(Duration::from_secs(8), Duration::from_millis(5))
    .with_cap(Duration::from_millis(160));

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

/// The two behaviours of the route, told apart by the body: an empty one is a self-join.
enum Joining {
    /// The caller joins; their name comes from the members projection.
    Myself,
    /// The owner or an admin adds someone, possibly a user, possibly at a seed.
    Add(Body),
}

impl Joining {
    fn of(body: Body) -> Self {
        if body.name.is_none() && body.user_id.is_none() && body.seed.is_none() {
            Joining::Myself
        } else {
            Joining::Add(body)
        }
    }
}

/// A valid add: the name and the seed asked for.
struct Addition {
    name: String,
    user_id: Option<String>,
    seed: Option<u32>,
}

fn validate(body: &Body) -> Result<Addition, ApiError> {
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
    Ok(Addition {
        name,
        user_id: body.user_id.clone(),
        seed,
    })
}

/// What a join read in its first round trip.
struct Read {
    tournament: Tournament,
    /// The roster in seed order with position keys (an add at a seed only).
    roster: Option<Vec<(String, Participant)>>,
    /// The joining member (a self-join only).
    member: Option<Member>,
}

async fn read(
    state: &Tournaments,
    id: &str,
    caller: &Caller,
    joining: &Joining,
) -> Result<Read, ApiError> {
    let found = match joining {
        Joining::Myself => {
            let (meta, member) = state.store.meta_with_member(id, &caller.user_id).await?;
            meta.map(|m| (m, None, member))
        }
        Joining::Add(Body { seed: Some(_), .. }) => state
            .store
            .meta_and_roster(id)
            .await?
            .map(|(m, roster)| (m, Some(roster), None)),
        Joining::Add(_) => state.store.meta(id).await?.map(|m| (m, None, None)),
    };
    let (meta, roster, member) = found.ok_or_else(|| ApiError::not_found("tournament"))?;
    Ok(Read {
        tournament: meta.tournament,
        roster,
        member,
    })
}

/// The participant this join adds, from what it read: a self-join's name is the member's
/// (or, before the projection knows them, the local part of their email).
fn participant(
    id: &str,
    caller: &Caller,
    read: &Read,
    addition: Option<&Addition>,
) -> (Participant, String) {
    let t = &read.tournament;
    let (name, user_id, seed) = match addition {
        Some(a) => (a.name.clone(), a.user_id.clone(), a.seed),
        None => {
            let name = read
                .member
                .as_ref()
                .map(|m| m.full_name.clone())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| {
                    caller
                        .email
                        .split('@')
                        .next()
                        .unwrap_or("player")
                        .to_string()
                });
            (name, Some(caller.user_id.clone()), None)
        }
    };
    // An insertion takes the midpoint of its neighbours' keys; an append a fresh key
    // after every other, and the next seed.
    let (position, seed) = match (seed, &read.roster) {
        (Some(k), Some(roster)) if (k as usize) <= roster.len() => {
            let k = k as usize;
            let high = roster[k - 1].0.as_str();
            let low = (k >= 2).then(|| roster[k - 2].0.as_str());
            (position_between(low, high), k as u32)
        }
        _ => (append_position(), t.participant_count + 1),
    };
    let participant = Participant {
        id: uuid::Uuid::now_v7().to_string(),
        tournament_id: id.to_string(),
        user_id,
        name,
        seed,
        joined_at: time::now_rfc3339(),
        disqualified: false,
    };
    (participant, position)
}

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, &state.tokens)?;
    let id = http::path_param(&req, "id")?;
    let joining = Joining::of(http::optional_json_body(&req)?);
    if let Joining::Myself = joining {
        caller.require_approved()?;
    }

    let (state, id, caller, joining) = (&*state, &id, &caller, &joining);
    let participant = retry(&JOINS, |_| async move {
        // Round trip 1: what the decision needs, in one read.
        let read = read(state, id, caller, joining).await?;
        let addition = match joining {
            // Only the owner or an admin adds others: a member gets 403 before 422.
            Joining::Add(body) => {
                read.tournament.require_manager(caller)?;
                Some(validate(body)?)
            }
            Joining::Myself => None,
        };
        refuse_if_closed(&read.tournament)?;
        let (participant, position) = participant(id, caller, &read, addition.as_ref());
        // The seed in the answer and the event is the one this join saw: exact unless
        // another join commits between this one's read and its write, in which case the
        // participants list (always exact) may show it one or more places later.
        let joined = event(
            "participant.joined",
            id,
            json!({ "participant": participant }),
        );
        // Round trip 2: the join itself. An added user must be a known, active member: a
        // condition in the same transaction.
        let joined = state
            .store
            .join(&participant, &position, &joined, addition.is_some())
            .await;
        match joined {
            Ok(()) => Ok(Attempt::Done(participant)),
            Err(JoinError::AlreadyRegistered) => Err(already_registered()),
            Err(JoinError::UserUnavailable) => {
                let user = participant.user_id.as_deref().unwrap_or_default();
                // The member may have reached the projection since the transaction checked
                // it (try again at once), or, created a moment ago, still be on its way
                // (wait for it); otherwise it is not a known, active member.
                let worth_another_try = match state.store.member(user).await? {
                    Some(member) => member.active,
                    None => ids::minted_within(user, MEMBER_EVENT_LAG),
                };
                if worth_another_try {
                    Ok(Attempt::Retry(ApiError::not_found("user")))
                } else {
                    Err(ApiError::not_found("user"))
                }
            }
            Err(JoinError::Closed) => {
                // Full or no longer open: read it again to say which.
                refuse_if_closed(&state.tournament(id).await?)?;
                Ok(Attempt::Retry(busy()))
            }
            Err(JoinError::Conflict) => Ok(Attempt::Retry(busy())),
            Err(JoinError::Store(e)) => Err(e.into()),
        }
    })
    .await;
    let outcome = match &participant {
        Ok(_) => "joined",
        Err(e) => e.code,
    };
    metrics::count("tournament_joins_total", 1.0, &[("outcome", outcome)]);
    let participant = participant?;
    tracing::info!(tournament_id = %id, participant_id = %participant.id, seed = participant.seed, "participant joined");
    http::json(201, &json!({ "participant": participant }))
}
