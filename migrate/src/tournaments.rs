//! Legacy tournaments as the tournament service's own (LEGACY.md "Tournaments"): the
//! tournament, its participants renumbered 1..n, and, once started, the engine's own
//! bracket for those seeds with every legacy result replayed on it in an order the engine
//! accepts. A legacy bracket the engine cannot replay (other pairs, a winner who did not
//! play, a result that never becomes playable) skips the whole tournament. Pure.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use gymit_shared::time::rfc3339;
use gymit_tournaments::{
    bracket::{generate, Bracket, Format, GrandFinal, Kind, MatchStatus, Side},
    domain::{Participant, ParticipantStatus, Status, Tournament, MAX_ROUND_ROBIN},
    store::{ImportedResult, Meta},
};

use crate::{
    accounts::Accounts,
    ids::new_id,
    legacy::{Legacy, LegacyMatch, LegacyParticipant, LegacyTournament},
    report::Report,
    text::clean,
};

/// The generation id of every imported bracket (a start attempt's id in the service).
pub const IMPORTED_GEN: &str = "legacy";

/// One legacy tournament, as the tournament service will hold it.
#[derive(Debug, Clone)]
pub struct ImportedTournament {
    pub legacy_id: i64,
    /// The newest change of the tournament, its participants or its matches (`--since`).
    pub changed_at: DateTime<Utc>,
    pub meta: Meta,
    /// Position key and participant, in seed order.
    pub roster: Vec<(String, Participant)>,
    /// The generated bracket and the results replayed on it, once started.
    pub started: Option<(Bracket, Vec<ImportedResult>)>,
    /// The bracket as it stands after the results (what a reader sees).
    pub bracket: Option<Bracket>,
    /// Legacy participant id → new participant id.
    pub participant_ids: HashMap<i64, String>,
    /// Legacy match rows imported (brackets table).
    pub match_rows: u64,
}

/// Why a legacy bracket cannot be replayed.
type Unreplayable = String;

pub fn plan_tournaments(
    legacy: &Legacy,
    accounts: &Accounts,
    report: &mut Report,
) -> Vec<ImportedTournament> {
    let mut participants: HashMap<i64, Vec<&LegacyParticipant>> = HashMap::new();
    for p in &legacy.participants {
        participants.entry(p.tournament_id).or_default().push(p);
    }
    let mut matches: HashMap<i64, Vec<&LegacyMatch>> = HashMap::new();
    for m in &legacy.matches {
        matches.entry(m.tournament_id).or_default().push(m);
    }
    report.rows("tournaments").read = legacy.tournaments.len() as u64;
    report.rows("participants").read = legacy.participants.len() as u64;
    report.rows("brackets").read = legacy.matches.len() as u64;
    let mut out = Vec::new();
    for t in &legacy.tournaments {
        let ps = participants.remove(&t.id).unwrap_or_default();
        let ms = matches.remove(&t.id).unwrap_or_default();
        let mut own = Report::default();
        match plan_one(t, &ps, &ms, accounts, &mut own) {
            Ok(imported) => {
                report.entries.append(&mut own.entries);
                out.push(imported);
            }
            Err(why) => {
                report.skip("tournaments", t.id, why);
                // Its participants and matches go with it.
                report.rows("participants").skipped += ps.len() as u64;
                report.rows("brackets").skipped += ms.len() as u64;
            }
        }
    }
    out
}

fn kind(s: &str) -> Option<Kind> {
    match s {
        "single_elimination" => Some(Kind::SingleElimination),
        "double_elimination" => Some(Kind::DoubleElimination),
        "round_robin" => Some(Kind::RoundRobin),
        _ => None,
    }
}

fn side(s: &str) -> Option<Side> {
    match s {
        "winners" => Some(Side::Winners),
        "losers" => Some(Side::Losers),
        "grand_final" => Some(Side::GrandFinal),
        "third_place" => Some(Side::ThirdPlace),
        "round_robin" => Some(Side::RoundRobin),
        _ => None,
    }
}

/// A 39-digit position key for seed `seed` (1-based): fixed width, so byte order is seed
/// order, and far below the keys later joins append (UUID v7 numbers).
fn position(seed: usize) -> String {
    format!("{seed:038}5")
}

fn plan_one(
    t: &LegacyTournament,
    ps: &[&LegacyParticipant],
    ms: &[&LegacyMatch],
    accounts: &Accounts,
    report: &mut Report,
) -> Result<ImportedTournament, Unreplayable> {
    const TABLE: &str = "tournaments";
    let id = new_id(TABLE, t.id);
    let tournament_type = kind(&t.tournament_type)
        .ok_or_else(|| format!("unknown tournament_type {:?}", t.tournament_type))?;
    let mut status =
        Status::parse(&t.status).ok_or_else(|| format!("unknown status {:?}", t.status))?;
    let year = |at: &DateTime<Utc>| chrono::Datelike::year(at);
    if !(2000..=2100).contains(&year(&t.start_date)) {
        return Err("start_date is outside the years 2000 to 2100".into());
    }
    let (name, why) = clean(&t.name, 120);
    if let Some(why) = why {
        report.change(TABLE, t.id, format!("name: {why}"));
    }
    if name.is_empty() {
        return Err("the name is empty once cleaned".into());
    }
    let (description, why) = clean(t.description.as_deref().unwrap_or(""), 2000);
    if let Some(why) = why {
        report.change(TABLE, t.id, format!("description: {why}"));
    }
    let created_by = match t.created_by.and_then(|u| accounts.by_legacy_id.get(&u)) {
        Some(owner) => owner.clone(),
        None => {
            let root = accounts
                .root_admin_id
                .clone()
                .ok_or("its owner is missing and the stack has no root admin to own it")?;
            report.change(TABLE, t.id, "owner missing: the root admin owns it");
            root
        }
    };
    let limit = match tournament_type {
        Kind::RoundRobin => MAX_ROUND_ROBIN,
        _ => 256,
    } as usize;
    if ps.len() > limit {
        return Err(format!(
            "{} participants, more than a {} takes ({limit})",
            ps.len(),
            t.tournament_type
        ));
    }
    let wanted = usize::try_from(t.max_participants).unwrap_or(0);
    let max_participants = wanted.clamp(ps.len().max(2), limit);
    if max_participants != wanted {
        report.change(
            TABLE,
            t.id,
            format!("max_participants {wanted} → {max_participants}"),
        );
    }
    let third_place_match = t.third_place_match && tournament_type == Kind::SingleElimination;
    if third_place_match != t.third_place_match {
        report.change(
            TABLE,
            t.id,
            "third_place_match is only for single elimination: off",
        );
    }
    let grand_final = (tournament_type == Kind::DoubleElimination).then_some(GrandFinal::Double);

    // Participants: seeds 1..n in the order (seed, id), NULL seeds last.
    let mut ordered: Vec<&LegacyParticipant> = ps.to_vec();
    ordered.sort_by_key(|p| (p.seed.is_none(), p.seed, p.id));
    let mut roster = Vec::new();
    let mut participant_ids = HashMap::new();
    let mut registered = HashSet::new();
    for (i, p) in ordered.iter().enumerate() {
        let seed = i + 1;
        if p.seed != Some(seed as i32) {
            let was = p.seed.map_or("NULL".to_string(), |s| s.to_string());
            report.change("participants", p.id, format!("seed {was} → {seed}"));
        }
        let mut user_id = p
            .user_id
            .and_then(|u| accounts.by_legacy_id.get(&u).cloned());
        if p.user_id.is_some() && user_id.is_none() {
            report.change(
                "participants",
                p.id,
                "its account was not imported: a named guest",
            );
        }
        if let Some(u) = &user_id {
            if !registered.insert(u.clone()) {
                report.change(
                    "participants",
                    p.id,
                    "the account is registered twice: this one is a named guest",
                );
                user_id = None;
            }
        }
        let (mut pname, why) = clean(&p.name, 100);
        if let Some(why) = why {
            report.change("participants", p.id, format!("name: {why}"));
        }
        if pname.is_empty() {
            pname = user_id
                .as_deref()
                .and_then(|u| accounts.full_name(u))
                .map_or_else(|| format!("Player {seed}"), str::to_string);
            report.change("participants", p.id, "the name was empty");
        }
        let pid = new_id("participants", p.id);
        participant_ids.insert(p.id, pid.clone());
        roster.push((
            position(seed),
            Participant {
                id: pid,
                tournament_id: id.clone(),
                user_id,
                name: pname,
                seed: seed as u32,
                joined_at: rfc3339(p.joined_at),
                disqualified: false,
                status: ParticipantStatus::Active,
                checked_in_at: None,
            },
        ));
    }

    let format = Format {
        kind: tournament_type,
        third_place_match,
        grand_final: grand_final.unwrap_or(GrandFinal::Double),
        stages: gymit_tournaments::bracket::Stages::NONE,
    };
    let played = matches!(status, Status::InProgress | Status::Completed)
        || (status == Status::Cancelled && !ms.is_empty());
    let mut started = None;
    let mut bracket = None;
    if played {
        if roster.len() < 2 {
            return Err("started with fewer than 2 participants".into());
        }
        let order: Vec<String> = roster.iter().map(|(_, p)| p.id.clone()).collect();
        let generated = generate(format, &order);
        let (live, results) = replay(&generated, ms, &participant_ids)?;
        match status {
            Status::Completed if !live.is_finished() => {
                return Err(
                    "completed in the monolith, but its bracket has unplayed matches".into(),
                )
            }
            Status::InProgress if live.is_finished() => {
                status = Status::Completed;
                report.change(TABLE, t.id, "every match was played: completed");
            }
            _ => {}
        }
        bracket = Some(live);
        started = Some((generated, results));
    } else if !ms.is_empty() {
        report.change(
            TABLE,
            t.id,
            format!(
                "{} bracket rows of a tournament never started: left out",
                ms.len()
            ),
        );
    }
    let results = started.as_ref().map_or(0, |(_, r)| r.len() as u64);
    let changed_at = ps
        .iter()
        .map(|p| p.joined_at)
        .chain(ms.iter().map(|m| m.updated_at))
        .chain([t.updated_at])
        .max()
        .unwrap_or(t.updated_at);
    let tournament = Tournament {
        id,
        name,
        description,
        start_date: rfc3339(t.start_date),
        max_participants: max_participants as u32,
        tournament_type,
        status,
        participant_count: roster.len() as u32,
        third_place_match,
        grand_final,
        created_by,
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
        // Created (1), started (2), then one version per result, as the service counts.
        version: 1 + u64::from(started.is_some()) + results,
        // The monolith has no check-in, waitlist or Swiss (LEGACY.md).
        check_in_minutes: 0,
        check_in_opens_at: None,
        waitlist_size: 0,
        waitlist_count: 0,
        current_round: None,
        swiss_rounds: None,
        top_cut: 0,
        group_count: None,
        advance_per_group: None,
        playoff_type: None,
    };
    Ok(ImportedTournament {
        legacy_id: t.id,
        changed_at,
        meta: Meta {
            tournament,
            bracket_gen: started.as_ref().map(|_| IMPORTED_GEN.to_string()),
            disqualified: Vec::new(),
            bulk_batches: Vec::new(),
        },
        roster,
        started,
        bracket,
        participant_ids,
        match_rows: ms.len() as u64,
    })
}

/// Applies the legacy results to the engine's bracket, each as soon as its match is ready
/// (legacy order first: `updated_at`, then id), then checks every legacy row against the
/// bracket that results: same pairs, same byes.
fn replay(
    generated: &Bracket,
    ms: &[&LegacyMatch],
    ids: &HashMap<i64, String>,
) -> Result<(Bracket, Vec<ImportedResult>), Unreplayable> {
    let mut live = generated.clone();
    let where_ =
        |m: &LegacyMatch| format!("{} round {} match {}", m.bracket, m.round, m.match_number);
    let engine_id = |b: &Bracket, m: &LegacyMatch| -> Result<String, Unreplayable> {
        let s = side(&m.bracket).ok_or_else(|| format!("unknown bracket {:?}", m.bracket))?;
        b.matches()
            .iter()
            .find(|e| {
                e.bracket == s
                    && e.round as i32 == m.round
                    && e.match_number as i32 == m.match_number
            })
            .map(|e| e.id.clone())
            .ok_or_else(|| format!("{} is not in the engine's bracket", where_(m)))
    };
    let participant = |legacy: Option<i64>| -> Result<Option<String>, Unreplayable> {
        legacy
            .map(|p| {
                ids.get(&p)
                    .cloned()
                    .ok_or_else(|| format!("participant {p} is not in the tournament"))
            })
            .transpose()
    };
    let is_bye = |m: &LegacyMatch| {
        let one = m.participant1_id.is_some() != m.participant2_id.is_some();
        one && m.winner_id.is_some() && m.winner_id == m.participant1_id.or(m.participant2_id)
    };
    let mut pending: Vec<&LegacyMatch> = ms
        .iter()
        .copied()
        .filter(|m| !is_bye(m) && (m.winner_id.is_some() || m.score.is_some()))
        .collect();
    pending.sort_by_key(|m| (m.updated_at, m.id));
    let mut results = Vec::new();
    while !pending.is_empty() {
        let before = pending.len();
        let mut waiting = Vec::new();
        for m in pending {
            let id = engine_id(&live, m)?;
            let Some(e) = live.get(&id) else {
                return Err(format!("{} is not in the engine's bracket", where_(m)));
            };
            if e.status != MatchStatus::Ready {
                waiting.push(m);
                continue;
            }
            let (p1, p2) = (
                participant(m.participant1_id)?,
                participant(m.participant2_id)?,
            );
            if e.participant1_id != p1 || e.participant2_id != p2 {
                return Err(format!("{}: other pairs than the engine's", where_(m)));
            }
            let winner = participant(m.winner_id)?;
            let score = m.score.clone().unwrap_or_default();
            live.report(&id, winner.as_deref(), &score)
                .map_err(|e| format!("{}: the engine refuses the result ({e:?})", where_(m)))?;
            results.push(ImportedResult {
                // Created (1), started (2), then one version per result.
                seq: 3 + results.len() as u64,
                match_id: id,
                winner,
                score,
            });
        }
        if waiting.len() == before {
            return Err(format!(
                "{}: a result whose match never becomes playable",
                where_(waiting[0])
            ));
        }
        pending = waiting;
    }
    for m in ms {
        let id = engine_id(&live, m)?;
        let Some(e) = live.get(&id) else {
            return Err(format!("{} is not in the engine's bracket", where_(m)));
        };
        let (p1, p2) = (
            participant(m.participant1_id)?,
            participant(m.participant2_id)?,
        );
        let set = |a: &Option<String>, b: &Option<String>| {
            let mut v = [a.clone(), b.clone()];
            v.sort();
            v
        };
        if is_bye(m) {
            if e.status != MatchStatus::Bye
                || set(&p1, &p2) != set(&e.participant1_id, &e.participant2_id)
            {
                return Err(format!("{}: a bye the engine does not give", where_(m)));
            }
        } else if (p1.is_some() || p2.is_some())
            && (e.participant1_id != p1 || e.participant2_id != p2)
        {
            return Err(format!("{}: other pairs than the engine's", where_(m)));
        }
    }
    Ok((live, results))
}
