//! `DELETE /api/tournaments/{id}/waitlist/{user_id}` (that user, the owner or an admin;
//! only while registration is open) → `204`: the entry leaves the line, those behind move
//! up, and `waitlist.updated` shows the line as it now is, in one write under the
//! tournament's version.

use std::sync::Arc;

use gymit_shared::{http, identity, ApiError, Ctx, Request, Response};

use super::{event, mutate_line, next_meta_of, Decision};
use crate::{
    domain::{
        waitlist::{remaining, waitlist_view},
        Missing, Refusal, Status, Write,
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
    let user_id = http::path_param(&req, "user_id")?;
    mutate_line(&state, &id, |(read, line)| {
        let t = &read.tournament;
        if user_id == caller.user_id && !t.is_manager(&caller) {
            // Leaving is a write: an unapproved account may not (403 not_approved).
            caller.require_approved()?;
        } else {
            t.require_manager(&caller)?;
        }
        t.require_status(&[Status::RegistrationOpen], "leave the waitlist of")?;
        if !line.iter().any(|e| e.user_id == user_id) {
            return Err(Refusal::NotFound(Missing::WaitlistEntry).into());
        }
        let rest = remaining(line, &[user_id.as_str()]);
        let mut meta = next_meta_of(read);
        meta.tournament.waitlist_count = rest.len() as u32;
        let mut change = Decision::new(meta, ());
        change.writes.push(Write::RemoveWaitlistEntry {
            user_id: user_id.clone(),
        });
        change
            .events
            .push(event("waitlist.updated", &t.id, waitlist_view(&rest)));
        Ok(change)
    })
    .await?;
    tracing::info!(tournament_id = %id, %user_id, by = %caller.user_id, "left the waitlist");
    http::no_content()
}
