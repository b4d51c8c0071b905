//! `swiss-pairing`: the staged formats' half of `make bench` (docs/formats.md "Sizes").
//!
//! Plays a 256-player Swiss (8 rounds, top cut of 8) and a 256-player group stage (16
//! groups of 16, 4 through, double elimination playoff) through the engine the functions
//! run, built in release like them, with seeded random results (a third draws). Reports the
//! CPU time (and wall clock) of each Swiss pairing (`stages::advance` in the write that completes a round: the
//! table, the matching, the new matches), and the largest bracket response and
//! `match.completed` event each format produces, against the limits (50 ms; 1 MB; 32 KiB).
//! A report, not a test: it exits 0 whatever the numbers say.

use std::time::Instant;

use gymit_tournaments::bracket::{
    generate, groups, stages, swiss, Bracket, Entrant, Format, GrandFinal, Kind, Match, Stages,
};
use gymit_tournaments::handlers::match_completed;
use serde_json::json;

const PAIRING_BUDGET_MS: f64 = 50.0;
const RESPONSE_BUDGET: usize = 1_000_000;
const EVENT_BUDGET: usize = 32 * 1024;

/// This thread's CPU time (ms): what the pairing costs, whatever else the machine runs.
fn cpu_ms() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1000.0 + t.tv_nsec as f64 / 1e6
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Participant ids shaped like the real ones (UUID v7), so sizes are the real sizes.
fn players(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "0193a5f2-7c4e-7d1a-9b3c-{:012x}",
                0x5e1f_0000_0000u64 + i as u64
            )
        })
        .collect()
}

fn bracket_size(kind: Kind, b: &Bracket) -> usize {
    let matches: Vec<_> = b.matches().iter().map(Match::view).collect();
    json!({"tournament_id": players(1)[0], "tournament_type": kind, "matches": matches})
        .to_string()
        .len()
}

/// The largest answers and event of one format played out (bytes).
#[derive(Default)]
struct Sizes {
    bracket: usize,
    /// A result's answer: `{match, tournament, updated_matches}` (the tournament counted
    /// at 1 KB, above its real size).
    result: usize,
    standings: usize,
    event: usize,
}

/// The standings answer of `b` (ids used as names: a name is at most 120 characters, an
/// id 36, so real answers are at most a few KB larger).
fn standings_size(kind: Kind, b: &Bracket, ids: &[String]) -> usize {
    let names: Vec<(String, String)> = ids.iter().map(|i| (i.clone(), i.clone())).collect();
    let body = match kind {
        Kind::Swiss => json!({ "items": swiss::standings(b, &names), "provisional": true }),
        _ => {
            let (items, groups) = groups::standings_with_groups(b, &names);
            json!({ "items": items, "groups": groups, "provisional": true })
        }
    };
    body.to_string().len()
}

/// Plays `format` out; returns the pairing times of the drawn stages (ms) and the largest
/// answers and event.
fn play(format: Format, n: usize, seed: u64) -> (Vec<(f64, f64)>, Sizes) {
    let ids = players(n);
    let entrants: Vec<Entrant> = ids
        .iter()
        .map(|id| Entrant {
            id: id.clone(),
            active: true,
        })
        .collect();
    let mut b = generate(format, &ids);
    let mut rng = Rng(seed);
    let mut times = Vec::new();
    let mut sizes = Sizes {
        bracket: bracket_size(format.kind, &b),
        ..Sizes::default()
    };
    loop {
        let ready: Vec<Match> = b.ready().cloned().collect();
        let Some(m) = ready.get(rng.below(ready.len().max(1))).cloned() else {
            break;
        };
        let winner = match (rng.below(3), m.bracket.allows_draws()) {
            (0, true) => None,
            (1, _) => m.participant2_id.clone(),
            _ => m.participant1_id.clone(),
        };
        let before = b.clone();
        b.report(&m.id, winner.as_deref(), "3-2")
            .expect("a ready match");
        let (started, cpu) = (Instant::now(), cpu_ms());
        let added = stages::advance(format, &mut b, &entrants);
        let took = (started.elapsed().as_secs_f64() * 1000.0, cpu_ms() - cpu);
        if !added.is_empty() {
            times.push(took);
            sizes.bracket = sizes.bracket.max(bracket_size(format.kind, &b));
            sizes.standings = sizes.standings.max(standings_size(format.kind, &b, &ids));
        }
        let done = b.get(&m.id).expect("reported").clone();
        let updated: Vec<&Match> = b
            .changed_since(&before)
            .into_iter()
            .filter(|u| u.id != m.id)
            .collect();
        let event = match_completed(&done, &updated).to_string().len();
        sizes.event = sizes.event.max(event);
        let views: Vec<_> = updated.iter().map(|u| u.view()).collect();
        let result = json!({ "match": done.view(), "updated_matches": views })
            .to_string()
            .len()
            + 1024;
        sizes.result = sizes.result.max(result);
    }
    sizes.standings = sizes.standings.max(standings_size(format.kind, &b, &ids));
    (times, sizes)
}

fn main() {
    let swiss = Format {
        kind: Kind::Swiss,
        third_place_match: false,
        grand_final: GrandFinal::Double,
        stages: Stages {
            top_cut: 8,
            ..Stages::NONE
        },
    };
    let groups = Format {
        kind: Kind::GroupStage,
        third_place_match: false,
        grand_final: GrandFinal::Double,
        stages: Stages {
            group_count: 16,
            advance_per_group: 4,
            playoff: Kind::DoubleElimination,
            ..Stages::NONE
        },
    };
    let (mut times, swiss_sizes) = play(swiss, 256, 7);
    let (_, group_sizes) = play(groups, 256, 7);
    let draws = times.len();
    // The last draw is the top cut (no matching); the others pair rounds 2..8.
    let pairings: Vec<(f64, f64)> = times.drain(..draws.saturating_sub(1)).collect();
    let stats = |pick: fn(&(f64, f64)) -> f64| {
        let mut v: Vec<f64> = pairings.iter().map(pick).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        (
            v.get(v.len() / 2).copied().unwrap_or(0.0),
            v.last().copied().unwrap_or(0.0),
        )
    };
    let (median, max) = stats(|t| t.1);
    let (wall_median, wall_max) = stats(|t| t.0);
    let verdict = |ok: bool| if ok { "within" } else { "OVER" };
    println!("| staged formats, 256 players (release engine) | measured | budget |");
    println!("|---|---|---|");
    println!(
        "| Swiss pairing of rounds 2–8, CPU time: median / max ms | {median:.1} / {max:.1} ({}) | {PAIRING_BUDGET_MS} ms |",
        verdict(max < PAIRING_BUDGET_MS)
    );
    println!(
        "| the same, wall clock (inflated when the machine is busy) | {wall_median:.1} / {wall_max:.1} | |"
    );
    for (what, sz) in [
        ("Swiss (8 rounds + top cut of 8)", &swiss_sizes),
        (
            "group stage 16 × 16, 4 through, double elimination",
            &group_sizes,
        ),
    ] {
        for (answer, bytes) in [
            ("bracket", sz.bracket),
            ("result (with `updated_matches`)", sz.result),
            ("standings", sz.standings),
        ] {
            println!(
                "| {what}: largest {answer} response | {bytes} B ({}) | 1 MB |",
                verdict(bytes < RESPONSE_BUDGET)
            );
        }
        println!(
            "| {what}: largest `match.completed` event | {} B ({}) | 32 KiB |",
            sz.event,
            verdict(sz.event < EVENT_BUDGET)
        );
    }
    let per_round: Vec<String> = pairings.iter().map(|t| format!("{:.1}", t.1)).collect();
    println!(
        "\nSwiss pairing per round, CPU ms: {}",
        per_round.join(", ")
    );
}
