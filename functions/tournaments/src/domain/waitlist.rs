//! The waitlist and check-in rules (API.md v1.1), with no I/O: who waits in which order,
//! who is promoted when a place frees up, and who is a no-show at the start.
//!
//! Order is an ordering key per entry (`append_position`, time-ordered), so positions are
//! ranks 1..k without gaps whatever leaves; capacity is the META counters
//! (`participant_count`, `waitlist_count`), which every write changes under the
//! tournament's version or a condition on them (`registration.rs`, `store.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    append_position, append_positions, Participant, ParticipantStatus, Refusal, Status, Tournament,
    Write,
};

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

/// A new entry for `user_id` at the end of the line (position `waitlist_count + 1` of `t`),
/// and its ordering key.
pub fn new_entry(t: &Tournament, user_id: &str, name: String) -> (WaitlistEntry, String) {
    let entry = WaitlistEntry {
        tournament_id: t.id.clone(),
        user_id: user_id.to_string(),
        name,
        position: t.waitlist_count + 1,
        joined_at: gymit_shared::time::now_rfc3339(),
        checked_in_at: None,
    };
    (entry, append_position())
}

/// Whether a member's own join to this tournament goes to the waitlist: registration is
/// open, the field is full and the tournament has a waitlist (a full waitlist is refused
/// when the join reads the line).
pub fn joins_waitlist(t: &Tournament) -> bool {
    t.status == Status::RegistrationOpen
        && t.participant_count >= t.max_participants
        && t.waitlist_size > 0
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

/// Promotions of `entries` (in waitlist order) into the field: each becomes a participant
/// with the next seed after `seeded` participants, at an ordering key after every other.
pub fn promote(
    t: &Tournament,
    entries: &[&WaitlistEntry],
    seeded: u32,
) -> Vec<(Participant, Write)> {
    let positions = append_positions(entries.len());
    entries
        .iter()
        .zip(positions)
        .enumerate()
        .map(|(i, (entry, position))| {
            let participant = Participant {
                id: uuid::Uuid::now_v7().to_string(),
                tournament_id: t.id.clone(),
                user_id: Some(entry.user_id.clone()),
                name: entry.name.clone(),
                seed: seeded + i as u32 + 1,
                joined_at: gymit_shared::time::now_rfc3339(),
                disqualified: false,
                status: ParticipantStatus::Active,
                checked_in_at: entry.checked_in_at.clone(),
            };
            let write = Write::PromoteFromWaitlist {
                user_id: entry.user_id.clone(),
                participant: participant.clone(),
                position,
            };
            (participant, write)
        })
        .collect()
}

/// The waitlist once `promoted` user ids (and `removed` ones) have left it, renumbered.
pub fn remaining(entries: &[WaitlistEntry], gone: &[&str]) -> Vec<WaitlistEntry> {
    let mut left: Vec<WaitlistEntry> = entries
        .iter()
        .filter(|e| !gone.contains(&e.user_id.as_str()))
        .cloned()
        .collect();
    for (i, e) in left.iter_mut().enumerate() {
        e.position = i as u32 + 1;
    }
    left
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

/// The field a start plays with (API.md v1.1 "Check-in"): without check-in, the roster as
/// it is; with it, whoever has not checked in is a no-show, and waitlisted users who have
/// checked in fill the free places in waitlist order, after the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The players in seed order (promoted ones last), seeds 1..n.
    pub players: Vec<Participant>,
    pub no_shows: Vec<Participant>,
    pub promoted: Vec<Participant>,
    /// What the start writes beside the bracket: no-shows and promotions.
    pub writes: Vec<Write>,
}

/// Decides the field of a start from the roster (seed order) and the waitlist (in line).
/// Fewer than 2 players left: 409 `not_enough_participants`, nothing changes.
pub fn field_at_start(
    t: &Tournament,
    roster: &[Participant],
    waitlist: &[WaitlistEntry],
) -> Result<Field, Refusal> {
    let checking_in = t.check_in_minutes > 0;
    let (mut players, no_shows): (Vec<Participant>, Vec<Participant>) = roster
        .iter()
        .filter(|p| p.status != ParticipantStatus::NoShow)
        .cloned()
        .partition(|p| !checking_in || p.checked_in_at.is_some());
    let mut writes = Vec::new();
    let mut promoted = Vec::new();
    if checking_in {
        let free = (t.max_participants as usize).saturating_sub(players.len());
        let ready: Vec<&WaitlistEntry> = waitlist
            .iter()
            .filter(|e| e.checked_in_at.is_some())
            .take(free)
            .collect();
        for (p, w) in promote(t, &ready, players.len() as u32) {
            promoted.push(p);
            writes.push(w);
        }
    }
    players.extend(promoted.iter().cloned());
    if players.len() < 2 {
        return Err(Refusal::NotEnoughParticipants(format!(
            "a tournament needs at least 2 participants; {} would remain after check-in",
            players.len()
        )));
    }
    for (i, p) in players.iter_mut().enumerate() {
        p.seed = i as u32 + 1;
    }
    let no_shows: Vec<Participant> = no_shows
        .into_iter()
        .map(|mut p| {
            writes.push(Write::MarkNoShow {
                participant_id: p.id.clone(),
            });
            p.set_status(ParticipantStatus::NoShow);
            p
        })
        .collect();
    Ok(Field {
        players,
        no_shows,
        promoted,
        writes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tournament(max: u32, check_in_minutes: u32) -> Tournament {
        serde_json::from_value(json!({
            "id": "t1", "name": "Cup", "description": "", "start_date": "2026-12-01T10:00:00Z",
            "max_participants": max, "tournament_type": "single_elimination",
            "status": "registration_open", "participant_count": 0, "third_place_match": false,
            "grand_final": null, "created_by": "u0", "created_at": "2026-11-01T10:00:00Z",
            "updated_at": "2026-11-01T10:00:00Z", "version": 1,
            "check_in_minutes": check_in_minutes, "check_in_opens_at": "2026-12-01T09:00:00Z",
            "waitlist_size": 4
        }))
        .expect("a tournament")
    }

    fn player(name: &str, seed: u32, checked_in: bool) -> Participant {
        Participant {
            id: format!("p-{name}"),
            tournament_id: "t1".into(),
            user_id: Some(format!("u-{name}")),
            name: name.into(),
            seed,
            joined_at: "2026-11-02T10:00:00Z".into(),
            disqualified: false,
            status: ParticipantStatus::Active,
            checked_in_at: checked_in.then(|| "2026-12-01T09:30:00Z".to_string()),
        }
    }

    fn waiting(name: &str, position: u32, checked_in: bool) -> WaitlistEntry {
        WaitlistEntry {
            tournament_id: "t1".into(),
            user_id: format!("u-{name}"),
            name: name.into(),
            position,
            joined_at: "2026-11-03T10:00:00Z".into(),
            checked_in_at: checked_in.then(|| "2026-12-01T09:40:00Z".to_string()),
        }
    }

    #[test]
    fn no_shows_leave_and_checked_in_waitlisted_fill_their_places_in_order() {
        let t = tournament(4, 60);
        let roster = [
            player("A", 1, true),
            player("B", 2, false),
            player("C", 3, true),
            player("D", 4, false),
        ];
        let line = [
            waiting("W1", 1, false),
            waiting("W2", 2, true),
            waiting("W3", 3, true),
            waiting("W4", 4, true),
        ];
        let field = field_at_start(&t, &roster, &line).expect("a field");
        let names = |ps: &[Participant]| ps.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&field.players), ["A", "C", "W2", "W3"]);
        assert_eq!(
            field.players.iter().map(|p| p.seed).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(names(&field.no_shows), ["B", "D"]);
        assert!(field
            .no_shows
            .iter()
            .all(|p| p.status == ParticipantStatus::NoShow));
        assert_eq!(names(&field.promoted), ["W2", "W3"]);
        assert_eq!(field.writes.len(), 4);
    }

    #[test]
    fn without_check_in_the_roster_plays_as_it_is() {
        let t = tournament(4, 0);
        let roster = [player("A", 1, false), player("B", 2, false)];
        let field = field_at_start(&t, &roster, &[waiting("W1", 1, true)]).expect("a field");
        assert_eq!(field.players.len(), 2);
        assert!(field.no_shows.is_empty() && field.promoted.is_empty());
        assert!(field.writes.is_empty());
    }

    #[test]
    fn fewer_than_two_left_after_check_in_is_refused() {
        let t = tournament(4, 60);
        let roster = [player("A", 1, true), player("B", 2, false)];
        let err = field_at_start(&t, &roster, &[waiting("W1", 1, false)]).unwrap_err();
        assert!(matches!(err, Refusal::NotEnoughParticipants(_)), "{err:?}");
    }

    #[test]
    fn promotions_keep_waitlist_order_in_their_keys() {
        let t = tournament(4, 0);
        let (a, b) = (waiting("W1", 1, false), waiting("W2", 2, false));
        let promoted = promote(&t, &[&a, &b], 2);
        let keys: Vec<&String> = promoted
            .iter()
            .map(|(_, w)| match w {
                Write::PromoteFromWaitlist { position, .. } => position,
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(keys[0] < keys[1] && *keys[1] < append_position());
        assert_eq!(promoted[1].0.seed, 4);
    }

    #[test]
    fn check_in_opens_at_its_time_and_closes_with_the_start() {
        let mut t = tournament(4, 60);
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("a time")
                .with_timezone(&Utc)
        };
        assert!(!check_in_open(&t, at("2026-12-01T08:59:00Z")));
        assert!(check_in_open(&t, at("2026-12-01T09:00:00Z")));
        assert!(
            check_in_open(&t, at("2026-12-01T11:00:00Z")),
            "until the start"
        );
        t.status = Status::InProgress;
        assert!(!check_in_open(&t, at("2026-12-01T09:30:00Z")));
        t.status = Status::RegistrationOpen;
        t.check_in_minutes = 0;
        assert!(!check_in_open(&t, at("2026-12-01T09:30:00Z")));
    }
}
