//! The formats played in stages (API.md v1.1 "Swiss", "Groups, then playoffs") as the
//! tournament's rules see them: what a create or PATCH may set, what a start checks and
//! fixes, and the stages a change draws in its own write (the next Swiss round, the top
//! cut, the playoff after the groups) as a `Write::DrawStage`. No I/O: the engine
//! (`bracket::stages`) pairs, the store writes.

use gymit_shared::validate::Validator;

use super::{Participant, Refusal, Tournament, TournamentFields, Write};
use crate::bracket::{stages, swiss, Bracket, Entrant, Kind, Stages};

/// The most matches a group stage may hold, as the largest round robin (64 players):
/// its bracket answer stays under 1 MB.
pub const MAX_GROUP_MATCHES: u32 = 2016;
/// The most players one group holds (API.md).
pub const MAX_GROUP_SIZE: u32 = 32;

impl Tournament {
    /// The engine's rules for the staged formats (zero for the others).
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
    pub fn elimination_kind(&self) -> Kind {
        match self.tournament_type {
            Kind::GroupStage => self.playoff_type.unwrap_or(Kind::SingleElimination),
            other => other,
        }
    }
}

impl TournamentFields {
    pub(super) fn staged_fields_are_empty(&self) -> bool {
        self.swiss_rounds.is_none()
            && self.top_cut.is_none()
            && self.group_count.is_none()
            && self.advance_per_group.is_none()
            && self.playoff_type.is_none()
    }

    /// The staged formats' rows of `format_fields`: each field with the format it belongs to.
    pub(super) fn staged_format_fields(
        &self,
    ) -> Vec<(&'static str, &'static [Kind], &'static str)> {
        const SWISS: (&[Kind], &str) = (&[Kind::Swiss], "is only for Swiss tournaments");
        const GROUPS: (&[Kind], &str) = (&[Kind::GroupStage], "is only for group stages");
        [
            ("swiss_rounds", self.swiss_rounds.is_some(), SWISS),
            ("top_cut", self.top_cut.is_some(), SWISS),
            ("group_count", self.group_count.is_some(), GROUPS),
            (
                "advance_per_group",
                self.advance_per_group.is_some(),
                GROUPS,
            ),
            ("playoff_type", self.playoff_type.is_some(), GROUPS),
        ]
        .into_iter()
        .filter(|(_, present, _)| *present)
        .map(|(field, _, (kinds, message))| (field, kinds, message))
        .collect()
    }
}

/// The matches of a group stage of `n` players in `g` groups (sizes differing by one).
pub fn group_matches(n: u32, g: u32) -> u32 {
    let g = g.max(1);
    let (q, r) = (n / g, n % g);
    r * (q + 1) * q / 2 + (g - r) * q * q.saturating_sub(1) / 2
}

/// Checks and applies the staged fields of `fields` to `t` (whose type and size are
/// already applied), then clears those of other formats. A field of another format is
/// left to `format_fields` (422 naming it).
pub(super) fn apply(fields: &TournamentFields, t: &mut Tournament, v: &mut Validator) {
    let kind = t.tournament_type;
    if kind == Kind::Swiss {
        if let Some(r) = fields.swiss_rounds {
            match u32::try_from(r) {
                Ok(r) if (1..=255).contains(&r) => t.swiss_rounds = Some(r),
                _ => v.fail("swiss_rounds", "must be between 1 and 255"),
            }
        }
        if let Some(c) = fields.top_cut {
            match c {
                0 | 2 | 4 | 8 => t.top_cut = c as u32,
                _ => v.fail("top_cut", "must be 0, 2, 4 or 8"),
            }
        }
    }
    if kind == Kind::GroupStage {
        if let Some(g) = fields.group_count {
            match u32::try_from(g) {
                Ok(g) if (2..=16).contains(&g) => t.group_count = Some(g),
                _ => v.fail("group_count", "must be between 2 and 16"),
            }
        }
        if let Some(a) = fields.advance_per_group {
            match u32::try_from(a) {
                Ok(a) if (1..=4).contains(&a) => t.advance_per_group = Some(a),
                _ => v.fail("advance_per_group", "must be between 1 and 4"),
            }
        }
        if let Some(p) = &fields.playoff_type {
            match p.as_str() {
                "single_elimination" => t.playoff_type = Some(Kind::SingleElimination),
                "double_elimination" => t.playoff_type = Some(Kind::DoubleElimination),
                _ => v.fail(
                    "playoff_type",
                    "must be single_elimination or double_elimination",
                ),
            }
        }
    }
    if kind != Kind::Swiss {
        t.swiss_rounds = None;
        t.top_cut = 0;
    }
    if kind != Kind::GroupStage {
        t.group_count = None;
        t.advance_per_group = None;
        t.playoff_type = None;
        return;
    }
    t.playoff_type.get_or_insert(Kind::SingleElimination);
    for (value, field) in [
        (t.group_count, "group_count"),
        (t.advance_per_group, "advance_per_group"),
    ] {
        v.check(value.is_some(), field, "is required for a group stage");
    }
    let (n, Some(g)) = (t.max_participants, t.group_count) else {
        return;
    };
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

/// A start of a staged tournament with `n` players: refused when they are too few for its
/// stages (409 `not_enough_participants`); otherwise fixes the Swiss rounds (⌈log2 n⌉ when
/// not set) and `current_round` on `started`, the tournament as it starts.
pub fn start(started: &mut Tournament, n: usize, bracket: &Bracket) -> Result<(), Refusal> {
    stages::check_start(started.format(), n).map_err(|e| Refusal::NotEnoughParticipants(e.0))?;
    if started.tournament_type == Kind::Swiss {
        started
            .swiss_rounds
            .get_or_insert_with(|| swiss::default_rounds(n));
    }
    started.current_round = stages::current_round(started.tournament_type, bracket);
    Ok(())
}

/// The participants as the staged formats see them: one who dropped out or was
/// disqualified (or `leaving` now) is never paired or sent to a playoff again.
pub fn entrants<'a>(
    participants: impl Iterator<Item = &'a Participant>,
    leaving: Option<&str>,
) -> Vec<Entrant> {
    participants
        .map(|p| Entrant {
            id: p.id.clone(),
            active: p.is_active() && Some(p.id.as_str()) != leaving,
        })
        .collect()
}

/// After a change to the bracket (a result, a correction, a forfeit), draws into `after`
/// every stage now due — the next Swiss round, the top cut, the playoff after the groups —
/// keeps `changed.current_round` in step, and returns the write that stores the drawn
/// matches with that change (API.md: in the same write). `None` when nothing was due, and
/// always for elimination and round robin.
pub fn draw_due_stages(
    changed: &mut Tournament,
    entrants: &[Entrant],
    after: &mut Bracket,
) -> Option<Write> {
    let first_order = after.matches().len();
    let drawn = stages::advance(changed.format(), after, entrants);
    changed.current_round = stages::current_round(changed.tournament_type, after);
    (!drawn.is_empty()).then_some(Write::DrawStage {
        first_order,
        matches: drawn,
    })
}

/// A participant leaves play (drops out or is disqualified) after `after.disqualify` has
/// forfeited their unplayed match: in Swiss they are never paired again (they keep their
/// place in the standings), and when that forfeit completed the round, the next round (or
/// the top cut, or a group stage's playoff) is drawn now, without them, in the same write.
/// The drop route and the disqualification both call this; it does nothing for the
/// formats drawn whole at the start.
pub fn leave_pairing<'a>(
    changed: &mut Tournament,
    participants: impl Iterator<Item = &'a Participant>,
    leaving: &str,
    after: &mut Bracket,
) -> Option<Write> {
    let entrants = entrants(participants, Some(leaving));
    draw_due_stages(changed, &entrants, after)
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
