//! `POST /api/tournaments` (approved trainer or admin) → `201 {tournament}`.

use std::sync::Arc;

use gymit_shared::{
    http,
    identity::{self, Role},
    time, ApiError, Ctx, Request, Response,
};
use serde_json::json;

use super::event;
use crate::{
    bracket::Kind,
    domain::{Status, Tournament, TournamentFields},
    store::Meta,
    Tournaments,
};

pub async fn handle(
    state: Arc<Tournaments>,
    req: Request,
    _ctx: Ctx,
) -> Result<Response, ApiError> {
    let caller = identity::caller(&req, state.keys.tokens()?)?;
    caller.require_role(&[Role::Trainer, Role::Admin])?;
    let fields: TournamentFields = http::json_body(&req)?;
    let now = time::now_rfc3339();
    let mut t = Tournament {
        id: uuid::Uuid::now_v7().to_string(),
        name: String::new(),
        description: String::new(),
        start_date: String::new(),
        max_participants: 0,
        tournament_type: Kind::SingleElimination,
        status: Status::RegistrationOpen,
        participant_count: 0,
        third_place_match: false,
        grand_final: None,
        created_by: caller.user_id.clone(),
        created_at: now.clone(),
        updated_at: now,
        version: 1,
        check_in_minutes: 0,
        check_in_opens_at: None,
        waitlist_size: 0,
        waitlist_count: 0,
        current_round: None,
        swiss_rounds: None,
        top_cut: 0,
        group_count: None,
        advance_per_group: None,
        playoff_type: None,
    };
    fields.apply(&mut t, true)?;
    let meta = Meta {
        tournament: t.clone(),
        bracket_gen: None,
        disqualified: Vec::new(),
        bulk_batches: Vec::new(),
    };
    let created = event("tournament.created", &t.id, json!({ "tournament": t }));
    state
        .store
        .commit(&meta, None, &[], &[created])
        .await
        .map_err(|e| match e {
            crate::store::CommitError::Store(e) => e.into(),
            // A fresh UUID v7 cannot already exist.
            crate::store::CommitError::Stale => ApiError::internal(),
        })?;
    tracing::info!(tournament_id = %t.id, owner = %caller.user_id, "tournament created");
    http::json(201, &json!({ "tournament": t }))
}
