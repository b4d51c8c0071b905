//! Why the tournament rules refuse a change, named after the situation. The domain and the
//! bracket engine speak only these; the handlers' edge (`handlers::problem`) turns each into
//! the problem+json of API.md, so no HTTP status is decided here.

use gymit_shared::error::FieldError;

use super::Status;
use crate::bracket::EngineError;

/// What a request names that does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Tournament,
    Participant,
    Match,
    Bracket,
    User,
    WaitlistEntry,
}

impl Missing {
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Tournament => "tournament",
            Missing::Participant => "participant",
            Missing::Match => "match",
            Missing::Bracket => "bracket",
            Missing::User => "user",
            Missing::WaitlistEntry => "waitlist entry",
        }
    }
}

/// A change the tournament's rules do not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound(Missing),
    /// Only the owner (while a trainer) or an admin may do this.
    NotManager,
    /// Only the owner or an admin may add someone else (a body with `name` or `user_id`).
    NotYours,
    /// The caller's account still waits for an admin's approval.
    NotApproved,
    /// The tournament's status does not allow `action` (e.g. "edit", "start").
    InvalidState {
        action: &'static str,
        status: Status,
    },
    /// Joining a tournament that is no longer `registration_open`.
    RegistrationClosed(Status),
    /// Every place (and every waitlist place) is taken.
    TournamentFull,
    /// The user is already a participant or on the waitlist.
    AlreadyRegistered,
    /// An edit would leave fewer places than registered participants.
    CapacityBelowParticipants(u32),
    /// A start (or the rules of its format) needs more players than there are.
    NotEnoughParticipants(String),
    /// Check-in is not open now (or the tournament has none).
    CheckInNotOpen,
    /// One write would change more items than a DynamoDB transaction holds (100).
    TooManyChanges(String),
    /// The participant has already dropped out or was disqualified.
    AlreadyOut,
    /// The bracket engine refused (a result, a correction, a disqualification).
    Engine(EngineError),
    /// A body field is invalid: the fields and what is wrong with each, in a member's words.
    Invalid(Vec<FieldError>),
}

impl Refusal {
    /// One invalid field.
    pub fn invalid(field: &str, message: &str) -> Self {
        Refusal::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<EngineError> for Refusal {
    fn from(e: EngineError) -> Self {
        Refusal::Engine(e)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Refusal {}
