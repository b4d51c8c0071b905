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

// ---- adding many players at once (API.md v1.1) -----------------------------------------

/// Most players one bulk add takes (a tournament's largest field).
pub const MAX_BULK_ITEMS: usize = 256;

/// Most players with a `user_id` one bulk add takes: each is a registration marker in the
/// one transaction that commits the add (DynamoDB holds 100 items: META, the event and
/// these), while named players are written before it, out of sight until it commits.
pub const MAX_BULK_USERS: usize = 90;

/// The body of `POST …/participants/bulk`: `{items: [{name, user_id?}]}`. Items are read
/// as raw JSON so that each problem names its index.
#[derive(Debug, Deserialize, Default)]
pub struct BulkBody {
    pub items: Option<serde_json::Value>,
}

impl BulkBody {
    /// Every item checked (all problems at once, each named `items[i].field`).
    pub fn validate(&self) -> Result<Vec<Addition>, Refusal> {
        let mut v = Validator::new();
        let Some(items) = self.items.as_ref().and_then(|i| i.as_array()) else {
            v.fail("items", "is required: a list of players ({name, user_id?})");
            checked(v)?;
            return Ok(Vec::new());
        };
        if items.is_empty() || items.len() > MAX_BULK_ITEMS {
            v.fail("items", "must list between 1 and 256 players");
        }
        let mut out = Vec::new();
        let mut users = std::collections::BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let field = |f: &str| format!("items[{i}].{f}");
            let name = match item.get("name").and_then(|n| n.as_str()) {
                Some(n) => v.text(&field("name"), n, 1, 100),
                None => {
                    v.fail(&field("name"), "is required and must be text");
                    String::new()
                }
            };
            let user_id = match item.get("user_id") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(u)) if !u.trim().is_empty() => {
                    if !users.insert(u.clone()) {
                        v.fail(&field("user_id"), "names a user listed earlier in items");
                    }
                    Some(u.clone())
                }
                Some(_) => {
                    v.fail(&field("user_id"), "must be a user's id");
                    None
                }
            };
            out.push(Addition {
                name,
                user_id,
                seed: None,
            });
        }
        if users.len() > MAX_BULK_USERS {
            v.fail(
                "items",
                "may name at most 90 players with a user_id at once (add the rest in another request)",
            );
        }
        checked(v)?;
        Ok(out)
    }
}

/// The participants a bulk add appends, in the given order, with the seeds after the
/// current ones, and their ordering keys.
pub fn bulk_participants(t: &Tournament, adds: &[Addition]) -> Vec<(Participant, String)> {
    let positions = super::append_positions(adds.len());
    adds.iter()
        .zip(positions)
        .enumerate()
        .map(|(i, (a, position))| {
            let participant = Participant {
                id: uuid::Uuid::now_v7().to_string(),
                tournament_id: t.id.clone(),
                user_id: a.user_id.clone(),
                name: a.name.clone(),
                seed: t.participant_count + i as u32 + 1,
                joined_at: time::now_rfc3339(),
                disqualified: false,
                status: ParticipantStatus::Active,
                checked_in_at: None,
            };
            (participant, position)
        })
        .collect()
}
