//! The join use case (`POST …/participants`), between the handler and the store: read what
//! the decision needs in one round trip, decide (domain::joining), write the participant in
//! one transaction whose conditions hold capacity, and try again while racing writes or an
//! added user's `user.created` event is still on its way to the members projection.
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
        Missing, Participant, Refusal, Tournament,
    },
    event,
    store::{JoinError, Member},
    Tournaments,
};

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
}

impl Tournaments {
    /// `caller` joins tournament `id` themselves, or adds someone (`Joining::Add`): two
    /// round trips when nothing races.
    pub async fn join(
        &self,
        id: &str,
        caller: &Caller,
        joining: &Joining,
    ) -> Result<Participant, ApiError> {
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
                Ok(()) => Ok(Attempt::Done(participant)),
                Err(JoinError::AlreadyRegistered) => Err(Refusal::AlreadyRegistered.into()),
                Err(JoinError::UserUnavailable) => {
                    let user = participant.user_id.as_deref().unwrap_or_default();
                    self.user_unavailable(user).await
                }
                Err(JoinError::Closed) => {
                    // Full or no longer open: read it again to say which.
                    refuse_if_closed(&self.tournament(id).await?)?;
                    Ok(Attempt::Retry(busy()))
                }
                Err(JoinError::Conflict) => Ok(Attempt::Retry(busy())),
                Err(JoinError::Store(e)) => Err(e.into()),
            }
        })
        .await
    }

    async fn read_for_join(
        &self,
        id: &str,
        caller: &Caller,
        joining: &Joining,
    ) -> Result<Read, ApiError> {
        let found = match joining {
            Joining::Myself => {
                let (meta, member) = self.store.meta_with_member(id, &caller.user_id).await?;
                meta.map(|m| (m, None, member))
            }
            _ if joining.needs_roster() => self
                .store
                .meta_and_roster(id)
                .await?
                .map(|(m, roster)| (m, Some(roster), None)),
            Joining::Add(_) => self.store.meta(id).await?.map(|m| (m, None, None)),
        };
        let (meta, roster, member) = found.ok_or(Refusal::NotFound(Missing::Tournament))?;
        Ok(Read {
            tournament: meta.tournament,
            roster,
            member,
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
