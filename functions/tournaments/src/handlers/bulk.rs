//! `POST /api/tournaments/{id}/participants/bulk` (owner or admin, only while registration
//! is open): `{items: [{name, user_id?}]}` (1–256) → `201 {items: [participant]}` in the
//! given order, seeds after the current ones (API.md v1.1). All or nothing: an invalid item
//! is 422 naming its index, more players than places is 409 `tournament_full`, a user
//! already registered 409 `already_registered`, and nothing is added.
//!
//! Within DynamoDB's 100 items per transaction: the participants are written first, in
//! batches of 25, marked with this add's batch id, and are not part of the roster (every
//! read skips them) until the one transaction that commits the add lists the batch in META
//! under the version read, with the users' registration markers (at most 90) and one
//! `tournament.updated` event. A commit that loses deletes them again.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};
use serde_json::json;

use super::{event, mutate, next_meta, Decision};
use crate::{
    domain::{
        joining::{bulk_participants, BulkBody},
        Refusal, Status, Write,
    },
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    let id = http::path_param(&req, "id")?;
    let body: BulkBody = http::json_body(&req)?;
    // Who may add comes before what they add: a member gets 403, not 422.
    state.tournament(&id).await?.require_manager(&caller)?;
    let adds = body.validate()?;
    let user_ids: Vec<String> = adds.iter().filter_map(|a| a.user_id.clone()).collect();
    let members = state.store.members(&user_ids).await?;
    let unknown: Vec<_> = user_ids
        .iter()
        .zip(&members)
        .filter(|(_, m)| !m.as_ref().is_some_and(|m| m.active))
        .filter_map(|(u, _)| adds.iter().position(|a| a.user_id.as_ref() == Some(u)))
        .map(|i| {
            gymit_shared::error::FieldError::new(
                format!("items[{i}].user_id"),
                "is not an active member",
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Refusal::Invalid(unknown).into());
    }
    let added = mutate(&state, &id, |loaded| {
        let t = loaded.tournament();
        t.require_manager(&caller)?;
        if t.status != Status::RegistrationOpen {
            return Err(Refusal::RegistrationClosed(t.status).into());
        }
        if t.participant_count as usize + adds.len() > t.max_participants as usize {
            return Err(Refusal::TournamentFull.into());
        }
        if user_ids.iter().any(|u| loaded.registered_users.contains(u)) {
            return Err(Refusal::AlreadyRegistered.into());
        }
        let roster = bulk_participants(t, &adds);
        let batch = uuid::Uuid::now_v7().simple().to_string();
        let mut meta = next_meta(loaded);
        meta.tournament.participant_count += roster.len() as u32;
        meta.bulk_batches.push(batch.clone());
        let t2 = meta.tournament.clone();
        let participants: Vec<_> = roster.iter().map(|(p, _)| p.clone()).collect();
        let mut change = Decision::new(meta, participants);
        if !user_ids.is_empty() {
            change.writes.push(Write::RegisterUsers {
                user_ids: user_ids.clone(),
            });
        }
        change.events.push(event(
            "tournament.updated",
            &t2.id,
            json!({ "tournament": t2 }),
        ));
        change.bulk = Some((batch, roster));
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, added = added.len(), by = %caller.user_id, "participants added in bulk");
    http::json(201, &json!({ "items": added }))
}
