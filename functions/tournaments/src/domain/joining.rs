//! The rules of a join (`POST …/participants`), with no I/O: what the body asks for, who
//! may ask it, whether the tournament takes anyone, and the participant the join adds.

use gymit_shared::{identity::Caller, time, validate::Validator};
use serde::Deserialize;

use super::{
    append_position, checked, position_between, Participant, ParticipantStatus, Refusal, Status,
    Tournament,
};

/// The body of a join: empty for a self-join, `{name, user_id?, seed?}` for an add.
#[derive(Debug, Deserialize, Default)]
pub struct JoinBody {
    pub name: Option<String>,
    pub user_id: Option<String>,
    pub seed: Option<i64>,
}

/// The two behaviours of the route, told apart by the body: an empty one is a self-join.
#[derive(Debug)]
pub enum Joining {
    /// The caller joins; their name comes from the members projection.
    Myself,
    /// The owner or an admin adds someone, possibly a user, possibly at a seed.
    Add(JoinBody),
}

impl Joining {
    pub fn of(body: JoinBody) -> Self {
        if body.name.is_none() && body.user_id.is_none() && body.seed.is_none() {
            Joining::Myself
        } else {
            Joining::Add(body)
        }
    }

    /// Whether deciding needs the roster's position keys (an add at a seed).
    pub fn needs_roster(&self) -> bool {
        matches!(self, Joining::Add(JoinBody { seed: Some(_), .. }))
    }
}

/// A valid add: the name and the seed asked for.
#[derive(Debug, Clone)]
pub struct Addition {
    pub name: String,
    pub user_id: Option<String>,
    pub seed: Option<u32>,
}

impl JoinBody {
    /// Checks an add's fields (all problems at once).
    pub fn validate(&self) -> Result<Addition, Refusal> {
        let mut v = Validator::new();
        let name = match &self.name {
            Some(n) => v.text("name", n, 1, 100),
            None => {
                v.fail("name", "is required");
                String::new()
            }
        };
        let seed = self.seed.map(|s| {
            v.check((1..=256).contains(&s), "seed", "must be between 1 and 256");
            s as u32
        });
        checked(v)?;
        Ok(Addition {
            name,
            user_id: self.user_id.clone(),
            seed,
        })
    }
}

/// Refused when the tournament takes no more participants.
pub fn refuse_if_closed(t: &Tournament) -> Result<(), Refusal> {
    if t.status != Status::RegistrationOpen {
        return Err(Refusal::RegistrationClosed(t.status));
    }
    if t.participant_count >= t.max_participants {
        return Err(Refusal::TournamentFull);
    }
    Ok(())
}

/// A self-join's name: the member's (or, before the projection knows them, the local part
/// of their email).
pub fn own_name(caller: &Caller, member_name: Option<&str>) -> String {
    member_name
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            caller
                .email
                .split('@')
                .next()
                .unwrap_or("player")
                .to_string()
        })
}

/// The participant a join adds and its position key: an insertion takes the midpoint of
/// its neighbours' keys; an append a fresh key after every other, and the next seed.
/// `roster` is the roster in seed order with position keys (read for an add at a seed).
pub fn new_participant(
    t: &Tournament,
    name: String,
    user_id: Option<String>,
    seed: Option<u32>,
    roster: Option<&[(String, Participant)]>,
) -> (Participant, String) {
    let (position, seed) = match (seed, roster) {
        (Some(k), Some(roster)) if k >= 1 && (k as usize) <= roster.len() => {
            let k = k as usize;
            let high = roster[k - 1].0.as_str();
            let low = (k >= 2).then(|| roster[k - 2].0.as_str());
            (position_between(low, high), k as u32)
        }
        _ => (append_position(), t.participant_count + 1),
    };
    let participant = Participant {
        id: uuid::Uuid::now_v7().to_string(),
        tournament_id: t.id.clone(),
        user_id,
        name,
        seed,
        joined_at: time::now_rfc3339(),
        disqualified: false,
        status: ParticipantStatus::Active,
        checked_in_at: None,
    };
    (participant, position)
}
