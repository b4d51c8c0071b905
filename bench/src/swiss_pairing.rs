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
    generate, stages, Bracket, Entrant, Format, GrandFinal, Kind, Match, Stages,
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

/// Plays `format` out; returns the pairing times of the drawn stages (ms), the largest
/// bracket response and the largest `match.completed` event (bytes).
fn play(format: Format, n: usize, seed: u64) -> (Vec<(f64, f64)>, usize, usize) {
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
    let (mut largest_response, mut largest_event) = (bracket_size(format.kind, &b), 0);
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
            largest_response = largest_response.max(bracket_size(format.kind, &b));
        }
        let done = b.get(&m.id).expect("reported").clone();
        let updated: Vec<&Match> = b
            .changed_since(&before)
            .into_iter()
            .filter(|u| u.id != m.id)
            .collect();
        let event = match_completed(&done, &updated).to_string().len();
        largest_event = largest_event.max(event);
    }
    (times, largest_response, largest_event)
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
    let (mut times, swiss_response, swiss_event) = play(swiss, 256, 7);
    let (_, group_response, group_event) = play(groups, 256, 7);
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
    println!(
        "| Swiss (8 rounds + top cut of 8): largest bracket response | {swiss_response} B ({}) | 1 MB |",
        verdict(swiss_response < RESPONSE_BUDGET)
    );
    println!(
        "| Swiss: largest `match.completed` event | {swiss_event} B ({}) | 32 KiB |",
        verdict(swiss_event < EVENT_BUDGET)
    );
    println!(
        "| group stage 16 × 16, 4 through, double elimination: largest bracket response | {group_response} B ({}) | 1 MB |",
        verdict(group_response < RESPONSE_BUDGET)
    );
    println!(
        "| group stage: largest `match.completed` event | {group_event} B ({}) | 32 KiB |",
        verdict(group_event < EVENT_BUDGET)
    );
    let per_round: Vec<String> = pairings.iter().map(|t| format!("{:.1}", t.1)).collect();
    println!(
        "\nSwiss pairing per round, CPU ms: {}",
        per_round.join(", ")
    );
}
