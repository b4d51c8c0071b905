//! The Swiss and group-stage fields of a tournament (API.md v1.1 "Swiss", "Groups, then
//! playoffs"): what a create or PATCH may set, checked against the tournament's type, and
//! the engine's `Stages` they become. No I/O.

use gymit_shared::validate::Validator;
use serde::{Deserialize, Serialize};

use super::{Tournament, TournamentFields};
use crate::bracket::{Kind, Stages};

/// The most matches a group stage may hold, as the largest round robin (64 players):
/// its bracket answer stays under 1 MB.
pub const MAX_GROUP_MATCHES: u32 = 2016;
/// The most players one group holds (API.md).
pub const MAX_GROUP_SIZE: u32 = 32;

/// Appears on every tournament, with these defaults outside the staged formats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Staged {
    /// Swiss: `None` = ⌈log2 n⌉ of the players at the start (set to that number then).
    pub swiss_rounds: Option<u32>,
    /// Swiss: 0, 2, 4 or 8.
    pub top_cut: u32,
    /// Group stage: 2–16 groups, 1–4 advancing from each, the playoff's type.
    pub group_count: Option<u32>,
    pub advance_per_group: Option<u32>,
    pub playoff_type: Option<Kind>,
    /// Swiss and group stage: the highest round paired so far.
    pub current_round: Option<u32>,
}

impl Staged {
    /// The engine's rules.
    pub fn stages(&self) -> Stages {
        Stages {
            swiss_rounds: self.swiss_rounds,
            top_cut: self.top_cut,
            group_count: self.group_count.unwrap_or(0),
            advance_per_group: self.advance_per_group.unwrap_or(0),
            playoff: self.playoff_type.unwrap_or(Kind::SingleElimination),
        }
    }

    /// The elimination type whose options (`third_place_match`, `grand_final`) apply: a
    /// group stage's playoff, or the tournament's own type.
    pub fn elimination_kind(&self, kind: Kind) -> Kind {
        match kind {
            Kind::GroupStage => self.playoff_type.unwrap_or(Kind::SingleElimination),
            other => other,
        }
    }
}

/// The matches of a group stage of `n` players in `g` groups (sizes differing by one).
pub fn group_matches(n: u32, g: u32) -> u32 {
    let g = g.max(1);
    let (q, r) = (n / g, n % g);
    r * (q + 1) * q / 2 + (g - r) * q * q.saturating_sub(1) / 2
}

/// Checks and applies the staged fields of `fields` to `t` (whose type and size are
/// already applied), then clears those of other formats.
pub(super) fn apply(fields: &TournamentFields, t: &mut Tournament, v: &mut Validator) {
    let (kind, n) = (t.tournament_type, t.max_participants);
    let s = &mut t.staged;
    let only = |v: &mut Validator, field: &str, owner: Kind, what: &str| {
        if kind != owner {
            v.fail(field, &format!("is only for {what}"));
            false
        } else {
            true
        }
    };
    if let Some(r) = fields.swiss_rounds {
        if only(v, "swiss_rounds", Kind::Swiss, "Swiss tournaments") {
            match u32::try_from(r) {
                Ok(r) if (1..=255).contains(&r) => s.swiss_rounds = Some(r),
                _ => v.fail("swiss_rounds", "must be between 1 and 255"),
            }
        }
    }
    if let Some(c) = fields.top_cut {
        if only(v, "top_cut", Kind::Swiss, "Swiss tournaments") {
            match c {
                0 | 2 | 4 | 8 => s.top_cut = c as u32,
                _ => v.fail("top_cut", "must be 0, 2, 4 or 8"),
            }
        }
    }
    if let Some(g) = fields.group_count {
        if only(v, "group_count", Kind::GroupStage, "group stages") {
            match u32::try_from(g) {
                Ok(g) if (2..=16).contains(&g) => s.group_count = Some(g),
                _ => v.fail("group_count", "must be between 2 and 16"),
            }
        }
    }
    if let Some(a) = fields.advance_per_group {
        if only(v, "advance_per_group", Kind::GroupStage, "group stages") {
            match u32::try_from(a) {
                Ok(a) if (1..=4).contains(&a) => s.advance_per_group = Some(a),
                _ => v.fail("advance_per_group", "must be between 1 and 4"),
            }
        }
    }
    if let Some(p) = &fields.playoff_type {
        if only(v, "playoff_type", Kind::GroupStage, "group stages") {
            match p.as_str() {
                "single_elimination" => s.playoff_type = Some(Kind::SingleElimination),
                "double_elimination" => s.playoff_type = Some(Kind::DoubleElimination),
                _ => v.fail(
                    "playoff_type",
                    "must be single_elimination or double_elimination",
                ),
            }
        }
    }
    match kind {
        Kind::Swiss => {
            s.group_count = None;
            s.advance_per_group = None;
            s.playoff_type = None;
        }
        Kind::GroupStage => {
            s.swiss_rounds = None;
            s.top_cut = 0;
            s.playoff_type.get_or_insert(Kind::SingleElimination);
            for (value, field) in [
                (s.group_count, "group_count"),
                (s.advance_per_group, "advance_per_group"),
            ] {
                v.check(value.is_some(), field, "is required for a group stage");
            }
            if let Some(g) = s.group_count {
                if n > g * MAX_GROUP_SIZE {
                    v.fail(
                        "max_participants",
                        &format!(
                            "must be at most {} for {g} groups (32 players a group)",
                            g * MAX_GROUP_SIZE
                        ),
                    );
                } else if group_matches(n, g) > MAX_GROUP_MATCHES {
                    v.fail(
                        "max_participants",
                        &format!(
                            "is too large for {g} groups: at most {MAX_GROUP_MATCHES} group matches (use more groups)"
                        ),
                    );
                }
            }
        }
        _ => *s = Staged::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_matches_count_each_groups_round_robin() {
        assert_eq!(group_matches(8, 2), 12);
        assert_eq!(group_matches(10, 3), 3 + 3 + 6);
        assert_eq!(group_matches(256, 16), 16 * 120);
        assert!(group_matches(256, 8) > MAX_GROUP_MATCHES);
        assert!(group_matches(128, 4) <= MAX_GROUP_MATCHES);
    }
}
