//! Groups, then playoffs (API.md "Groups, then playoffs"): snake-seeded groups that each
//! play a round robin, then a single or double elimination drawn the moment the last group
//! match is decided. Pure functions of the matches.
//!
//! Group matches (`bracket: "group"`, `group: "A"`, ids `GA-<round>-<n>`) are all open
//! from the start: a group's rounds are an order of play, not a gate. Groups are ranked by
//! the round-robin rules. The playoff seeds every group's winner above every runner-up and
//! so on (winners 1..g in group order, runners-up g+1..2g, …); where that would pair two
//! players of one group in the first playoff round, players of the same tier swap seeds
//! until no first-round pair shares a group or no swap reduces their number.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{
    generate::{generate, round_robin, seed_order},
    standings, Bracket, Entrant, Format, Match, MatchStatus, Side, Stages, Standing,
};

/// Group `k`'s name: A, B, … (at most 16 groups: A–P).
pub fn letter(k: usize) -> String {
    char::from(b'A' + (k % 26) as u8).to_string()
}

/// Snake seeding: seeds 1..g to groups A, B, … in order, seeds g+1..2g in reverse order,
/// and so on. `participants` in seed order.
pub fn deal(participants: &[String], group_count: usize) -> Vec<Vec<String>> {
    let g = group_count.max(1);
    let mut groups = vec![Vec::new(); g];
    for (i, p) in participants.iter().enumerate() {
        let (row, position) = (i / g, i % g);
        let k = if row % 2 == 0 {
            position
        } else {
            g - 1 - position
        };
        groups[k].push(p.clone());
    }
    groups
}

/// The round robins of every group (the matches of the start).
pub fn group_matches(stages: Stages, participants: &[String]) -> Vec<Match> {
    let mut out = Vec::new();
    for (k, members) in deal(participants, stages.group_count as usize)
        .iter()
        .enumerate()
    {
        let name = letter(k);
        for mut m in round_robin(members) {
            m.id = format!("G{name}-{}-{}", m.round, m.match_number);
            m.bracket = Side::Group;
            m.group = Some(name.clone());
            out.push(m);
        }
    }
    out
}

/// The highest group round.
pub fn current_round(bracket: &Bracket) -> Option<u32> {
    bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Group)
        .map(|m| m.round)
        .max()
}

/// One group's ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupTable {
    pub group: String,
    pub items: Vec<Standing>,
}

/// Each group ranked by the round-robin rules, in group order; `names` in seed order.
pub fn group_tables(bracket: &Bracket, names: &[(String, String)]) -> Vec<GroupTable> {
    let mut by_group: BTreeMap<&str, Vec<Match>> = BTreeMap::new();
    let mut group_of: HashMap<&str, &str> = HashMap::new();
    for m in bracket
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Group)
    {
        let Some(g) = m.group.as_deref() else {
            continue;
        };
        by_group.entry(g).or_default().push(m.clone());
        for p in [&m.participant1_id, &m.participant2_id]
            .into_iter()
            .flatten()
        {
            group_of.insert(p, g);
        }
    }
    by_group
        .into_iter()
        .map(|(g, matches)| {
            let members: Vec<(String, String)> = names
                .iter()
                .filter(|(id, _)| group_of.get(id.as_str()) == Some(&g))
                .cloned()
                .collect();
            let sub = Bracket::new(matches, bracket.disqualified().clone());
            GroupTable {
                group: g.to_string(),
                items: standings(&sub, &members),
            }
        })
        .collect()
}

/// The playoff, once every group match is decided and no playoff exists yet.
pub fn follow_up(format: Format, bracket: &Bracket, entrants: &[Entrant]) -> Option<Vec<Match>> {
    let undecided = |m: &Match| matches!(m.status, MatchStatus::Pending | MatchStatus::Ready);
    let matches = bracket.matches();
    if matches.iter().any(|m| m.bracket != Side::Group)
        || !matches.iter().any(|m| m.bracket == Side::Group)
        || matches
            .iter()
            .any(|m| m.bracket == Side::Group && undecided(m))
    {
        return None;
    }
    let names: Vec<(String, String)> = entrants
        .iter()
        .map(|e| (e.id.clone(), e.id.clone()))
        .collect();
    let active = |id: &str| {
        entrants.iter().any(|e| e.id == id && e.active) && !bracket.disqualified().contains(id)
    };
    let advance = format.stages.advance_per_group as usize;
    let advancers: Vec<Vec<String>> = group_tables(bracket, &names)
        .into_iter()
        .map(|t| {
            t.items
                .into_iter()
                .map(|s| s.participant_id)
                .filter(|id| active(id))
                .take(advance)
                .collect()
        })
        .collect();
    let seeded = seed_playoff(&advancers);
    if seeded.len() < 2 {
        return None;
    }
    let playoff = Format {
        kind: format.stages.playoff,
        third_place_match: format.third_place_match,
        grand_final: format.grand_final,
        stages: Stages::NONE,
    };
    Some(generate(playoff, &seeded).matches().to_vec())
}

/// The first-round pairs of a standard-seeded elimination of `n` (0-based seed indices;
/// byes left out).
fn first_round_pairs(n: usize) -> Vec<(usize, usize)> {
    let order = seed_order(n.max(2).next_power_of_two());
    order
        .chunks(2)
        .map(|c| (c[0] - 1, c[1] - 1))
        .filter(|&(a, b)| a < n && b < n)
        .collect()
}

/// The playoff's seed order from each group's advancers (in group order, best first):
/// tier by tier, then swaps within a tier to keep groups apart in the first round.
pub fn seed_playoff(advancers: &[Vec<String>]) -> Vec<String> {
    // (participant, group, tier) in seed order.
    let mut seeds: Vec<(String, usize, usize)> = Vec::new();
    let tiers = advancers.iter().map(Vec::len).max().unwrap_or(0);
    for tier in 0..tiers {
        for (g, players) in advancers.iter().enumerate() {
            if let Some(p) = players.get(tier) {
                seeds.push((p.clone(), g, tier));
            }
        }
    }
    let pairs = first_round_pairs(seeds.len());
    let clashes =
        |s: &[(String, usize, usize)]| pairs.iter().filter(|&&(a, b)| s[a].1 == s[b].1).count();
    let mut current = clashes(&seeds);
    while current > 0 {
        // The first swap (lowest seeds first) that lowers the number of clashes.
        let mut improved = false;
        'search: for j in (0..seeds.len()).rev() {
            for i in (0..j).rev() {
                if seeds[i].2 != seeds[j].2 || seeds[i].1 == seeds[j].1 {
                    continue;
                }
                seeds.swap(i, j);
                let after = clashes(&seeds);
                if after < current {
                    current = after;
                    improved = true;
                    break 'search;
                }
                seeds.swap(i, j);
            }
        }
        if !improved {
            break;
        }
    }
    seeds.into_iter().map(|(p, _, _)| p).collect()
}

/// The standings (API.md): each group ranked, and the overall order — playoff places
/// (by the playoff's rules) once the playoff is drawn, then the players eliminated in the
/// groups by group rank, then points (equal ones share a rank). The overall `wins`,
/// `losses`, `draws` and `points` count every match, groups and playoff.
pub fn standings_with_groups(
    bracket: &Bracket,
    names: &[(String, String)],
) -> (Vec<Standing>, Vec<GroupTable>) {
    let tables = group_tables(bracket, names);
    let mut group_rank: HashMap<&str, u32> = HashMap::new();
    for t in &tables {
        for s in &t.items {
            group_rank.insert(s.participant_id.as_str(), s.rank);
        }
    }
    // Every participant's record over all matches.
    let all = standings_record(bracket, names);
    let playoff: Vec<Match> = bracket
        .matches()
        .iter()
        .filter(|m| m.bracket != Side::Group)
        .cloned()
        .collect();
    let in_playoff: Vec<(String, String)> = names
        .iter()
        .filter(|(id, _)| playoff.iter().any(|m| m.has(id)))
        .cloned()
        .collect();
    let mut items: Vec<Standing> = Vec::new();
    if !in_playoff.is_empty() {
        let sub = Bracket::new(playoff, bracket.disqualified().clone());
        for s in standings(&sub, &in_playoff) {
            let mut row = all[&s.participant_id].clone();
            row.rank = s.rank;
            items.push(row);
        }
    }
    let placed = items.len() as u32;
    let key = |id: &str| {
        (
            group_rank.get(id).copied().unwrap_or(u32::MAX),
            std::cmp::Reverse(all[id].points),
        )
    };
    let mut rest: Vec<&(String, String)> = names
        .iter()
        .filter(|(id, _)| !in_playoff.iter().any(|(p, _)| p == id))
        .collect();
    rest.sort_by_key(|(id, _)| key(id)); // stable: seed order among equals
    for (id, _) in &rest {
        let mut row = all[id.as_str()].clone();
        row.rank = placed + 1 + rest.iter().filter(|(o, _)| key(o) < key(id)).count() as u32;
        items.push(row);
    }
    (items, tables)
}

/// Wins, losses, draws and points of every participant over every played match.
fn standings_record(bracket: &Bracket, names: &[(String, String)]) -> HashMap<String, Standing> {
    let mut rows: HashMap<String, Standing> = names
        .iter()
        .map(|(id, name)| {
            (
                id.clone(),
                Standing {
                    participant_id: id.clone(),
                    name: name.clone(),
                    rank: 0,
                    wins: 0,
                    losses: 0,
                    draws: 0,
                    points: 0,
                },
            )
        })
        .collect();
    for m in bracket.matches().iter().filter(|m| m.is_played()) {
        let (Some(p1), Some(p2)) = (&m.participant1_id, &m.participant2_id) else {
            continue;
        };
        for (me, other) in [(p1, p2), (p2, p1)] {
            if let Some(r) = rows.get_mut(me) {
                match m.winner_id.as_deref() {
                    Some(w) if w == me => r.wins += 1,
                    Some(w) if w == other => r.losses += 1,
                    _ => r.draws += 1,
                }
            }
        }
    }
    for r in rows.values_mut() {
        r.points = 3 * r.wins + r.draws;
    }
    rows
}

#[cfg(test)]
#[path = "groups_tests.rs"]
mod tests;
