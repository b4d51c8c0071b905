//! One module per function; HTTP ones expose `handle(state, request, ctx)`. What they share
//! is here: read the tournament, decide (pure), commit under the tournament's version, and
//! when another write won, read and decide again; and the edge where a domain refusal
//! becomes the client's problem+json (`impl From<Refusal> for ApiError`).

pub mod bracket;
pub mod bulk;
pub mod cancel;
pub mod check_in;
pub mod create;
pub mod disqualify;
pub mod drop;
pub mod get;
pub mod healthz;
pub mod join;
pub mod list;
pub mod participant_remove;
pub mod participants_list;
pub mod results;
pub mod standings;
pub mod start;
pub mod sync_user;
pub mod update;
pub mod waitlist_leave;
pub mod waitlist_list;

use std::time::Duration;

use gymit_shared::{
    events::Event,
    retry::{retry, Attempt, Policy},
    time, ApiError,
};
use serde_json::{json, Value};

use crate::{
    bracket::{stages, standings, Bracket, EngineError, Kind, Match},
    domain::{
        staged,
        waitlist::{promote, remaining, waitlist_view, WaitlistEntry},
        Missing, Participant, Refusal, Status, Tournament, Write,
    },
    store::{CommitError, Loaded, Meta},
    Tournaments,
};
pub use crate::{busy, event};

/// A decided change: the new META (version already bumped), the domain's other writes,
/// its events, and what the client gets back.
pub struct Decision<R> {
    pub meta: Meta,
    pub writes: Vec<Write>,
    pub events: Vec<Event>,
    pub answer: R,
    /// Matches to write before the commit (a start): (generation, bracket).
    pub matches: Option<(String, Bracket)>,
    /// Participants to write before the commit (a bulk add): (batch, participants with
    /// their ordering keys).
    pub bulk: Option<(String, Vec<(Participant, String)>)>,
    /// Nothing to write: the request is already satisfied (a second check-in).
    pub unchanged: bool,
}

impl<R> Decision<R> {
    pub fn new(meta: Meta, answer: R) -> Self {
        Self {
            meta,
            writes: Vec::new(),
            events: Vec::new(),
            answer,
            matches: None,
            bulk: None,
            unchanged: false,
        }
    }

    /// The answer of a request that changes nothing: no write at all.
    pub fn unchanged(meta: Meta, answer: R) -> Self {
        Self {
            unchanged: true,
            ..Self::new(meta, answer)
        }
    }
}

/// The META that a change starts from: the one read, one version on.
pub fn next_meta(loaded: &Loaded) -> Meta {
    next_meta_of(&loaded.meta)
}

/// `next_meta` for a change that read META alone (`mutate_meta`).
pub fn next_meta_of(read: &Meta) -> Meta {
    let mut meta = read.clone();
    meta.tournament.version += 1;
    meta.tournament.updated_at = time::now_rfc3339();
    meta
}

/// How a change retries when other writes keep winning (a popular tournament): for 8 s at
/// most, well inside the functions' 10 s timeout, waiting at most 80 ms between tries.
const CONTENDED: Policy = Policy::until(Duration::from_secs(8), Duration::from_millis(5))
    .with_cap(Duration::from_millis(80));

/// Reads tournament `id` whole (one Query), lets `decide` turn it into a change (or
/// refuse), and commits it if nobody changed the tournament meanwhile; otherwise reads and
/// decides again. Two round trips when nobody races (plus a start's match batches).
pub async fn mutate<R>(
    state: &Tournaments,
    id: &str,
    decide: impl Fn(&Loaded) -> Result<Decision<R>, ApiError>,
) -> Result<R, ApiError> {
    commit_loop(
        state,
        id,
        || state.load(id),
        |l: &Loaded| l.meta.tournament.version,
        decide,
    )
    .await
}

/// `mutate` for the changes that need the tournament alone (an edit, a cancel): reads only
/// its META (one GetItem) instead of the whole partition.
pub async fn mutate_meta<R>(
    state: &Tournaments,
    id: &str,
    decide: impl Fn(&Meta) -> Result<Decision<R>, ApiError>,
) -> Result<R, ApiError> {
    let read = || async {
        state
            .store
            .meta(id)
            .await?
            .ok_or(Refusal::NotFound(Missing::Tournament))
            .map_err(ApiError::from)
    };
    commit_loop(state, id, read, |m: &Meta| m.tournament.version, decide).await
}

/// `mutate` for the changes of the waitlist and of capacity: reads META and the line (one
/// Query), not the roster or the bracket.
pub async fn mutate_line<R>(
    state: &Tournaments,
    id: &str,
    decide: impl Fn(&(Meta, Vec<WaitlistEntry>)) -> Result<Decision<R>, ApiError>,
) -> Result<R, ApiError> {
    let read = || async {
        state
            .store
            .meta_and_line(id)
            .await?
            .ok_or(Refusal::NotFound(Missing::Tournament))
            .map_err(ApiError::from)
    };
    commit_loop(
        state,
        id,
        read,
        |(m, _): &(Meta, Vec<WaitlistEntry>)| m.tournament.version,
        decide,
    )
    .await
}

/// The most promotions one write makes: each is three items of a transaction (the entry
/// leaves, the participant comes, its event), which holds at most 100.
pub const MAX_PROMOTIONS: usize = 30;

/// Promotion (API.md v1.1 "Waitlist"): while registration is open, the places free in
/// `change.meta` go to the first of `line`, in this same write, each with a
/// `participant.joined` event (`from_waitlist`), and `waitlist.updated` shows the rest.
pub fn promote_waiting<R>(
    change: &mut Decision<R>,
    line: &[WaitlistEntry],
) -> Result<Vec<Participant>, Refusal> {
    let t = &change.meta.tournament;
    if t.status != Status::RegistrationOpen {
        return Ok(Vec::new());
    }
    let free = t.max_participants.saturating_sub(t.participant_count) as usize;
    let first: Vec<&WaitlistEntry> = line.iter().take(free).collect();
    if first.is_empty() {
        return Ok(Vec::new());
    }
    if first.len() > MAX_PROMOTIONS {
        return Err(Refusal::TooManyChanges(format!(
            "this would promote {} people from the waitlist in one write; at most {MAX_PROMOTIONS} at a time",
            first.len()
        )));
    }
    let promoted = promote(t, &first, t.participant_count);
    let gone: Vec<&str> = first.iter().map(|e| e.user_id.as_str()).collect();
    let rest = remaining(line, &gone);
    let id = t.id.clone();
    change.meta.tournament.participant_count += promoted.len() as u32;
    change.meta.tournament.waitlist_count = rest.len() as u32;
    let mut out = Vec::new();
    for (p, write) in promoted {
        change.writes.push(write);
        change.events.push(event(
            "participant.joined",
            &id,
            json!({ "participant": p, "from_waitlist": true }),
        ));
        out.push(p);
    }
    change
        .events
        .push(event("waitlist.updated", &id, waitlist_view(&rest)));
    Ok(out)
}

async fn commit_loop<T, R, F>(
    state: &Tournaments,
    id: &str,
    read: impl Fn() -> F,
    version: impl Fn(&T) -> u64,
    decide: impl Fn(&T) -> Result<Decision<R>, ApiError>,
) -> Result<R, ApiError>
where
    F: std::future::Future<Output = Result<T, ApiError>>,
{
    let (read, version, decide) = (&read, &version, &decide);
    let outcome = retry(&CONTENDED, |_| async move {
        let current = read().await?;
        let change = decide(&current)?;
        if change.unchanged {
            return Ok(Attempt::Done(change.answer));
        }
        if let Some((gen, bracket)) = &change.matches {
            state.store.put_matches(id, gen, bracket).await?;
        }
        if let Some((batch, roster)) = &change.bulk {
            state.store.put_bulk(batch, roster).await?;
        }
        let result = state
            .store
            .commit(&change.meta, Some(version(&current)), &change.writes, &change.events)
            .await;
        if let (Err(_), Some((gen, bracket))) = (&result, &change.matches) {
            // This start attempt lost: its matches would stay in the partition, unread.
            if let Err(e) = state.store.delete_matches(id, gen, bracket).await {
                tracing::warn!(tournament_id = id, error = %e, "deleting an abandoned start's matches failed");
            }
        }
        if let (Err(_), Some((_, roster))) = (&result, &change.bulk) {
            // This bulk add lost: its participants never joined the roster.
            if let Err(e) = state.store.delete_bulk(roster).await {
                tracing::warn!(tournament_id = id, error = %e, "deleting a lost bulk add's participants failed");
            }
        }
        match result {
            Ok(()) => Ok(Attempt::Done(change.answer)),
            Err(CommitError::Stale) => Ok(Attempt::Retry(busy())),
            Err(CommitError::Store(e)) => Err(e.into()),
        }
    })
    .await;
    if let Err(e) = &outcome {
        let gave_up = busy();
        if (e.code, &e.detail) == (gave_up.code, &gave_up.detail) {
            tracing::warn!(tournament_id = id, "gave up: the tournament kept changing");
        }
    }
    outcome
}

/// The problem a client sees for each refusal of the tournament's rules (API.md).
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound(what) => ApiError::not_found(what.as_str()),
            Refusal::NotManager => ApiError::forbidden(
                "only the tournament's owner (as a trainer) or an admin may do this",
            ),
            Refusal::NotYours => {
                ApiError::forbidden("only the tournament's owner or an admin may add others")
            }
            Refusal::NotApproved => ApiError::not_approved(),
            Refusal::InvalidState { action, status } => ApiError::conflict(
                "invalid_state",
                format!("cannot {action} a tournament that is {}", status.as_str()),
            ),
            Refusal::RegistrationClosed(status) => ApiError::conflict(
                "registration_closed",
                format!(
                    "registration is closed: the tournament is {}",
                    status.as_str()
                ),
            ),
            Refusal::TournamentFull => {
                ApiError::conflict("tournament_full", "every place is taken")
            }
            Refusal::AlreadyRegistered => {
                ApiError::conflict("already_registered", "this user is already registered")
            }
            Refusal::CapacityBelowParticipants(count) => ApiError::conflict(
                "capacity_below_participants",
                format!("{count} participants are registered already"),
            ),
            Refusal::NotEnoughParticipants(detail) => {
                ApiError::conflict("not_enough_participants", detail)
            }
            Refusal::CheckInNotOpen => {
                ApiError::conflict("check_in_not_open", "check-in is not open now")
            }
            Refusal::TooManyChanges(detail) => ApiError::conflict("too_many_changes", detail),
            Refusal::AlreadyOut => ApiError::conflict(
                "invalid_state",
                "this participant has already dropped out or been disqualified",
            ),
            Refusal::Engine(e) => engine_problem(e),
            Refusal::Invalid(errors) => ApiError::validation(errors),
        }
    }
}

/// The problem a client sees for each refusal of the bracket engine.
fn engine_problem(e: EngineError) -> ApiError {
    match e {
        EngineError::UnknownMatch => ApiError::not_found("match"),
        EngineError::UnknownParticipant => ApiError::not_found("participant"),
        EngineError::AlreadyCompleted => ApiError::conflict(
            "match_already_completed",
            "this match already has a result; correct it with PUT",
        ),
        EngineError::NotReady => {
            ApiError::conflict("match_not_ready", "this match is not ready to be played")
        }
        EngineError::NotCompleted => ApiError::conflict(
            "match_not_completed",
            "only a completed match can be corrected",
        ),
        EngineError::WinnerNotInMatch => {
            ApiError::invalid_field("winner_id", "must be one of the match's two participants")
        }
        EngineError::DrawNotAllowed => ApiError::invalid_field(
            "winner_id",
            "is required: draws are only possible in round robin",
        ),
        EngineError::DownstreamCompleted => ApiError::conflict(
            "downstream_match_completed",
            "a match this result fed into is already completed",
        ),
        EngineError::Forfeited => ApiError::conflict(
            "invalid_state",
            "a forfeit follows from a disqualification and cannot be corrected",
        ),
        EngineError::AlreadyDisqualified => ApiError::conflict(
            "already_disqualified",
            "this participant is already disqualified",
        ),
        EngineError::Finished => ApiError::conflict(
            "invalid_state",
            "every place is decided: nobody can be disqualified any more",
        ),
    }
}

/// The `bracket` object of API.md.
pub fn bracket_view(t: &Tournament, bracket: Option<&Bracket>) -> Value {
    let matches: Vec<_> = bracket
        .map(|b| b.matches().iter().map(Match::view).collect())
        .unwrap_or_default();
    json!({
        "tournament_id": t.id,
        "tournament_type": t.tournament_type,
        "matches": matches,
    })
}

/// The winner of a finished bracket: the champion of an elimination (or of a Swiss top
/// cut, or the Swiss table's first), the first of the standings in a round robin (`None`
/// when first place is shared).
pub fn champion(t: &Tournament, b: &Bracket, loaded: &Loaded) -> Option<String> {
    if !b.is_finished() {
        return None;
    }
    match t.tournament_type {
        Kind::RoundRobin => {}
        Kind::Swiss | Kind::GroupStage => {
            let entrants = staged::entrants(loaded.field(), None);
            return stages::champion(t.tournament_type, b, &entrants);
        }
        _ => return b.champion(),
    }
    let names: Vec<(String, String)> = loaded
        .field()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let table = standings(b, &names);
    let firsts = table.iter().filter(|s| s.rank == 1).count();
    (firsts == 1).then(|| table[0].participant_id.clone())
}

/// An event's `data` must stay under 32 KiB (one WebSocket frame): the updated matches
/// are listed while they fit, and `updated_matches_truncated` says when some were left out.
pub fn match_completed(m: &Match, updated: &[&Match]) -> Value {
    const BUDGET: usize = 28 * 1024;
    let mut size = serde_json::to_string(&m.view())
        .map(|s| s.len())
        .unwrap_or(0);
    let mut listed = Vec::new();
    for u in updated {
        let v = serde_json::to_value(u.view()).unwrap_or(Value::Null);
        size += v.to_string().len() + 1;
        if size > BUDGET {
            break;
        }
        listed.push(v);
    }
    let truncated = listed.len() < updated.len();
    let mut data = json!({ "match": m.view(), "updated_matches": listed });
    if truncated {
        data["updated_matches_truncated"] = Value::Bool(true);
    }
    data
}
