//! The tournament's own write vocabulary: what a decided change writes beside the new
//! tournament, in the domain's words. Handlers and the domain build these; only the store
//! (`TournamentsStore::commit`) turns them into DynamoDB items and conditions, so no SDK
//! type crosses the seam. Every write of one change is committed in one atomic
//! transaction, under the tournament's version.

use super::{waitlist::WaitlistEntry, Participant};
use crate::bracket::Match;

/// One write of a decided change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// A new participant at ordering key `position` (see `domain::append_position`), with
    /// their user's registration marker: neither may exist yet.
    PutParticipant {
        participant: Participant,
        position: String,
    },
    /// A participant (and their user's registration marker) leaves the tournament.
    RemoveParticipant(Participant),
    /// A participant is disqualified: they forfeit every unplayed match.
    DisqualifyParticipant { participant_id: String },
    /// A participant drops out: as a disqualification, with status `dropped`.
    DropParticipant { participant_id: String },
    /// A waitlisted user becomes a participant at ordering key `position`: their entry
    /// leaves the waitlist (it must still be there) and their registration marker stays.
    PromoteFromWaitlist {
        user_id: String,
        participant: Participant,
        position: String,
    },
    /// A user joins the end of the waitlist at ordering key `position`, with their
    /// registration marker: neither may exist yet.
    PutWaitlistEntry {
        entry: WaitlistEntry,
        position: String,
    },
    /// A user leaves the waitlist (or is taken off it): the entry and their registration
    /// marker go.
    RemoveWaitlistEntry { user_id: String },
    /// A participant checks in at `at` (RFC 3339).
    CheckInParticipant { participant_id: String, at: String },
    /// A waitlisted user checks in at `at`.
    CheckInWaitlisted { user_id: String, at: String },
    /// Users added together (a bulk add, whose participants are written before the commit)
    /// are registered: none may be yet.
    RegisterUsers { user_ids: Vec<String> },
    /// A participant who had not checked in when the tournament started leaves the field.
    MarkNoShow { participant_id: String },
    /// A first result on a match of the current bracket, recorded at tournament version
    /// `seq` (which orders it among the other results): none may be recorded yet.
    RecordResult {
        match_id: String,
        winner: Option<String>,
        score: String,
        seq: u64,
    },
    /// A correction of a recorded result: one must be recorded; it keeps its place.
    CorrectResult {
        match_id: String,
        winner: Option<String>,
        score: String,
    },
    /// A stage drawn during play (a Swiss round, a top cut, the playoff after the groups):
    /// new matches of the current bracket, stored together, which must not exist yet;
    /// `first_order` is the index in the bracket of the first of them.
    DrawStage {
        first_order: usize,
        matches: Vec<Match>,
    },
}
