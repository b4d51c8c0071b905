//! Groups then playoffs: snake seeding, the playoff drawn when the groups end, groups kept
//! apart in its first round, and random group stages played to the end.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;
use crate::bracket::{stages, Entry, GrandFinal, Kind};

fn people(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("p{i}")).collect()
}

fn group_stage(count: u32, advance: u32, playoff: Kind) -> Format {
    Format {
        kind: Kind::GroupStage,
        third_place_match: false,
        grand_final: GrandFinal::Double,
        stages: Stages {
            group_count: count,
            advance_per_group: advance,
            playoff,
            ..Stages::NONE
        },
    }
}

fn entrants(ids: &[String]) -> Vec<Entrant> {
    ids.iter()
        .map(|id| Entrant {
            id: id.clone(),
            active: true,
        })
        .collect()
}

#[test]
fn snake_seeding_deals_the_groups() {
    let g = deal(&people(10), 3);
    assert_eq!(g[0], ["p1", "p6", "p7"]);
    assert_eq!(g[1], ["p2", "p5", "p8"]);
    assert_eq!(g[2], ["p3", "p4", "p9", "p10"]);
}

#[test]
fn group_matches_are_round_robins_named_by_group() {
    let b = generate(group_stage(2, 1, Kind::SingleElimination), &people(8));
    assert_eq!(b.matches().len(), 2 * 6);
    let a: Vec<&Match> = b
        .matches()
        .iter()
        .filter(|m| m.group.as_deref() == Some("A"))
        .collect();
    assert_eq!(a.len(), 6);
    assert!(a
        .iter()
        .all(|m| m.bracket == Side::Group && m.id.starts_with("GA-")));
    // Group A is seeds 1, 4, 5, 8: every pair once.
    let pairs: HashSet<(String, String)> = a
        .iter()
        .map(|m| {
            let (x, y) = (
                m.participant1_id.clone().unwrap(),
                m.participant2_id.clone().unwrap(),
            );
            if x < y {
                (x, y)
            } else {
                (y, x)
            }
        })
        .collect();
    assert_eq!(pairs.len(), 6);
    // Every group match can be played from the start.
    assert_eq!(b.ready().count(), 12);
    let json = serde_json::to_value(b.matches()[0].view()).unwrap();
    assert_eq!(json["bracket"], "group");
    assert_eq!(json["group"], "A");
}

/// Clashes: first-round playoff pairs from the same group.
fn clashes(seeded: &[String], group_of: &HashMap<String, usize>) -> usize {
    first_round_pairs(seeded.len())
        .into_iter()
        .filter(|&(a, b)| group_of[&seeded[a]] == group_of[&seeded[b]])
        .count()
}

fn advancers(g: usize, a: usize) -> (Vec<Vec<String>>, HashMap<String, usize>) {
    let mut group_of = HashMap::new();
    let adv: Vec<Vec<String>> = (0..g)
        .map(|k| {
            (0..a)
                .map(|t| {
                    let id = format!("{}{}", letter(k), t + 1);
                    group_of.insert(id.clone(), k);
                    id
                })
                .collect()
        })
        .collect();
    (adv, group_of)
}

#[test]
fn the_playoff_seeds_winners_first_and_keeps_groups_apart() {
    // Three groups, two through: 6 players in a bracket of 8, A1 B1 get byes; without the
    // swap C1 (seed 3) would meet C2 (seed 6).
    let (adv, group_of) = advancers(3, 2);
    let seeded = seed_playoff(&adv);
    assert_eq!(&seeded[..3], ["A1", "B1", "C1"]);
    let tier2: HashSet<&str> = seeded[3..].iter().map(String::as_str).collect();
    assert_eq!(tier2, HashSet::from(["A2", "B2", "C2"]));
    assert_eq!(clashes(&seeded, &group_of), 0);
    // Every size the contract allows: no clash remains.
    for g in 2..=16 {
        for a in 1..=4 {
            let (adv, group_of) = advancers(g, a);
            let seeded = seed_playoff(&adv);
            // Tiers stay in order: every group winner above every runner-up, and so on.
            for (i, id) in seeded.iter().enumerate() {
                assert_eq!(i / g, id[1..].parse::<usize>().unwrap() - 1, "{seeded:?}");
            }
            assert_eq!(clashes(&seeded, &group_of), 0, "g={g} a={a}: {seeded:?}");
        }
    }
}

/// Plays every ready match at random (draws in groups), with occasional disqualifications.
fn play_random(f: Format, n: usize, seed: u64, dq: bool) -> (Bracket, Vec<Match>, Vec<Entrant>) {
    let mut state = seed | 1;
    let mut next = move |k: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) % k as u64) as usize
    };
    let ids = people(n);
    let mut e = entrants(&ids);
    let mut b = generate(f, &ids);
    let mut stored: Vec<Match> = b.matches().to_vec();
    let mut drew_playoff = false;
    while let Some(m) = {
        let ready: Vec<Match> = b.ready().cloned().collect();
        (!ready.is_empty()).then(|| ready[next(ready.len())].clone())
    } {
        if dq && next(40) == 0 {
            let i = next(n);
            if e[i].active {
                e[i].active = false;
                let _ = b.disqualify(&ids[i]);
            }
        } else {
            let winner = match (next(3), m.bracket.allows_draws()) {
                (0, true) => None,
                (1, _) => m.participant2_id.clone(),
                _ => m.participant1_id.clone(),
            };
            b.report(&m.id, winner.as_deref(), "2-1").unwrap();
        }
        let groups_open = b.matches().iter().any(|m| {
            m.bracket == Side::Group
                && !matches!(m.status, MatchStatus::Completed | MatchStatus::Skipped)
        });
        let added = stages::advance(f, &mut b, &e);
        if !added.is_empty() {
            assert!(!groups_open, "the playoff waits for the last group match");
            assert!(!drew_playoff, "one playoff");
            drew_playoff = true;
            assert!(added.iter().all(|m| m.bracket != Side::Group));
        }
        stored.extend(added);
    }
    assert!(b.is_finished());
    let rebuilt = Bracket::from_log(stored.clone(), b.log().to_vec());
    assert_eq!(rebuilt, b);
    assert!(b.log().iter().any(|x| matches!(x, Entry::Result { .. })));
    (b, stored, e)
}

#[test]
fn a_two_group_stage_is_played_to_the_end() {
    let f = group_stage(2, 2, Kind::SingleElimination);
    let (b, _, e) = play_random(f, 8, 3, false);
    let playoff: Vec<&Match> = b
        .matches()
        .iter()
        .filter(|m| m.bracket == Side::Winners)
        .collect();
    assert_eq!(
        playoff.len(),
        3,
        "4 players through: semi-finals and a final"
    );
    let names: Vec<(String, String)> = people(8).into_iter().map(|p| (p.clone(), p)).collect();
    let (items, groups) = standings_with_groups(&b, &names);
    assert_eq!(groups.len(), 2);
    assert!(groups.iter().all(|g| g.items.len() == 4));
    // The semi-finals: each group's winner against the other group's runner-up.
    let first = |g: usize, r: usize| groups[g].items[r].participant_id.clone();
    let semis: HashSet<(String, String)> = playoff
        .iter()
        .filter(|m| m.round == 1)
        .map(|m| {
            (
                m.participant1_id.clone().unwrap(),
                m.participant2_id.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        semis,
        HashSet::from([(first(0, 0), first(1, 1)), (first(1, 0), first(0, 1))])
    );
    let champion = stages::champion(Kind::GroupStage, &b, &e).unwrap();
    assert_eq!(items[0].participant_id, champion);
    assert_eq!(items[0].rank, 1);
    assert_eq!(items.len(), 8);
    // Eliminated in the groups: the third-placed before the fourth-placed.
    let rank_in_group = |id: &str| {
        groups
            .iter()
            .flat_map(|g| g.items.iter())
            .find(|s| s.participant_id == id)
            .unwrap()
            .rank
    };
    let tail: Vec<u32> = items[4..]
        .iter()
        .map(|s| rank_in_group(&s.participant_id))
        .collect();
    assert!(tail.windows(2).all(|w| w[0] <= w[1]), "{tail:?}");
}

#[test]
fn a_double_elimination_playoff_follows_the_groups() {
    let f = group_stage(4, 2, Kind::DoubleElimination);
    let (b, _, _) = play_random(f, 16, 11, false);
    assert!(b.matches().iter().any(|m| m.bracket == Side::Losers));
    assert!(b.champion().is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn random_group_stages_play_out(
        g in 2u32..=8,
        a in 1u32..=4,
        extra in 0usize..12,
        seed in any::<u64>(),
        double in any::<bool>(),
        dq in any::<bool>(),
    ) {
        let n = (g as usize) * (a as usize + 1) + extra;
        let kind = if double { Kind::DoubleElimination } else { Kind::SingleElimination };
        let f = group_stage(g, a, kind);
        prop_assert!(stages::check_start(f, n).is_ok());
        let (b, _, e) = play_random(f, n, seed, dq);
        let names: Vec<(String, String)> = people(n).into_iter().map(|p| (p.clone(), p)).collect();
        let (items, groups) = standings_with_groups(&b, &names);
        prop_assert_eq!(items.len(), n);
        prop_assert_eq!(groups.len(), g as usize);
        // Nobody the playoff took was inactive when it was drawn, and it never holds more
        // than the groups send.
        let in_playoff: HashSet<&str> = b
            .matches()
            .iter()
            .filter(|m| m.bracket != Side::Group)
            .flat_map(|m| [m.participant1_id.as_deref(), m.participant2_id.as_deref()])
            .flatten()
            .collect();
        prop_assert!(in_playoff.len() <= (g * a) as usize);
        if !dq {
            prop_assert_eq!(in_playoff.len(), (g * a) as usize);
            prop_assert!(stages::champion(Kind::GroupStage, &b, &e).is_some());
        }
    }
}

#[test]
fn too_few_players_for_the_groups_is_refused_at_the_start() {
    let f = group_stage(4, 2, Kind::SingleElimination);
    assert!(stages::check_start(f, 12).is_ok());
    assert!(stages::check_start(f, 11).is_err());
}
