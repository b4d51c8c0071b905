//! The waitlist and check-in rules (API.md v1.1), with no I/O: who waits in which order,
//! who is promoted when a place frees up, and who is a no-show at the start.
//!
//! Order is an ordering key per entry (`append_position`, time-ordered), so positions are
//! ranks 1..k without gaps whatever leaves; capacity is the META counters
//! (`participant_count`, `waitlist_count`), which every write changes under the
//! tournament's version or a condition on them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{Participant, ParticipantStatus, Refusal, Status, Tournament, Write};

/// The `waitlist_entry` of API.md. `position` is computed from the ordering key on read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    pub tournament_id: String,
    pub user_id: String,
    pub name: String,
    #[serde(default)]
    pub position: u32,
    pub joined_at: String,
    #[serde(default)]
    pub checked_in_at: Option<String>,
}

/// Entries ordered by their ordering key, with positions 1..k assigned in that order.
pub fn in_line(mut entries: Vec<(String, WaitlistEntry)>) -> Vec<(String, WaitlistEntry)> {
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.user_id.cmp(&b.1.user_id)));
    for (i, (_, e)) in entries.iter_mut().enumerate() {
        e.position = i as u32 + 1;
    }
    entries
}

/// The `waitlist.updated` event's data: the whole waitlist as it now is.
pub fn waitlist_view(entries: &[WaitlistEntry]) -> Value {
    json!({ "items": entries })
}

/// A promotion: the entry that leaves the waitlist and the participant it becomes, with
/// the next seed (a fresh ordering key after every other).
pub fn promote(t: &Tournament, entry: &WaitlistEntry, seed: u32) -> (Participant, Write) {
    let participant = Participant {
        id: uuid::Uuid::now_v7().to_string(),
        tournament_id: t.id.clone(),
        user_id: Some(entry.user_id.clone()),
        name: entry.name.clone(),
        seed,
        joined_at: gymit_shared::time::now_rfc3339(),
        disqualified: false,
        status: ParticipantStatus::Active,
        checked_in_at: entry.checked_in_at.clone(),
    };
    let write = Write::PromoteFromWaitlist {
        user_id: entry.user_id.clone(),
        participant: participant.clone(),
        position: super::append_position(),
    };
    (participant, write)
}

/// Whether check-in is open at `now`: the tournament has check-in, is still open, and
/// `check_in_opens_at` has passed.
pub fn check_in_open(t: &Tournament, now: DateTime<Utc>) -> bool {
    if t.status != Status::RegistrationOpen || t.check_in_minutes == 0 {
        return false;
    }
    t.check_in_opens_at
        .as_deref()
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .is_some_and(|opens| opens.with_timezone(&Utc) <= now)
}

/// Refused unless check-in is open now.
pub fn require_check_in_open(t: &Tournament, now: DateTime<Utc>) -> Result<(), Refusal> {
    if check_in_open(t, now) {
        Ok(())
    } else {
        Err(Refusal::CheckInNotOpen)
    }
}
