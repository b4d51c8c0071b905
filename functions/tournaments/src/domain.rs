//! Tournament rules with no I/O: the shapes clients see, what each body may contain, who
//! may do what, and the ordering keys that keep seeds 1..n without gaps.

use gymit_shared::{
    identity::{Caller, Role},
    validate::Validator,
};
use serde::{Deserialize, Serialize};

use crate::bracket::{Format, GrandFinal, Kind};

pub mod joining;
mod refusal;
pub mod staged;
pub mod waitlist;
mod write;
pub use refusal::{Missing, Refusal};
pub use write::Write;

/// The validator's verdict as a refusal (all problems at once).
fn checked(v: Validator) -> Result<(), Refusal> {
    v.finish().map_err(|e| Refusal::Invalid(e.errors))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    RegistrationOpen,
    InProgress,
    Completed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::RegistrationOpen => "registration_open",
            Status::InProgress => "in_progress",
            Status::Completed => "completed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::RegistrationOpen,
            Status::InProgress,
            Status::Completed,
            Status::Cancelled,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The `tournament` of API.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tournament {
    pub id: String,
    pub name: String,
    pub description: String,
    pub start_date: String,
    pub max_participants: u32,
    pub tournament_type: Kind,
    pub status: Status,
    pub participant_count: u32,
    pub third_place_match: bool,
    /// Double elimination only; `null` otherwise.
    pub grand_final: Option<GrandFinal>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
    /// Minutes before `start_date` that check-in opens; 0: no check-in (API.md v1.1).
    #[serde(default)]
    pub check_in_minutes: u32,
    /// `start_date − check_in_minutes`, or `None` without check-in (kept in step by
    /// `TournamentFields::apply`).
    #[serde(default)]
    pub check_in_opens_at: Option<String>,
    /// Waitlist places behind a full field; 0: no waitlist.
    #[serde(default)]
    pub waitlist_size: u32,
    /// Users on the waitlist now.
    #[serde(default)]
    pub waitlist_count: u32,
    /// Swiss and group stage: the highest round paired so far; `None` for the others.
    #[serde(default)]
    pub current_round: Option<u32>,
    /// Swiss: the rounds to play (`None` until the start: then ⌈log2 n⌉) and the top cut
    /// (0, 2, 4 or 8); `None`/0 for the other formats (see `staged`).
    #[serde(default)]
    pub swiss_rounds: Option<u32>,
    #[serde(default)]
    pub top_cut: u32,
    /// Group stage: 2–16 groups, 1–4 advancing from each, the playoff's type.
    #[serde(default)]
    pub group_count: Option<u32>,
    #[serde(default)]
    pub advance_per_group: Option<u32>,
    #[serde(default)]
    pub playoff_type: Option<Kind>,
}

impl Tournament {
    pub fn format(&self) -> Format {
        Format {
            kind: self.tournament_type,
            third_place_match: self.third_place_match,
            grand_final: self.grand_final.unwrap_or(GrandFinal::Double),
            stages: self.stages(),
        }
    }

    /// An admin, or the owner while still a trainer, approved: who may manage this
    /// tournament. Powers follow the current role (API.md): an owner demoted to member no
    /// longer edits, starts, cancels or reports (403 `forbidden`).
    pub fn require_manager(&self, caller: &Caller) -> Result<(), Refusal> {
        if !self.is_manager(caller) {
            return Err(Refusal::NotManager);
        }
        if !caller.approved {
            return Err(Refusal::NotApproved);
        }
        Ok(())
    }

    pub fn is_manager(&self, caller: &Caller) -> bool {
        caller.is_admin() || (caller.user_id == self.created_by && caller.role == Role::Trainer)
    }

    /// Refused (`InvalidState`) unless the tournament is in one of `allowed`.
    pub fn require_status(&self, allowed: &[Status], action: &'static str) -> Result<(), Refusal> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(Refusal::InvalidState {
                action,
                status: self.status,
            })
        }
    }
}

/// Where a participant stands in the field (API.md v1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStatus {
    #[default]
    Active,
    Disqualified,
    Dropped,
    /// Did not check in before the start: out of the field.
    NoShow,
}

/// The `participant` of API.md. `seed` is computed from `position` when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub id: String,
    pub tournament_id: String,
    pub user_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub seed: u32,
    pub joined_at: String,
    /// `status == Disqualified`, kept for clients of v1 (set through `set_status`).
    #[serde(default)]
    pub disqualified: bool,
    #[serde(default)]
    pub status: ParticipantStatus,
    #[serde(default)]
    pub checked_in_at: Option<String>,
}

impl Participant {
    pub fn set_status(&mut self, status: ParticipantStatus) {
        self.status = status;
        self.disqualified = status == ParticipantStatus::Disqualified;
    }

    /// Still playing (or, before the start, in the field).
    pub fn is_active(&self) -> bool {
        self.status == ParticipantStatus::Active
    }
}

/// Participants ordered by their position key, with seeds 1..n assigned in that order.
/// No-shows (out of the field since the start) follow everyone else, so the field keeps
/// seeds 1..n without gaps.
pub fn seeded(mut entries: Vec<(String, Participant)>) -> Vec<(String, Participant)> {
    entries.sort_by(|a, b| {
        let no_show = |p: &Participant| p.status == ParticipantStatus::NoShow;
        no_show(&a.1)
            .cmp(&no_show(&b.1))
            .then_with(|| a.0.cmp(&b.0))
            .then_with(|| a.1.id.cmp(&b.1.id))
    });
    for (i, (_, p)) in entries.iter_mut().enumerate() {
        p.seed = i as u32 + 1;
    }
    entries
}

// ---- ordering keys -------------------------------------------------------------------
//
// A participant's seed is its rank by `position` (then id), a string of decimal digits read
// as a fraction and compared byte-wise. An append takes a fresh time-ordered key (a UUID v7
// as a 39-digit number), so concurrent joins need not read each other; an insertion at
// seed k takes the midpoint of its neighbours' keys, so no other participant is rewritten
// (an insertion or a departure would otherwise renumber up to 255 items, beyond one
// transaction). No two keys are ever numerically equal, so byte order is numeric order.

/// A key after every key handed out before it, for an append.
pub fn append_position() -> String {
    format!("{:039}", uuid::Uuid::now_v7().as_u128())
}

/// `n` keys in increasing order, after every key handed out before them (several appends
/// in one write: a bulk add, promotions), whatever the clock's resolution.
pub fn append_positions(n: usize) -> Vec<String> {
    let base = append_position();
    // A fixed-width suffix ending in 1: no key ends in 0, and all sort after `base`.
    (0..n).map(|i| format!("{base}{i:04}1")).collect()
}

/// A key strictly between `low` (or the start) and `high`.
pub fn position_between(low: Option<&str>, high: &str) -> String {
    let low = low.unwrap_or("");
    let width = low.len().max(high.len()) + 1;
    let digits = |s: &str| -> Vec<u32> {
        let mut d: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
        d.resize(width, 0);
        d
    };
    let (a, b) = (digits(low), digits(high));
    // (a + b) / 2, digit by digit, as fractions with `width` digits: the sum may carry
    // into a leading unit, which the halving brings back.
    let mut sum = vec![0u32; width];
    let mut carry = 0;
    for i in (0..width).rev() {
        let s = a[i] + b[i] + carry;
        sum[i] = s % 10;
        carry = s / 10;
    }
    let mut mid = Vec::with_capacity(width + 1);
    let mut rem = carry;
    for d in sum {
        let cur = rem * 10 + d;
        mid.push(cur / 2);
        rem = cur % 2;
    }
    if rem == 1 {
        mid.push(5);
    }
    while mid.last() == Some(&0) {
        mid.pop();
    }
    mid.iter().map(|d| char::from(b'0' + *d as u8)).collect()
}

// ---- bodies --------------------------------------------------------------------------

/// The fields of a create (all required ones present) or of a PATCH (any subset).
#[derive(Debug, Default, Deserialize)]
pub struct TournamentFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub start_date: Option<String>,
    pub max_participants: Option<i64>,
    pub tournament_type: Option<String>,
    pub third_place_match: Option<bool>,
    pub grand_final: Option<String>,
    /// Any format (v1.1).
    pub check_in_minutes: Option<i64>,
    pub waitlist_size: Option<i64>,
    /// Swiss and group stage (v1.1, `staged`).
    pub swiss_rounds: Option<i64>,
    pub top_cut: Option<i64>,
    pub group_count: Option<i64>,
    pub advance_per_group: Option<i64>,
    pub playoff_type: Option<String>,
}

impl TournamentFields {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.start_date.is_none()
            && self.max_participants.is_none()
            && self.tournament_type.is_none()
            && self.third_place_match.is_none()
            && self.grand_final.is_none()
            && self.check_in_minutes.is_none()
            && self.waitlist_size.is_none()
            && self.staged_fields_are_empty()
    }

    /// The format-specific fields this body sets, each with the formats it belongs to: one
    /// row per field, so a new format adds its rows here and `apply` refuses each of them
    /// (422) on a tournament of another format.
    fn format_fields(&self) -> Vec<(&'static str, &'static [Kind], &'static str)> {
        let mut rows: Vec<(&'static str, &'static [Kind], &'static str)> = Vec::new();
        if self.third_place_match == Some(true) {
            rows.push((
                "third_place_match",
                &[Kind::SingleElimination],
                "is only for single elimination tournaments",
            ));
        }
        if self.grand_final.is_some() {
            rows.push((
                "grand_final",
                &[Kind::DoubleElimination],
                "is only for double elimination tournaments",
            ));
        }
        rows.extend(self.staged_format_fields());
        rows
    }

    /// Checks every present field (and, for a create, that the required ones are there),
    /// then applies them to `t`. All problems are reported at once.
    pub fn apply(&self, t: &mut Tournament, creating: bool) -> Result<(), Refusal> {
        let mut v = Validator::new();
        if creating {
            for (present, field) in [
                (self.name.is_some(), "name"),
                (self.start_date.is_some(), "start_date"),
                (self.max_participants.is_some(), "max_participants"),
                (self.tournament_type.is_some(), "tournament_type"),
            ] {
                v.check(present, field, "is required");
            }
        }
        if let Some(name) = &self.name {
            t.name = v.text("name", name, 1, 120);
        }
        if let Some(d) = &self.description {
            t.description = v.text("description", d, 0, 2000);
        }
        if let Some(d) = &self.start_date {
            if let Some(at) = v.timestamp("start_date", d) {
                t.start_date = at;
            }
        }
        if let Some(m) = self.max_participants {
            if (2..=256).contains(&m) {
                t.max_participants = m as u32;
            } else {
                v.fail("max_participants", "must be between 2 and 256");
            }
        }
        if let Some(k) = &self.tournament_type {
            match k.as_str() {
                "single_elimination" => t.tournament_type = Kind::SingleElimination,
                "double_elimination" => t.tournament_type = Kind::DoubleElimination,
                "round_robin" => t.tournament_type = Kind::RoundRobin,
                "swiss" => t.tournament_type = Kind::Swiss,
                "group_stage" => t.tournament_type = Kind::GroupStage,
                _ => v.fail(
                    "tournament_type",
                    "must be one of single_elimination, double_elimination, round_robin, swiss, group_stage",
                ),
            }
        }
        if let Some(g) = &self.grand_final {
            match g.as_str() {
                "double" => t.grand_final = Some(GrandFinal::Double),
                "single" => t.grand_final = Some(GrandFinal::Single),
                "none" => t.grand_final = Some(GrandFinal::None),
                _ => v.fail("grand_final", "must be one of double, single, none"),
            }
        }
        if let Some(tp) = self.third_place_match {
            t.third_place_match = tp;
        }
        // A round robin of n plays n(n-1)/2 matches: above 64 its start and bracket answers
        // would outgrow Lambda's 6 MB response (API.md caps it). Checked on the result, so
        // an edit of either field alone cannot get past it.
        let sizing = self.max_participants.is_some() || self.tournament_type.is_some();
        if sizing && t.tournament_type == Kind::RoundRobin && t.max_participants > MAX_ROUND_ROBIN {
            v.fail(
                "max_participants",
                "must be between 2 and 64 for a round robin",
            );
        }
        if let Some(m) = self.check_in_minutes {
            if (0..=MAX_CHECK_IN_MINUTES).contains(&m) {
                t.check_in_minutes = m as u32;
            } else {
                v.fail("check_in_minutes", "must be between 0 and 1440 (a day)");
            }
        }
        if let Some(w) = self.waitlist_size {
            if (0..=256).contains(&w) {
                t.waitlist_size = w as u32;
            } else {
                v.fail("waitlist_size", "must be between 0 and 256");
            }
        }
        staged::apply(self, t, &mut v);
        // Options that belong to another type are refused rather than silently dropped (a
        // group stage takes those of its playoff's type).
        let elimination = t.elimination_kind();
        for (field, formats, message) in self.format_fields() {
            if !formats.contains(&t.tournament_type) && !formats.contains(&elimination) {
                v.fail(field, message);
            }
        }
        checked(v)?;
        t.check_in_opens_at = check_in_opens_at(&t.start_date, t.check_in_minutes);
        match elimination {
            Kind::DoubleElimination => {
                t.grand_final.get_or_insert(GrandFinal::Double);
                t.third_place_match = false;
            }
            Kind::SingleElimination => t.grand_final = None,
            Kind::RoundRobin | Kind::Swiss | Kind::GroupStage => {
                t.grand_final = None;
                t.third_place_match = false;
            }
        }
        Ok(())
    }
}

/// `start_date − minutes`, or `None` without check-in (or a start date not yet set).
fn check_in_opens_at(start_date: &str, minutes: u32) -> Option<String> {
    if minutes == 0 {
        return None;
    }
    let start = chrono::DateTime::parse_from_rfc3339(start_date).ok()?;
    let opens = start.with_timezone(&chrono::Utc) - chrono::Duration::minutes(i64::from(minutes));
    Some(gymit_shared::time::rfc3339(opens))
}

/// The longest check-in window (API.md): a day.
pub const MAX_CHECK_IN_MINUTES: i64 = 1440;

/// The most participants a round robin takes (API.md): 2,016 matches.
pub const MAX_ROUND_ROBIN: u32 = 64;

/// The longest number a score may carry (API.md).
pub const MAX_SCORE_DIGITS: usize = 9;

/// A result body: `{winner_id, score}`; `winner_id: null` is a draw.
#[derive(Debug, Deserialize)]
pub struct ResultBody {
    #[serde(default)]
    pub winner_id: Option<String>,
    pub score: String,
}

impl ResultBody {
    /// Checks the score's format (API.md: ≤ 64 characters of digits, '-', ',' and spaces,
    /// with at least one digit).
    pub fn validate(&self) -> Result<String, Refusal> {
        let score = self.score.trim();
        let ok = !score.is_empty()
            && score.len() <= 64
            && score.bytes().any(|b| b.is_ascii_digit())
            && score
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-, ".contains(&b));
        if !ok {
            return Err(Refusal::invalid(
                "score",
                "must be like \"3-1\" or \"21-19,18-21\": digits, '-', ',' and spaces, at most 64",
            ));
        }
        // API.md: numbers of at most 9 digits, so every sum over a tournament stays small.
        if score
            .split(|c: char| !c.is_ascii_digit())
            .any(|number| number.len() > MAX_SCORE_DIGITS)
        {
            return Err(Refusal::invalid(
                "score",
                "each number must have at most 9 digits",
            ));
        }
        Ok(score.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_and_insertions_keep_their_order() {
        let keys: Vec<String> = (0..30).map(|_| append_position()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        // Insert repeatedly at the front and between two neighbours.
        let mut front = keys[0].clone();
        for _ in 0..300 {
            let k = position_between(None, &front);
            assert!(
                k < front && !k.is_empty() && !k.ends_with('0'),
                "{k} {front}"
            );
            front = k;
        }
        let (mut lo, hi) = (keys[3].clone(), keys[4].clone());
        for _ in 0..300 {
            let k = position_between(Some(&lo), &hi);
            assert!(lo < k && k < hi, "{lo} < {k} < {hi}");
            lo = k;
        }
        assert!(append_position() > hi);
    }

    #[test]
    fn scores_are_checked_for_format_only() {
        let body = |s: &str| ResultBody {
            winner_id: None,
            score: s.into(),
        };
        for ok in ["3-1", "21-19,18-21,21-15", " 2 - 2 "] {
            assert!(body(ok).validate().is_ok(), "{ok}");
        }
        for bad in ["", "forfeit", "3:1", &"1".repeat(65), "--"] {
            assert!(body(bad).validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn score_numbers_have_at_most_nine_digits() {
        let body = |s: &str| ResultBody {
            winner_id: None,
            score: s.into(),
        };
        assert!(body("999999999-0").validate().is_ok());
        assert!(body("0-123456789,1-2").validate().is_ok());
        for bad in [
            "1234567890-0",
            "1-0,0-9999999999",
            "99999999999999999999-1",
            "00000000001-1",
        ] {
            let err = body(bad).validate().unwrap_err();
            assert!(
                matches!(&err, Refusal::Invalid(fields) if fields[0].field == "score"),
                "{bad}: {err:?}"
            );
        }
    }

    fn tournament_owned_by(owner: &str) -> Tournament {
        serde_json::from_value(serde_json::json!({
            "id": "t1", "name": "Cup", "description": "", "start_date": "2026-12-01T10:00:00Z",
            "max_participants": 8, "tournament_type": "single_elimination",
            "status": "registration_open", "participant_count": 0, "third_place_match": false,
            "grand_final": null, "created_by": owner, "created_at": "2026-11-01T10:00:00Z",
            "updated_at": "2026-11-01T10:00:00Z", "version": 1
        }))
        .expect("a tournament")
    }

    #[test]
    fn an_owner_demoted_to_member_no_longer_manages() {
        let t = tournament_owned_by("u1");
        let caller = |role: Role| Caller {
            user_id: "u1".into(),
            email: "a@b.co".into(),
            role,
            approved: true,
        };
        assert!(t.require_manager(&caller(Role::Trainer)).is_ok());
        assert!(t.require_manager(&caller(Role::Admin)).is_ok());
        let err = t.require_manager(&caller(Role::Member)).unwrap_err();
        assert_eq!(err, Refusal::NotManager);
    }
}
