//! The join use case (`POST …/participants`), between the handler and the store: read what
//! the decision needs in one round trip, decide (domain::joining), write the participant in
//! one transaction whose conditions hold capacity, and try again while racing writes or an
//! added user's `user.created` event is still on its way to the members projection.
//!
//! A member's own join to a full tournament with a waitlist joins the line instead: it reads
//! META and the line (one Query), and commits the entry under the tournament's version, so
//! the line it answers (and puts in `waitlist.updated`) is the line as it is written, and
//! the waitlist's capacity is the version's condition.
//!
//! Joins do not read-and-check the tournament's version: the transaction's conditional
//! count increment is what holds capacity, so a rush of joins does not retry against
//! itself; they bump the version so that a start or an edit in flight notices.

use std::time::Duration;

use gymit_shared::{
    identity::Caller,
    ids,
    retry::{retry, Attempt, Policy},
    ApiError,
};
use serde_json::json;

use crate::{
    busy,
    domain::{
        joining::{new_participant, own_name, refuse_if_closed, Joining},
        waitlist::{joins_waitlist, new_entry, waitlist_view, WaitlistEntry},
        Missing, Participant, Refusal, Status, Tournament, Write,
    },
    event,
    handlers::next_meta_of,
    store::{CommitError, JoinError, Member},
    Tournaments,
};

/// What a join did: a place in the field (201) or in line (202).
#[derive(Debug, Clone)]
pub enum Joined {
    Participant(Participant),
    Waitlisted(WaitlistEntry),
}

/// How long after a user's id was minted its `user.created` event may still be on its way
/// to the members projection: an add of such a user waits for it instead of answering 404.
const MEMBER_EVENT_LAG: Duration = Duration::from_secs(5);

/// Joins retry only when a transaction touched the same items at that moment, when a full
/// or closed answer needs a second look, or while an added user's event is on its way: for
/// 8 s at most, waiting up to 160 ms.
const JOINS: Policy = Policy::until(Duration::from_secs(8), Duration::from_millis(5))
    .with_cap(Duration::from_millis(160));

/// What a join read in its first round trip.
struct Read {
    tournament: Tournament,
    /// The roster in seed order with position keys (an add at a seed only).
    roster: Option<Vec<(String, Participant)>>,
    /// The joining member (a self-join only).
    member: Option<Member>,
    /// The joining member is registered already, in the field or in line (a self-join).
    registered: bool,
}

impl Tournaments {
    /// `caller` joins tournament `id` themselves, or adds someone (`Joining::Add`): two
    /// round trips when nothing races.
    pub async fn join(
        &self,
        id: &str,
        caller: &Caller,
        joining: &Joining,
    ) -> Result<Joined, ApiError> {
        retry(&JOINS, |_| async move {
            // Round trip 1: what the decision needs, in one read.
            let read = self.read_for_join(id, caller, joining).await?;
            let t = &read.tournament;
            let (name, user_id, seed) = match joining {
                // Only the owner or an admin adds others: a member gets 403 before 422.
                Joining::Add(body) => {
                    t.require_manager(caller)?;
                    let a = body.validate()?;
                    (a.name, a.user_id, a.seed)
                }
                Joining::Myself => {
                    let member_name = read.member.as_ref().map(|m| m.full_name.as_str());
                    (
                        own_name(caller, member_name),
                        Some(caller.user_id.clone()),
                        None,
                    )
                }
            };
            let myself = matches!(joining, Joining::Myself);
            if myself && read.registered && t.status == Status::RegistrationOpen {
                return Err(Refusal::AlreadyRegistered.into());
            }
            if myself && joins_waitlist(t) {
                return self.wait(id, caller, name).await;
            }
            refuse_if_closed(t)?;
            let (participant, position) =
                new_participant(t, name, user_id, seed, read.roster.as_deref());
            // The seed in the answer and the event is the one this join saw: exact unless
            // another join commits between this one's read and its write, in which case the
            // participants list (always exact) may show it one or more places later.
            let joined = event(
                "participant.joined",
                id,
                json!({ "participant": participant }),
            );
            // Round trip 2: the join itself. An added user must be a known, active member:
            // a condition in the same transaction.
            let added = matches!(joining, Joining::Add(_));
            match self
                .store
                .join(&participant, &position, &joined, added)
                .await
            {
                Ok(()) => Ok(Attempt::Done(Joined::Participant(participant))),
                Err(JoinError::AlreadyRegistered) => Err(Refusal::AlreadyRegistered.into()),
                Err(JoinError::UserUnavailable) => {
                    let user = participant.user_id.as_deref().unwrap_or_default();
                    self.user_unavailable(user).await
                }
                Err(JoinError::Closed) => {
                    // Full or no longer open: read it again to say which (or, for a
                    // member's own join to a full field, to join the line next time).
                    let now = self.tournament(id).await?;
                    if !(myself && joins_waitlist(&now)) {
                        refuse_if_closed(&now)?;
                    }
                    Ok(Attempt::Retry(busy()))
                }
                Err(JoinError::Conflict) => Ok(Attempt::Retry(busy())),
                Err(JoinError::Store(e)) => Err(e.into()),
            }
        })
        .await
    }

    /// One attempt at joining the waitlist as `name`: read META and the line, decide, and
    /// commit the entry under the version read (another write meanwhile: try again).
    async fn wait(
        &self,
        id: &str,
        caller: &Caller,
        name: String,
    ) -> Result<Attempt<Joined, ApiError>, ApiError> {
        let (read, line) = self
            .store
            .meta_and_line(id)
            .await?
            .ok_or(Refusal::NotFound(Missing::Tournament))?;
        if !joins_waitlist(&read.tournament) {
            // The field has room again (or registration closed): decide afresh.
            return Ok(Attempt::Retry(busy()));
        }
        if line.iter().any(|e| e.user_id == caller.user_id) {
            return Err(Refusal::AlreadyRegistered.into());
        }
        if line.len() as u32 >= read.tournament.waitlist_size {
            return Err(Refusal::TournamentFull.into());
        }
        let mut meta = next_meta_of(&read);
        meta.tournament.waitlist_count = line.len() as u32;
        let (entry, position) = new_entry(&meta.tournament, &caller.user_id, name);
        meta.tournament.waitlist_count += 1;
        let mut now_in_line = line;
        now_in_line.push(entry.clone());
        let updated = event("waitlist.updated", id, waitlist_view(&now_in_line));
        let write = Write::PutWaitlistEntry {
            entry: entry.clone(),
            position,
        };
        match self
            .store
            .commit(&meta, Some(read.tournament.version), &[write], &[updated])
            .await
        {
            Ok(()) => Ok(Attempt::Done(Joined::Waitlisted(entry))),
            // Another write won (or the user registered meanwhile): read and decide again.
            Err(CommitError::Stale) => Ok(Attempt::Retry(busy())),
            Err(CommitError::Store(e)) => Err(e.into()),
        }
    }

    async fn read_for_join(
        &self,
        id: &str,
        caller: &Caller,
        joining: &Joining,
    ) -> Result<Read, ApiError> {
        let found = match joining {
            Joining::Myself => {
                let (meta, member, registered) =
                    self.store.meta_with_member(id, &caller.user_id).await?;
                meta.map(|m| (m, None, member, registered))
            }
            _ if joining.needs_roster() => self
                .store
                .meta_and_roster(id)
                .await?
                .map(|(m, roster)| (m, Some(roster), None, false)),
            Joining::Add(_) => self.store.meta(id).await?.map(|m| (m, None, None, false)),
        };
        let (meta, roster, member, registered) =
            found.ok_or(Refusal::NotFound(Missing::Tournament))?;
        Ok(Read {
            tournament: meta.tournament,
            roster,
            member,
            registered,
        })
    }

    /// An added user the transaction found no known, active member for: they may have
    /// reached the projection since (try again at once), or, created a moment ago, still be
    /// on their way (wait for them); otherwise 404.
    async fn user_unavailable<T>(&self, user: &str) -> Result<Attempt<T, ApiError>, ApiError> {
        let worth_another_try = match self.store.member(user).await? {
            Some(member) => member.active,
            None => ids::minted_within(user, MEMBER_EVENT_LAG),
        };
        let missing = ApiError::from(Refusal::NotFound(Missing::User));
        if worth_another_try {
            Ok(Attempt::Retry(missing))
        } else {
            Err(missing)
        }
    }
}
