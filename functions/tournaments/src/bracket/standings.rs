//! Standings: a function of the bracket (API.md "Standings").

use std::collections::HashMap;

use serde::Serialize;

use super::{Bracket, Match, MatchStatus, Side};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub participant_id: String,
    pub name: String,
    pub rank: u32,
    pub wins: u32,
    pub losses: u32,
    pub draws: u32,
    pub points: u32,
}

/// Sums of the numbers on each side of a score: `"21-19,18-21"` → (39, 40). A forfeit or
/// anything else unreadable counts as nothing. The arithmetic saturates: a score stored
/// before numbers were limited to 9 digits cannot overflow (a panic in debug builds, a
/// silent wrap in release).
pub fn score_totals(score: &str) -> (i64, i64) {
    let mut totals: (i64, i64) = (0, 0);
    for game in score.split(',') {
        let mut sides = game.split('-').map(|s| s.trim().parse::<i64>());
        if let (Some(Ok(a)), Some(Ok(b)), None) = (sides.next(), sides.next(), sides.next()) {
            totals.0 = totals.0.saturating_add(a);
            totals.1 = totals.1.saturating_add(b);
        }
    }
    totals
}

fn is_elimination(bracket: &Bracket) -> bool {
    bracket
        .matches
        .iter()
        .any(|m| !matches!(m.bracket, Side::RoundRobin | Side::Group))
}

/// Every participant (`(id, name)` in seed order), ranked; ties share a rank.
pub fn standings(bracket: &Bracket, participants: &[(String, String)]) -> Vec<Standing> {
    let mut rows: Vec<Standing> = participants
        .iter()
        .map(|(id, name)| Standing {
            participant_id: id.clone(),
            name: name.clone(),
            rank: 0,
            wins: 0,
            losses: 0,
            draws: 0,
            points: 0,
        })
        .collect();
    let position: HashMap<String, usize> = participants
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.clone(), i))
        .collect();
    for m in bracket.matches.iter().filter(|m| m.is_played()) {
        let (Some(p1), Some(p2)) = (&m.participant1_id, &m.participant2_id) else {
            continue;
        };
        let (Some(&a), Some(&b)) = (position.get(p1), position.get(p2)) else {
            continue;
        };
        match m.winner_id.as_deref() {
            Some(w) if w == p1 => {
                rows[a].wins += 1;
                rows[b].losses += 1;
            }
            Some(_) => {
                rows[b].wins += 1;
                rows[a].losses += 1;
            }
            None => {
                rows[a].draws += 1;
                rows[b].draws += 1;
            }
        }
    }
    for r in &mut rows {
        r.points = 3 * r.wins + r.draws;
    }
    let keys: Vec<Vec<i64>> = if is_elimination(bracket) {
        elimination_keys(bracket, participants)
    } else {
        round_robin_keys(bracket, participants, &rows)
    };
    for i in 0..rows.len() {
        rows[i].rank = 1 + keys.iter().filter(|k| *k > &keys[i]).count() as u32;
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].rank, i));
    order.into_iter().map(|i| rows[i].clone()).collect()
}

/// Highest round of `side` in which `participant` appears.
fn reached(matches: &[Match], side: Side, participant: &str) -> i64 {
    matches
        .iter()
        .filter(|m| m.bracket == side && m.has(participant))
        .map(|m| m.round as i64)
        .max()
        .unwrap_or(0)
}

/// Elimination: champion, then runner-up, then by how far each got — in double
/// elimination the losers-bracket round decides, in single elimination the winners round
/// (a played third-place match separates 3rd and 4th).
fn elimination_keys(bracket: &Bracket, participants: &[(String, String)]) -> Vec<Vec<i64>> {
    let champion = bracket.champion();
    let double = bracket.matches.iter().any(|m| m.bracket == Side::Losers)
        || bracket
            .matches
            .iter()
            .any(|m| m.bracket == Side::GrandFinal);
    let runner_up = if !bracket.is_finished() {
        None
    } else if bracket
        .matches
        .iter()
        .any(|m| m.bracket == Side::GrandFinal)
    {
        bracket
            .matches
            .iter()
            .filter(|m| m.bracket == Side::GrandFinal && m.status == MatchStatus::Completed)
            .max_by_key(|m| m.round)
            .and_then(|m| m.loser_id().map(str::to_string))
    } else if double {
        // No grand final: the losers-bracket winner is second.
        let last = bracket
            .matches
            .iter()
            .filter(|m| m.bracket == Side::Losers)
            .max_by_key(|m| m.round);
        last.and_then(|m| m.winner_id.clone())
    } else {
        let last = bracket
            .matches
            .iter()
            .filter(|m| m.bracket == Side::Winners)
            .max_by_key(|m| m.round);
        last.and_then(|m| m.loser_id().map(str::to_string))
    };
    let third = bracket
        .matches
        .iter()
        .find(|m| m.bracket == Side::ThirdPlace && m.status == MatchStatus::Completed)
        .and_then(|m| m.winner_id.clone());
    let finished = bracket.is_finished();
    participants
        .iter()
        .map(|(id, _)| {
            if !finished {
                // Provisional: everyone still in contention shares the best rank; those
                // out follow by how far they got, as in the final standings.
                if still_in_contention(bracket, id) {
                    return vec![1, 0, 0, 0];
                }
            }
            let tier = if champion.as_deref() == Some(id) {
                3
            } else if runner_up.as_deref() == Some(id) {
                2
            } else {
                1
            };
            let wb = reached(&bracket.matches, Side::Winners, id);
            if double {
                vec![0, tier, reached(&bracket.matches, Side::Losers, id), wb]
            } else {
                vec![0, tier, wb, i64::from(third.as_deref() == Some(id))]
            }
        })
        .collect()
}

/// Whether `participant` can still win an unfinished elimination bracket: not
/// disqualified, and no loss that sent them out. A loss that sends its loser on is not
/// one (a winners-bracket loss in double elimination, the first grand final lost by the
/// winners-bracket winner when a reset is played), except into the third-place match,
/// which is played for third.
fn still_in_contention(bracket: &Bracket, participant: &str) -> bool {
    if bracket.disqualified().contains(participant) {
        return false;
    }
    let goes_on = |m: &Match| -> bool {
        let into = m
            .next_loser_match_id
            .as_deref()
            .and_then(|next| bracket.get(next));
        match into {
            Some(next) => next.bracket != Side::ThirdPlace,
            None => {
                m.is_first_final()
                    && m.participant1_id.as_deref() == Some(participant)
                    && bracket.matches.iter().any(|r| r.is_reset())
            }
        }
    };
    !bracket
        .matches
        .iter()
        .any(|m| m.loser_id() == Some(participant) && !goes_on(m))
}

/// Round robin: points, then points among the tied (head-to-head), then score difference.
fn round_robin_keys(
    bracket: &Bracket,
    participants: &[(String, String)],
    rows: &[Standing],
) -> Vec<Vec<i64>> {
    let mut difference: HashMap<&str, i64> = HashMap::new();
    for m in bracket.matches.iter().filter(|m| m.is_played()) {
        let (Some(p1), Some(p2)) = (&m.participant1_id, &m.participant2_id) else {
            continue;
        };
        let (a, b) = score_totals(m.score.as_deref().unwrap_or_default());
        let d1 = difference.entry(p1).or_default();
        *d1 = d1.saturating_add(a.saturating_sub(b));
        let d2 = difference.entry(p2).or_default();
        *d2 = d2.saturating_add(b.saturating_sub(a));
    }
    let points: HashMap<&str, i64> = rows
        .iter()
        .map(|r| (r.participant_id.as_str(), r.points as i64))
        .collect();
    let head_to_head = |id: &str| -> i64 {
        let mine = points[id];
        bracket
            .matches
            .iter()
            .filter(|m| m.is_played() && m.has(id))
            .filter_map(|m| {
                let other = if m.participant1_id.as_deref() == Some(id) {
                    m.participant2_id.as_deref()?
                } else {
                    m.participant1_id.as_deref()?
                };
                if points.get(other) != Some(&mine) {
                    return None;
                }
                Some(match m.winner_id.as_deref() {
                    Some(w) if w == id => 3,
                    Some(_) => 0,
                    None => 1,
                })
            })
            .sum()
    };
    participants
        .iter()
        .map(|(id, _)| {
            vec![
                points[id.as_str()],
                head_to_head(id),
                difference.get(id.as_str()).copied().unwrap_or(0),
            ]
        })
        .collect()
}

#[cfg(test)]
mod overflow_tests {
    use super::*;
    use crate::bracket::{generate, Format, GrandFinal, Kind};

    #[test]
    fn huge_stored_scores_never_overflow_the_standings() {
        // Scores stored before the 9-digit limit: sums past i64 saturate instead of
        // panicking (debug) or wrapping (release).
        let huge = "9223372036854775807-0,9223372036854775807-0";
        assert_eq!(score_totals(huge), (i64::MAX, 0));
        let format = Format {
            kind: Kind::RoundRobin,
            third_place_match: false,
            grand_final: GrandFinal::Double,
            stages: crate::bracket::Stages::NONE,
        };
        let people: Vec<String> = (1..=3).map(|i| format!("p{i}")).collect();
        let mut b = generate(format, &people);
        loop {
            let next = b
                .ready()
                .next()
                .map(|m| (m.id.clone(), m.participant1_id.clone()));
            let Some((id, winner)) = next else { break };
            b.report(&id, winner.as_deref(), huge).expect("reported");
        }
        let names: Vec<(String, String)> = people.iter().map(|p| (p.clone(), p.clone())).collect();
        let table = standings(&b, &names);
        assert_eq!(table.len(), 3);
    }
}
