//! One module per function; HTTP ones expose `handle(state, request, ctx)`. What they share
//! is here: read the tournament, decide (pure), commit under the tournament's version, and
//! when another write won, read and decide again.

pub mod bracket;
pub mod cancel;
pub mod create;
pub mod disqualify;
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

use std::time::Duration;

use aws_sdk_dynamodb::types::TransactWriteItem;
use gymit_shared::{
    events::Event,
    retry::{retry, Attempt, Policy},
    time, ApiError,
};
use serde_json::{json, Value};

use crate::{
    bracket::{stages, standings, Bracket, Entrant, Kind, Match},
    domain::Tournament,
    store::{CommitError, Loaded, Meta},
    Tournaments,
};

/// A decided change: the new META (version already bumped), the other items it writes,
/// its events, and what the client gets back.
pub struct Decision<R> {
    pub meta: Meta,
    pub items: Vec<TransactWriteItem>,
    pub events: Vec<Event>,
    pub answer: R,
    /// Matches to write before the commit (a start): (generation, bracket).
    pub matches: Option<(String, Bracket)>,
}

impl<R> Decision<R> {
    pub fn new(meta: Meta, answer: R) -> Self {
        Self {
            meta,
            items: Vec::new(),
            events: Vec::new(),
            answer,
            matches: None,
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

/// What a write that kept losing answers.
pub fn busy() -> ApiError {
    ApiError::dependency_unavailable("the tournament is busy, try again")
}

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
            .ok_or_else(|| ApiError::not_found("tournament"))
    };
    commit_loop(state, id, read, |m: &Meta| m.tournament.version, decide).await
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
        if let Some((gen, bracket)) = &change.matches {
            state.store.put_matches(id, gen, bracket).await?;
        }
        let result = state
            .store
            .commit(&change.meta, Some(version(&current)), change.items, &change.events)
            .await;
        if let (Err(_), Some((gen, bracket))) = (&result, &change.matches) {
            // This start attempt lost: its matches would stay in the partition, unread.
            if let Err(e) = state.store.delete_matches(id, gen, bracket).await {
                tracing::warn!(tournament_id = id, error = %e, "deleting an abandoned start's matches failed");
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

/// A tournament event for the outbox.
pub fn event(event_type: &str, tournament_id: &str, data: Value) -> Event {
    Event::new(event_type, "tournament_id", tournament_id, data)
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

/// The winner of a finished bracket: the champion of an elimination, the first of the
/// standings in a round robin (`None` when first place is shared).
pub fn champion(t: &Tournament, b: &Bracket, loaded: &Loaded) -> Option<String> {
    if !b.is_finished() {
        return None;
    }
    let entrants = entrants(loaded);
    match t.tournament_type {
        Kind::RoundRobin => {}
        Kind::Swiss | Kind::GroupStage => return stages::champion(t.tournament_type, b, &entrants),
        _ => return b.champion(),
    }
    let names: Vec<(String, String)> = loaded
        .participants()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let table = standings(b, &names);
    let firsts = table.iter().filter(|s| s.rank == 1).count();
    (firsts == 1).then(|| table[0].participant_id.clone())
}

/// The participants as the staged formats see them: a disqualified one is never paired
/// or sent to a playoff again.
pub fn entrants(loaded: &Loaded) -> Vec<Entrant> {
    loaded
        .participants()
        .map(|p| Entrant {
            id: p.id.clone(),
            active: !p.disqualified,
        })
        .collect()
}

/// Draws into `after` every stage now due — the next Swiss round, the top cut, the playoff
/// after the groups — so it is stored in the same write as the change that completed the
/// stage before (API.md), keeps `current_round` in step, and returns the item that stores
/// the drawn matches (none when nothing was due).
pub fn draw_due_stages(
    state: &Tournaments,
    loaded: &Loaded,
    after: &mut Bracket,
    meta: &mut Meta,
) -> Result<Option<TransactWriteItem>, ApiError> {
    let t = loaded.tournament();
    let first_order = after.matches().len();
    let drawn = stages::advance(t.format(), after, &entrants(loaded));
    meta.tournament.staged.current_round = stages::current_round(t.tournament_type, after);
    if drawn.is_empty() {
        return Ok(None);
    }
    let gen = meta.bracket_gen.clone().unwrap_or_default();
    Ok(Some(state.store.stage_put(
        &t.id,
        &gen,
        first_order,
        &drawn,
    )?))
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
