//! `POST /api/tournaments/{id}/participants`: an approved user joins themselves (`{}`), or
//! the owner or an admin adds `{name, user_id?, seed?}` → `201 {participant}`.
//!
//! The participant, the user's registration marker, the count and the event are one
//! transaction conditioned on the tournament's version, so capacity holds and seeds stay
//! 1..n under any concurrency (a join that loses the race reads again and decides again).

use std::sync::Arc;

use gymit_shared::{http, identity, time, validate::Validator, ApiError, Ctx, Request, Response};
use serde::Deserialize;
use serde_json::json;

use super::{event, mutate, next_meta, Change};
use crate::{
    domain::{append_position, position_between, Participant, Status},
    Tournaments,
};

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
        let t = state
            .store
            .get(&id)
            .await?
            .ok_or_else(|| ApiError::not_found("tournament"))?;
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

    let participant = mutate(&state, &id, |loaded| {
        let t = loaded.tournament();
        if adding {
            t.require_manager(&caller)?;
        }
        if t.status != Status::RegistrationOpen {
            return Err(ApiError::conflict(
                "registration_closed",
                format!(
                    "registration is closed: the tournament is {}",
                    t.status.as_str()
                ),
            ));
        }
        if let Some(u) = &user_id {
            if loaded.registered_users.contains(u) {
                return Err(ApiError::conflict(
                    "already_registered",
                    "this user is already registered",
                ));
            }
        }
        if t.participant_count >= t.max_participants {
            return Err(ApiError::conflict(
                "tournament_full",
                "every place is taken",
            ));
        }
        let count = loaded.roster.len();
        // A seed that is taken is given to the newcomer and the others move down; a seed
        // past the end is simply the next free one.
        let (position, seed) = match seed.map(|s| s as usize) {
            Some(k) if k <= count => {
                let low = (k >= 2).then(|| loaded.roster[k - 2].0.as_str());
                (position_between(low, &loaded.roster[k - 1].0), k)
            }
            _ => (
                append_position(loaded.roster.last().map(|(p, _)| p.as_str())),
                count + 1,
            ),
        };
        let participant = Participant {
            id: uuid::Uuid::now_v7().to_string(),
            tournament_id: t.id.clone(),
            user_id: user_id.clone(),
            name: name.clone(),
            seed: seed as u32,
            joined_at: time::now_rfc3339(),
            disqualified: false,
        };
        let mut meta = next_meta(loaded);
        meta.tournament.participant_count = count as u32 + 1;
        let mut change = Change::new(meta, participant.clone());
        change
            .items
            .push(state.store.participant_put(&participant, &position)?);
        if let Some(u) = &user_id {
            change.items.push(state.store.registration_put(&t.id, u)?);
        }
        change.events.push(event(
            "participant.joined",
            &t.id,
            json!({ "participant": participant }),
        ));
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, participant_id = %participant.id, seed = participant.seed, "participant joined");
    http::json(201, &json!({ "participant": participant }))
}
