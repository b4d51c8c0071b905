//! Building a bracket from the seeded participants.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{Bracket, Match, Side, Slot};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    #[default]
    SingleElimination,
    DoubleElimination,
    RoundRobin,
    Swiss,
    GroupStage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrandFinal {
    /// Bracket reset when the losers-bracket winner wins the first final.
    Double,
    Single,
    /// No final: the winners- and losers-bracket winners both finish.
    None,
}

/// How a tournament is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub kind: Kind,
    pub third_place_match: bool,
    pub grand_final: GrandFinal,
    /// The rules of the formats played in stages (Swiss, groups then playoff).
    pub stages: super::Stages,
}

/// The seed order of a bracket of `size` (a power of two): position `i` of round one holds
/// seed `order[i]`. 1 v size, and 1 and 2 in opposite halves, recursively, so the top two
/// seeds can only meet in the final, the top four only from the semi-finals on.
pub fn seed_order(size: usize) -> Vec<usize> {
    let mut order = vec![1];
    while order.len() < size {
        let n = order.len() * 2;
        order = order.iter().flat_map(|&s| [s, n + 1 - s]).collect();
    }
    order
}

/// The bracket for `participants`, given in seed order (seed 1 first).
pub fn generate(format: Format, participants: &[String]) -> Bracket {
    let matches = match format.kind {
        Kind::SingleElimination => {
            let mut m = winners(participants);
            if format.third_place_match {
                third_place(&mut m);
            }
            m
        }
        Kind::DoubleElimination => double(participants, format.grand_final),
        Kind::RoundRobin => round_robin(participants),
        Kind::Swiss => super::swiss::round_one(participants),
        Kind::GroupStage => super::groups::group_matches(format.stages, participants),
    };
    Bracket::new(matches, BTreeSet::new())
}

fn id(side: Side, round: u32, number: u32) -> String {
    match side {
        Side::Winners => format!("W{round}-{number}"),
        Side::Losers => format!("L{round}-{number}"),
        Side::GrandFinal => format!("GF{round}"),
        Side::ThirdPlace => "TP".to_string(),
        Side::RoundRobin => format!("R{round}-{number}"),
        Side::Swiss => format!("S{round}-{number}"),
        // Group matches are named by their group (`groups`).
        Side::Group => format!("G-{round}-{number}"),
        Side::Playoff => format!("P{round}-{number}"),
    }
}

pub(super) fn new_match(side: Side, round: u32, number: u32) -> Match {
    Match::new(id(side, round, number), side, round, number)
}

fn slot_of(index: usize) -> Slot {
    if index.is_multiple_of(2) {
        Slot::One
    } else {
        Slot::Two
    }
}

fn wire_winner(m: &mut Match, to: &str, slot: Slot) {
    m.next_match_id = Some(to.to_string());
    m.next_slot = Some(slot);
}

fn wire_loser(m: &mut Match, to: &str, slot: Slot) {
    m.next_loser_match_id = Some(to.to_string());
    m.next_loser_slot = Some(slot);
}

fn bracket_size(n: usize) -> usize {
    n.max(2).next_power_of_two()
}

/// The winners bracket (all of single elimination): rounds 1..=log2(size).
fn winners(participants: &[String]) -> Vec<Match> {
    elimination(Side::Winners, participants)
}

/// A single elimination on `side` (the winners bracket, or a Swiss top cut).
pub(super) fn elimination(side: Side, participants: &[String]) -> Vec<Match> {
    let size = bracket_size(participants.len());
    let rounds = size.trailing_zeros();
    let order = seed_order(size);
    let mut matches = Vec::new();
    for round in 1..=rounds {
        let count = size >> round;
        for k in 0..count {
            let mut m = new_match(side, round, k as u32 + 1);
            if round == 1 {
                m.participant1_id = participants.get(order[2 * k] - 1).cloned();
                m.participant2_id = participants.get(order[2 * k + 1] - 1).cloned();
            }
            if round < rounds {
                wire_winner(&mut m, &id(side, round + 1, k as u32 / 2 + 1), slot_of(k));
            }
            matches.push(m);
        }
    }
    matches
}

/// The match between the semi-final losers (only when there are semi-finals).
fn third_place(matches: &mut Vec<Match>) {
    let rounds = matches.iter().map(|m| m.round).max().unwrap_or(0);
    if rounds < 2 {
        return;
    }
    let tp = new_match(Side::ThirdPlace, 1, 1);
    for m in matches.iter_mut().filter(|m| m.round == rounds - 1) {
        let slot = if m.match_number == 1 {
            Slot::One
        } else {
            Slot::Two
        };
        wire_loser(m, &tp.id, slot);
    }
    matches.push(tp);
}

/// Winners bracket, losers bracket and grand final.
///
/// With `k` winners rounds the losers bracket has `2(k-1)` rounds: odd rounds pair the
/// survivors among themselves (round 1 pairs the losers of winners round 1), even round
/// `2m` meets the survivors against the losers dropping from winners round `m + 1`. The
/// drops are fed in reverse order on every other round so that two participants who met
/// in the winners bracket do not meet again straight away.
fn double(participants: &[String], grand_final: GrandFinal) -> Vec<Match> {
    let mut matches = winners(participants);
    let size = bracket_size(participants.len());
    let k = size.trailing_zeros();
    let lb_rounds = 2 * (k - 1);
    let wb_count = |round: u32| size >> round;
    let lb_count = |round: u32| size >> (round.div_ceil(2) + 1);
    let final_target = match grand_final {
        GrandFinal::None => None,
        _ => Some(id(Side::GrandFinal, 1, 1)),
    };

    let mut losers = Vec::new();
    for round in 1..=lb_rounds {
        for j in 0..lb_count(round) {
            let mut m = new_match(Side::Losers, round, j as u32 + 1);
            if round < lb_rounds {
                let next = round + 1;
                if next % 2 == 0 {
                    // Survivors keep their line into the drop round, in slot 1.
                    wire_winner(&mut m, &id(Side::Losers, next, j as u32 + 1), Slot::One);
                } else {
                    wire_winner(
                        &mut m,
                        &id(Side::Losers, next, j as u32 / 2 + 1),
                        slot_of(j),
                    );
                }
            } else if let Some(gf) = &final_target {
                wire_winner(&mut m, gf, Slot::Two);
            }
            losers.push(m);
        }
    }

    // Drops from the winners bracket.
    for m in matches.iter_mut() {
        let round = m.round;
        let j = m.match_number as usize - 1;
        if round == 1 {
            if lb_rounds > 0 {
                wire_loser(m, &id(Side::Losers, 1, j as u32 / 2 + 1), slot_of(j));
            }
        } else {
            let target_round = 2 * (round - 1);
            let count = wb_count(round);
            // Reverse the order on every other drop round.
            let position = if (round - 1) % 2 == 1 {
                count - 1 - j
            } else {
                j
            };
            wire_loser(
                m,
                &id(Side::Losers, target_round, position as u32 + 1),
                Slot::Two,
            );
        }
    }

    // The winners-bracket final goes to the grand final.
    let last_wb = id(Side::Winners, k, 1);
    if let Some(wb_final) = matches.iter_mut().find(|m| m.id == last_wb) {
        if let Some(gf) = &final_target {
            wire_winner(wb_final, gf, Slot::One);
        }
        if lb_rounds == 0 {
            // Two participants: the final's loser goes straight to the grand final.
            wb_final.next_loser_match_id = None;
            wb_final.next_loser_slot = None;
            if let Some(gf) = &final_target {
                wire_loser(wb_final, gf, Slot::Two);
            }
        }
    }
    matches.extend(losers);
    if final_target.is_some() {
        matches.push(new_match(Side::GrandFinal, 1, 1));
        if grand_final == GrandFinal::Double {
            matches.push(new_match(Side::GrandFinal, 2, 1));
        }
    }
    matches
}

/// The circle method: participant 0 stays, the others rotate; an odd count adds a rest
/// (whoever meets it sits the round out).
pub(super) fn round_robin(participants: &[String]) -> Vec<Match> {
    let mut ring: Vec<Option<&String>> = participants.iter().map(Some).collect();
    if ring.len() % 2 == 1 {
        ring.push(None);
    }
    let n = ring.len();
    let mut matches = Vec::new();
    for round in 1..n as u32 {
        let mut number = 0;
        for i in 0..n / 2 {
            let (a, b) = (ring[i], ring[n - 1 - i]);
            if let (Some(a), Some(b)) = (a, b) {
                number += 1;
                let mut m = new_match(Side::RoundRobin, round, number);
                // Alternate who is listed first so nobody is always participant 1.
                let (p1, p2) = if round % 2 == 0 { (b, a) } else { (a, b) };
                m.participant1_id = Some(p1.clone());
                m.participant2_id = Some(p2.clone());
                matches.push(m);
            }
        }
        ring[1..].rotate_right(1);
    }
    matches
}
