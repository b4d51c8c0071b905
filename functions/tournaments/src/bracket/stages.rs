//! The formats played in stages — Swiss (rounds paired as the previous one ends, then a
//! top cut) and groups then a playoff — seen from the handlers: what to check at the
//! start, what to draw when a stage completes, who won.
//!
//! Elimination and round robin generate every match at the start; for them each function
//! here is a no-op, so a handler can call them for every tournament.

use super::{groups, swiss, Bracket, Format, Kind, Match};

/// The rules of the staged formats (`Format::stages`), zero for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stages {
    /// Swiss: the rounds to play (`None`: ⌈log2 n⌉ of the starters) and the top cut
    /// (0: none).
    pub swiss_rounds: Option<u32>,
    pub top_cut: u32,
    /// Group stage: the number of groups, the players each sends to the playoff, and the
    /// playoff's type (single or double elimination).
    pub group_count: u32,
    pub advance_per_group: u32,
    pub playoff: Kind,
}

impl Stages {
    pub const NONE: Stages = Stages {
        swiss_rounds: None,
        top_cut: 0,
        group_count: 0,
        advance_per_group: 0,
        playoff: Kind::SingleElimination,
    };
}

/// A participant as the pairing sees them: `active` is false once they dropped out or
/// were disqualified (they are never paired again, and keep their place in the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entrant {
    pub id: String,
    pub active: bool,
}

/// Why a staged tournament cannot start with the players it has (API.md: 409
/// `not_enough_participants`), in words for the organiser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooFewPlayers(pub String);

/// Checks that `n` starters are enough for the format's stages.
pub fn check_start(format: Format, n: usize) -> Result<(), TooFewPlayers> {
    let s = format.stages;
    match format.kind {
        Kind::Swiss => {
            if let Some(r) = s.swiss_rounds {
                if r as usize > n.saturating_sub(1) {
                    return Err(TooFewPlayers(format!(
                        "{r} Swiss rounds need at least {} players without a rematch",
                        r + 1
                    )));
                }
            }
            if s.top_cut as usize > n {
                return Err(TooFewPlayers(format!(
                    "a top cut of {} needs at least {} players",
                    s.top_cut, s.top_cut
                )));
            }
            Ok(())
        }
        Kind::GroupStage => {
            let g = s.group_count.max(1) as usize;
            let need = s.advance_per_group as usize + 1;
            if n / g < need {
                return Err(TooFewPlayers(format!(
                    "{g} groups sending {} each need at least {} players ({need} per group)",
                    s.advance_per_group,
                    g * need
                )));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The matches the next stage adds now that the current one is decided, if any.
pub fn follow_up(format: Format, bracket: &Bracket, entrants: &[Entrant]) -> Option<Vec<Match>> {
    let s = format.stages;
    match format.kind {
        Kind::Swiss => swiss::follow_up(bracket, entrants, s.swiss_rounds, s.top_cut),
        Kind::GroupStage => groups::follow_up(format, bracket, entrants),
        _ => None,
    }
}

/// Draws every stage that is due (a round whose last match was just decided, the top cut,
/// the playoff) into `bracket`, and returns the matches added, in order. Called after every
/// change to the bracket, in the same write.
pub fn advance(format: Format, bracket: &mut Bracket, entrants: &[Entrant]) -> Vec<Match> {
    let mut added = Vec::new();
    // Each pass adds a later round or stage; the bound only guards against a bug looping.
    for _ in 0..=512 {
        let Some(next) = follow_up(format, bracket, entrants) else {
            break;
        };
        let ids: Vec<String> = next.iter().map(|m| m.id.clone()).collect();
        bracket.extend(next);
        added.extend(ids.iter().filter_map(|id| bracket.get(id).cloned()));
    }
    added
}

/// The highest round paired so far: the Swiss round, or the groups' last round.
pub fn current_round(kind: Kind, bracket: &Bracket) -> Option<u32> {
    match kind {
        Kind::Swiss => swiss::current_round(bracket),
        Kind::GroupStage => groups::current_round(bracket),
        _ => None,
    }
}

/// The winner of a finished staged tournament (`None` for the other formats: the bracket
/// decides).
pub fn champion(kind: Kind, bracket: &Bracket, entrants: &[Entrant]) -> Option<String> {
    match kind {
        Kind::Swiss => swiss::champion(bracket, entrants),
        Kind::GroupStage => bracket.champion(),
        _ => None,
    }
}
