//! Swiss (API.md "Swiss"): everyone plays every round, nobody meets twice, tie-breaks
//! decide the table. Pure functions of the matches played so far.
//!
//! Round one pairs by seed (seed i against seed i + n/2; the lowest seed rests when n is
//! odd). Every later round is one maximum-weight matching (`matching`) over every pair of
//! active players, plus a bye vertex when their number is odd. Each pair's weight is a
//! fixed base minus a cost made of levels that never trade against each other (each
//! level's unit exceeds the largest total the levels below can reach in one round):
//!
//! 1. how often the two already met (so a rematch happens only when no pairing avoids it),
//! 2. a second bye for the same player,
//! 3. the bye's distance from the bottom of the standings (the lowest-ranked player who has
//!    not had a bye gets it),
//! 4. the squared difference of the two players' points (equal scores first; a 3–0
//!    against a 0–3 costs nine times a one-win gap),
//! 5. within one score group, how far the pair is from "top half against bottom half".
//!
//! The standings order: points (win or bye 3, draw 1), Buchholz (the points of every
//! opponent met), Sonneborn-Berger (the points of each opponent beaten plus half those of
//! each opponent drawn), head-to-head between exactly two tied players who met, then seed.
//! A forfeit counts as a played game (the winner beat that opponent); a bye adds no
//! opponent. The paired matches are stored, so later corrections never re-pair a round.

use std::collections::HashMap;

use serde::{Serialize, Serializer};

use super::{
    generate::{elimination, new_match},
    matching::max_weight_matching,
    Bracket, Entrant, Match, MatchStatus, Side, Standing,
};

/// Round one: seeds in order, seed i against seed i + n/2; with an odd count the lowest
/// seed has the bye and the others pair so.
pub fn round_one(participants: &[String]) -> Vec<Match> {
    let (playing, resting) = match participants.len() % 2 {
        1 => (&participants[..participants.len() - 1], participants.last()),
        _ => (participants, None),
    };
    let half = playing.len() / 2;
    let mut out: Vec<Match> = (0..half)
        .map(|i| {
            let mut m = new_match(Side::Swiss, 1, i as u32 + 1);
            m.participant1_id = Some(playing[i].clone());
            m.participant2_id = Some(playing[i + half].clone());
            m
        })
        .collect();
    if let Some(p) = resting {
        out.push(bye(1, half as u32 + 1, p));
    }
    out
}

fn bye(round: u32, number: u32, participant: &str) -> Match {
    let mut m = new_match(Side::Swiss, round, number);
    m.participant1_id = Some(participant.to_string());
    m
}

/// ⌈log2 n⌉, the default number of rounds for `n` players (at least 1).
pub fn default_rounds(n: usize) -> u32 {
    n.max(2).next_power_of_two().trailing_zeros()
}

/// The number of players who started the Swiss (those of round one).
pub fn starters(bracket: &Bracket) -> usize {
    bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Swiss && m.round == 1)
        .map(|m| {
            usize::from(m.participant1_id.is_some()) + usize::from(m.participant2_id.is_some())
        })
        .sum()
}

/// The highest Swiss round paired so far.
pub fn current_round(bracket: &Bracket) -> Option<u32> {
    bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Swiss)
        .map(|m| m.round)
        .max()
}

/// Half points, as Sonneborn-Berger needs: serialized as a number (`4.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct HalfPoints(pub u32);

impl HalfPoints {
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 2.0
    }
}

impl Serialize for HalfPoints {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(2) {
            s.serialize_u32(self.0 / 2)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

/// A Swiss standing: the common columns and the two tie-breaks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwissStanding {
    #[serde(flatten)]
    pub standing: Standing,
    pub buchholz: u32,
    pub sonneborn_berger: HalfPoints,
}

/// What the Swiss rounds say about each player (indices follow the entrants' seed order).
#[derive(Debug, Clone)]
pub struct Table {
    pub wins: Vec<u32>,
    pub losses: Vec<u32>,
    pub draws: Vec<u32>,
    pub byes: Vec<u32>,
    pub points: Vec<u32>,
    pub buchholz: Vec<u32>,
    /// Twice the Sonneborn-Berger score (whole numbers).
    pub sonneborn_berger2: Vec<u32>,
    /// Every pairing of two players, decided or not: (a, b) with a < b → times paired.
    pub met: HashMap<(usize, usize), u32>,
    /// Seed indices, best first.
    pub order: Vec<usize>,
}

/// What one game gave a player: 2 a win, 1 a draw, 0 a loss.
type Game = (usize, u32);

/// The Swiss table of `ids` (every participant, in seed order) from the Swiss matches.
pub fn table(bracket: &Bracket, ids: &[String]) -> Table {
    let n = ids.len();
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let mut wins = vec![0; n];
    let mut losses = vec![0; n];
    let mut draws = vec![0; n];
    let mut byes = vec![0; n];
    let mut games: Vec<Vec<Game>> = vec![Vec::new(); n];
    let mut met: HashMap<(usize, usize), u32> = HashMap::new();
    for m in bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Swiss)
    {
        let who = |p: &Option<String>| p.as_deref().and_then(|p| index.get(p).copied());
        match (who(&m.participant1_id), who(&m.participant2_id)) {
            (Some(a), Some(b)) => {
                *met.entry((a.min(b), a.max(b))).or_default() += 1;
                if m.status != MatchStatus::Completed {
                    continue;
                }
                let winner = m.winner_id.as_deref().and_then(|w| index.get(w).copied());
                let (ra, rb) = match winner {
                    Some(w) if w == a => (2, 0),
                    Some(_) => (0, 2),
                    None => (1, 1),
                };
                for (me, other, r) in [(a, b, ra), (b, a, rb)] {
                    games[me].push((other, r));
                    match r {
                        2 => wins[me] += 1,
                        1 => draws[me] += 1,
                        _ => losses[me] += 1,
                    }
                }
            }
            (Some(a), None) | (None, Some(a)) if m.status == MatchStatus::Bye => {
                byes[a] += 1;
                wins[a] += 1;
            }
            _ => {}
        }
    }
    let points: Vec<u32> = (0..n).map(|i| 3 * wins[i] + draws[i]).collect();
    let buchholz: Vec<u32> = games
        .iter()
        .map(|g| g.iter().map(|&(o, _)| points[o]).sum())
        .collect();
    let sonneborn_berger2: Vec<u32> = games
        .iter()
        .map(|g| g.iter().map(|&(o, r)| r * points[o]).sum())
        .collect();
    let key = |i: usize| (points[i], buchholz[i], sonneborn_berger2[i]);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| key(b).cmp(&key(a)).then(a.cmp(&b)));
    // Head-to-head settles a tie of exactly two players who met.
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && key(order[end]) == key(order[start]) {
            end += 1;
        }
        if end - start == 2 {
            let (a, b) = (order[start], order[start + 1]);
            let mutual = |me: usize, other: usize| -> u32 {
                games[me].iter().filter(|g| g.0 == other).map(|g| g.1).sum()
            };
            if mutual(b, a) > mutual(a, b) {
                order.swap(start, start + 1);
            }
        }
        start = end;
    }
    Table {
        wins,
        losses,
        draws,
        byes,
        points,
        buchholz,
        sonneborn_berger2,
        met,
        order,
    }
}

// The cost levels of a pairing (see the module doc). Each unit exceeds the largest total
// the levels below it can reach in one round of at most 128 pairs, with each level's
// per-pair cost capped as noted, so the sum of costs compares lexicographically.
const HALF_CAP: i64 = 128;
const SCORE_CAP: i64 = 4096;
const SCORE_UNIT: i64 = 1 << 15; // > 128 pairs × HALF_CAP
const BYE_RANK_CAP: i64 = 255;
const BYE_RANK_UNIT: i64 = 1 << 35; // > 128 × SCORE_CAP × SCORE_UNIT + the level below
const SECOND_BYE: i64 = 1 << 44; // > BYE_RANK_CAP × BYE_RANK_UNIT + the levels below
const REMATCH_CAP: i64 = 3;
const REMATCH: i64 = 1 << 45; // > SECOND_BYE + the levels below
const BASE: i64 = 1 << 55; // > 128 × REMATCH_CAP × REMATCH + the levels below

/// The pairing of round `round`: every active entrant exactly once, in a match or (one
/// of them, when their number is odd) a bye. Boards follow the standings: the
/// higher-ranked player of each pair is participant 1, the best pair is board 1, the bye
/// comes last.
pub fn pair_round(bracket: &Bracket, entrants: &[Entrant], round: u32) -> Vec<Match> {
    let ids: Vec<String> = entrants.iter().map(|e| e.id.clone()).collect();
    let t = table(bracket, &ids);
    let active: Vec<usize> = t
        .order
        .iter()
        .copied()
        .filter(|&i| entrants[i].active && !bracket.disqualified().contains(&entrants[i].id))
        .collect();
    let m = active.len();
    let with_bye = m % 2 == 1;
    let vertices = m + usize::from(with_bye);
    let mut group_sizes: HashMap<u32, i64> = HashMap::new();
    for &i in &active {
        *group_sizes.entry(t.points[i]).or_default() += 1;
    }
    let group_size = |points: u32| group_sizes.get(&points).copied().unwrap_or(0);
    let mut edges = Vec::with_capacity(vertices * vertices / 2);
    for (a, &ia) in active.iter().enumerate() {
        let pa = t.points[ia];
        for (b, &ib) in active.iter().enumerate().skip(a + 1) {
            let pb = t.points[ib];
            let met = i64::from(*t.met.get(&(ia.min(ib), ia.max(ib))).unwrap_or(&0));
            let gap = i64::from(pa.abs_diff(pb));
            let half = if pa == pb {
                ((b - a) as i64 - group_size(pa) / 2).abs().min(HALF_CAP)
            } else {
                0
            };
            let cost =
                met.min(REMATCH_CAP) * REMATCH + (gap * gap).min(SCORE_CAP) * SCORE_UNIT + half;
            edges.push((a, b, BASE - cost));
        }
        if with_bye {
            let below = ((m - 1 - a) as i64).min(BYE_RANK_CAP);
            let second = if t.byes[ia] > 0 { SECOND_BYE } else { 0 };
            edges.push((a, m, BASE - second - below * BYE_RANK_UNIT));
        }
    }
    let mates = max_weight_matching(vertices, &edges, true);
    let mut out = Vec::new();
    let mut resting = None;
    for a in 0..m {
        match mates[a] {
            Some(b) if b == m && with_bye => resting = Some(active[a]),
            Some(b) if b > a => {
                let number = out.len() as u32 + 1;
                let mut x = new_match(Side::Swiss, round, number);
                x.participant1_id = Some(entrants[active[a]].id.clone());
                x.participant2_id = Some(entrants[active[b]].id.clone());
                out.push(x);
            }
            _ => {}
        }
    }
    if let Some(r) = resting {
        let number = out.len() as u32 + 1;
        out.push(bye(round, number, &entrants[r].id));
    }
    out
}

/// The single elimination of the top `cut` active players, seeded by Swiss rank.
pub fn top_cut(bracket: &Bracket, entrants: &[Entrant], cut: usize) -> Vec<Match> {
    let ids: Vec<String> = entrants.iter().map(|e| e.id.clone()).collect();
    let t = table(bracket, &ids);
    let top: Vec<String> = t
        .order
        .iter()
        .filter(|&&i| entrants[i].active && !bracket.disqualified().contains(&entrants[i].id))
        .take(cut)
        .map(|&i| entrants[i].id.clone())
        .collect();
    if top.len() < 2 {
        return Vec::new();
    }
    elimination(Side::Playoff, &top)
}

/// The next stage of a Swiss once the current round is decided: the next round, the top
/// cut, or nothing (`None`: the Swiss is still being played, or it is over).
pub fn follow_up(
    bracket: &Bracket,
    entrants: &[Entrant],
    rounds: Option<u32>,
    cut: u32,
) -> Option<Vec<Match>> {
    let undecided = |m: &Match| matches!(m.status, MatchStatus::Pending | MatchStatus::Ready);
    let swiss = || {
        bracket
            .matches()
            .iter()
            .filter(|m| m.bracket == Side::Swiss)
    };
    if swiss().any(undecided) || bracket.matches().iter().any(|m| m.bracket == Side::Playoff) {
        return None;
    }
    let current = current_round(bracket)?;
    let rounds = rounds.unwrap_or_else(|| default_rounds(starters(bracket)));
    let active = entrants
        .iter()
        .filter(|e| e.active && !bracket.disqualified().contains(&e.id))
        .count();
    let next = if current < rounds && active >= 2 {
        pair_round(bracket, entrants, current + 1)
    } else if cut > 0 {
        top_cut(bracket, entrants, cut as usize)
    } else {
        Vec::new()
    };
    (!next.is_empty()).then_some(next)
}

/// The standings (API.md): during and after the Swiss, by the Swiss order; once a top cut
/// exists, its players first by the playoff round they reached (the champion above the
/// runner-up; players out in the same round by Swiss rank), then everyone else in Swiss
/// order. Ranks are never shared.
pub fn standings(bracket: &Bracket, names: &[(String, String)]) -> Vec<SwissStanding> {
    let ids: Vec<String> = names.iter().map(|(id, _)| id.clone()).collect();
    let t = table(bracket, &ids);
    let playoff: Vec<&Match> = bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Playoff)
        .collect();
    let final_round = playoff.iter().map(|m| m.round).max().unwrap_or(0);
    let reached = |id: &str| -> u32 {
        let round = playoff
            .iter()
            .filter(|m| m.has(id))
            .map(|m| m.round)
            .max()
            .unwrap_or(0);
        let won_final = playoff.iter().any(|m| {
            m.round == final_round
                && m.status == MatchStatus::Completed
                && m.winner_id.as_deref() == Some(id)
        });
        round + u32::from(won_final)
    };
    let swiss_rank: Vec<usize> = {
        let mut r = vec![0; ids.len()];
        for (rank, &i) in t.order.iter().enumerate() {
            r[i] = rank;
        }
        r
    };
    let mut order = t.order.clone();
    order.sort_by_key(|&i| (std::cmp::Reverse(reached(&ids[i])), swiss_rank[i]));
    order
        .into_iter()
        .enumerate()
        .map(|(rank, i)| SwissStanding {
            standing: Standing {
                participant_id: ids[i].clone(),
                name: names[i].1.clone(),
                rank: rank as u32 + 1,
                wins: t.wins[i],
                losses: t.losses[i],
                draws: t.draws[i],
                points: t.points[i],
            },
            buchholz: t.buchholz[i],
            sonneborn_berger: HalfPoints(t.sonneborn_berger2[i]),
        })
        .collect()
}

/// The winner of a finished Swiss: the top cut's champion, or the best active player of
/// the standings.
pub fn champion(bracket: &Bracket, entrants: &[Entrant]) -> Option<String> {
    if !bracket.is_finished() {
        return None;
    }
    let active = |id: &str| {
        entrants.iter().any(|e| e.id == id && e.active) && !bracket.disqualified().contains(id)
    };
    let playoff_final = bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Playoff && m.status == MatchStatus::Completed)
        .max_by_key(|m| m.round);
    if let Some(f) = playoff_final {
        return f.winner_id.clone().filter(|w| active(w));
    }
    let ids: Vec<String> = entrants.iter().map(|e| e.id.clone()).collect();
    let t = table(bracket, &ids);
    t.order
        .iter()
        .map(|&i| &ids[i])
        .find(|id| active(id))
        .cloned()
}

#[cfg(test)]
#[path = "swiss_tests.rs"]
mod tests;
