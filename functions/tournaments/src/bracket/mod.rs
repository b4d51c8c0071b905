//! The bracket engine: pure functions of a bracket, no I/O.
//!
//! A bracket is a list of matches wired together: each match names where its winner goes
//! (`next_match_id`, slot) and, in double elimination, where its loser goes. Everything
//! that happens automatically — byes, forfeits of disqualified participants, matches that
//! nobody can reach any more, the bracket reset — is done by [`Bracket::settle`], a
//! fixpoint over that wiring. Because settling is a function of the matches and the set of
//! disqualified participants, the store can always re-settle what it reads.

pub mod generate;
pub mod groups;
pub mod matching;
pub mod stages;
mod standings;
pub mod swiss;

pub use generate::{generate, Format, GrandFinal, Kind};
pub use stages::{Entrant, Stages};
pub use standings::{score_totals, standings, Standing};

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Winners,
    Losers,
    GrandFinal,
    ThirdPlace,
    RoundRobin,
    /// A Swiss round (`swiss`), a group's round robin (`group`), a Swiss top cut
    /// (`playoff`).
    Swiss,
    Group,
    Playoff,
}

impl Side {
    /// Where a match may end in a draw: the formats that rank by points.
    pub fn allows_draws(self) -> bool {
        matches!(self, Side::RoundRobin | Side::Swiss | Side::Group)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    /// Waiting for at least one participant.
    Pending,
    Ready,
    Completed,
    /// One participant, already advanced.
    Bye,
    /// Nobody can reach it (or the bracket reset was not needed).
    Skipped,
}

/// Which of a match's two places a participant arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Slot {
    #[serde(rename = "1")]
    One,
    #[serde(rename = "2")]
    Two,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    pub id: String,
    pub bracket: Side,
    pub round: u32,
    pub match_number: u32,
    pub participant1_id: Option<String>,
    pub participant2_id: Option<String>,
    pub winner_id: Option<String>,
    pub score: Option<String>,
    pub status: MatchStatus,
    pub next_match_id: Option<String>,
    pub next_loser_match_id: Option<String>,
    /// Wiring detail, not part of the public match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_slot: Option<Slot>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_loser_slot: Option<Slot>,
    /// The group of a group-stage match (`"A"`, `"B"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The public shape of a match (API.md), without the wiring detail.
#[derive(Serialize)]
pub struct MatchView<'a> {
    pub id: &'a str,
    pub bracket: Side,
    pub round: u32,
    pub match_number: u32,
    pub participant1_id: Option<&'a str>,
    pub participant2_id: Option<&'a str>,
    pub winner_id: Option<&'a str>,
    pub score: Option<&'a str>,
    pub status: MatchStatus,
    pub next_match_id: Option<&'a str>,
    pub next_loser_match_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<&'a str>,
}

pub const FORFEIT: &str = "forfeit";

impl Match {
    pub(crate) fn new(id: String, bracket: Side, round: u32, match_number: u32) -> Self {
        Self {
            id,
            bracket,
            round,
            match_number,
            participant1_id: None,
            participant2_id: None,
            winner_id: None,
            score: None,
            status: MatchStatus::Pending,
            next_match_id: None,
            next_loser_match_id: None,
            next_slot: None,
            next_loser_slot: None,
            group: None,
        }
    }

    pub fn view(&self) -> MatchView<'_> {
        MatchView {
            id: &self.id,
            bracket: self.bracket,
            round: self.round,
            match_number: self.match_number,
            participant1_id: self.participant1_id.as_deref(),
            participant2_id: self.participant2_id.as_deref(),
            winner_id: self.winner_id.as_deref(),
            score: self.score.as_deref(),
            status: self.status,
            next_match_id: self.next_match_id.as_deref(),
            next_loser_match_id: self.next_loser_match_id.as_deref(),
            group: self.group.as_deref(),
        }
    }

    pub fn slot(&self, slot: Slot) -> Option<&str> {
        match slot {
            Slot::One => self.participant1_id.as_deref(),
            Slot::Two => self.participant2_id.as_deref(),
        }
    }

    fn set_slot(&mut self, slot: Slot, who: Option<String>) {
        match slot {
            Slot::One => self.participant1_id = who,
            Slot::Two => self.participant2_id = who,
        }
    }

    pub fn has(&self, participant: &str) -> bool {
        self.participant1_id.as_deref() == Some(participant)
            || self.participant2_id.as_deref() == Some(participant)
    }

    /// The participant who lost a completed match (none for a draw or a bye).
    pub fn loser_id(&self) -> Option<&str> {
        let winner = self.winner_id.as_deref()?;
        if self.status != MatchStatus::Completed {
            return None;
        }
        [
            self.participant1_id.as_deref(),
            self.participant2_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        .find(|p| *p != winner)
    }

    fn is_reset(&self) -> bool {
        self.bracket == Side::GrandFinal && self.round == 2
    }

    fn is_first_final(&self) -> bool {
        self.bracket == Side::GrandFinal && self.round == 1
    }

    /// Whether this match decided a result (played or forfeited), as opposed to a bye.
    pub fn is_played(&self) -> bool {
        self.status == MatchStatus::Completed
    }
}

/// Why the engine refused an operation. The handlers map each to its problem code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    UnknownMatch,
    UnknownParticipant,
    /// Reporting on a match that is already completed.
    AlreadyCompleted,
    /// Reporting on a match that is pending, a bye or skipped.
    NotReady,
    /// Correcting a match that is not completed.
    NotCompleted,
    /// The winner is not one of the match's participants.
    WinnerNotInMatch,
    /// A draw in an elimination bracket.
    DrawNotAllowed,
    /// A correction whose effects already reached a completed match.
    DownstreamCompleted,
    /// Correcting a forfeit (it follows from the disqualification).
    Forfeited,
    /// Disqualifying someone already disqualified.
    AlreadyDisqualified,
    /// Disqualifying once every place is decided (the tournament is over).
    Finished,
}

/// A tournament's matches and the participants who were disqualified.
///
/// The wiring (who feeds whom) never changes after generation, so it is indexed once;
/// settling then only looks at the matches a change can reach, which keeps a report
/// proportional to its effects even in a 256-player round robin (32,640 matches).
#[derive(Debug, Clone)]
pub struct Bracket {
    matches: Vec<Match>,
    disqualified: BTreeSet<String>,
    index: HashMap<String, usize>,
    /// For each match and slot (0, 1), the match that feeds it.
    feeds: Vec<[Option<Feed>; 2]>,
    /// For each match, the matches its outcome reaches directly.
    targets: Vec<Vec<usize>>,
    /// The first grand final and the bracket reset, when there is one.
    reset: Option<usize>,
    /// Round robin: the match indices of each round, and the highest round open for play.
    rounds: Vec<Vec<usize>>,
    open_round: usize,
    ready: BTreeSet<usize>,
    /// What happened to the bracket, in order: replaying it on the generated matches
    /// rebuilds exactly this bracket (`from_log`).
    log: Vec<Entry>,
}

/// One thing that happened to a bracket. Everything else (who advanced, byes, forfeits,
/// skipped matches) follows from these, in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A reported result: `winner` is `None` for a draw.
    Result {
        match_id: String,
        winner: Option<String>,
        score: String,
    },
    Disqualified(String),
}

impl PartialEq for Bracket {
    fn eq(&self, other: &Self) -> bool {
        self.matches == other.matches && self.disqualified == other.disqualified
    }
}

impl Eq for Bracket {}

/// Where a slot's participant comes from.
#[derive(Debug, Clone, Copy)]
enum Feed {
    Winner(usize),
    Loser(usize),
}

fn slot_index(slot: Slot) -> usize {
    match slot {
        Slot::One => 0,
        Slot::Two => 1,
    }
}

impl Bracket {
    /// A bracket from stored matches (or freshly generated ones), settled.
    pub fn new(matches: Vec<Match>, disqualified: BTreeSet<String>) -> Self {
        let index: HashMap<String, usize> = matches
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
        let mut feeds = vec![[None, None]; matches.len()];
        let mut targets = vec![Vec::new(); matches.len()];
        for (i, m) in matches.iter().enumerate() {
            let wires = [
                (&m.next_match_id, m.next_slot, Feed::Winner(i)),
                (&m.next_loser_match_id, m.next_loser_slot, Feed::Loser(i)),
            ];
            for (next, slot, feed) in wires {
                if let (Some(next), Some(slot)) = (next, slot) {
                    if let Some(&j) = index.get(next.as_str()) {
                        feeds[j][slot_index(slot)] = Some(feed);
                        targets[i].push(j);
                    }
                }
            }
        }
        let reset = matches.iter().position(Match::is_reset);
        if let (Some(r), Some(first)) = (reset, matches.iter().position(Match::is_first_final)) {
            targets[first].push(r);
        }
        let mut rounds: Vec<Vec<usize>> = Vec::new();
        for (i, m) in matches.iter().enumerate() {
            if m.bracket == Side::RoundRobin {
                let r = m.round.max(1) as usize;
                if rounds.len() < r {
                    rounds.resize(r, Vec::new());
                }
                rounds[r - 1].push(i);
            }
        }
        let ready = matches
            .iter()
            .enumerate()
            .filter(|(_, m)| m.status == MatchStatus::Ready)
            .map(|(i, _)| i)
            .collect();
        let mut b = Self {
            matches,
            disqualified,
            index,
            feeds,
            targets,
            reset,
            rounds,
            open_round: 1,
            ready,
            log: Vec::new(),
        };
        b.settle_all();
        b
    }

    /// Rebuilds a bracket from its generated matches and what happened to it: what the
    /// store keeps. Everything else follows, so it can never disagree with the results.
    pub fn from_log(matches: Vec<Match>, log: Vec<Entry>) -> Self {
        let mut b = Self::new(matches, BTreeSet::new());
        b.replay(log);
        b
    }

    /// What happened to this bracket, in order.
    pub fn log(&self) -> &[Entry] {
        &self.log
    }

    pub fn matches(&self) -> &[Match] {
        &self.matches
    }

    pub fn disqualified(&self) -> &BTreeSet<String> {
        &self.disqualified
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Match> {
        self.position(id).map(|i| &self.matches[i])
    }

    /// The matches ready to be played, in bracket order.
    pub fn ready(&self) -> impl Iterator<Item = &Match> {
        self.ready.iter().map(|&i| &self.matches[i])
    }

    fn set_status(&mut self, i: usize, status: MatchStatus) {
        self.matches[i].status = status;
        if status == MatchStatus::Ready {
            self.ready.insert(i);
        } else {
            self.ready.remove(&i);
        }
    }

    /// Whether a slot can never receive anyone: nothing feeds it, or what feeds it ended
    /// without producing a participant for it.
    fn slot_dead(&self, i: usize, slot: Slot) -> bool {
        if self.matches[i].slot(slot).is_some() {
            return false;
        }
        if self.matches[i].is_reset() {
            // Filled only by the first grand final's outcome (`grand_final_outcome`);
            // unreachable when nobody won that one.
            return self
                .matches
                .iter()
                .any(|m| m.is_first_final() && m.status == MatchStatus::Skipped);
        }
        match self.feeds[i][slot_index(slot)] {
            None => true,
            Some(Feed::Winner(f)) => {
                let f = &self.matches[f];
                match f.status {
                    MatchStatus::Skipped => true,
                    // A completed draw has no winner to send on (round robin only).
                    MatchStatus::Completed | MatchStatus::Bye => f.winner_id.is_none(),
                    MatchStatus::Pending | MatchStatus::Ready => false,
                }
            }
            Some(Feed::Loser(f)) => {
                let f = &self.matches[f];
                match f.status {
                    MatchStatus::Skipped | MatchStatus::Bye => true,
                    MatchStatus::Completed => f.loser_id().is_none(),
                    MatchStatus::Pending | MatchStatus::Ready => false,
                }
            }
        }
    }

    /// Sends the outcome of match `i` on to the matches it feeds.
    fn advance(&mut self, i: usize) {
        if self.matches[i].is_first_final() {
            self.grand_final_outcome(i);
        }
        let m = &self.matches[i];
        let targets = [
            (m.next_match_id.clone(), m.next_slot, m.winner_id.clone()),
            (
                m.next_loser_match_id.clone(),
                m.next_loser_slot,
                m.loser_id().map(str::to_string),
            ),
        ];
        for (next, slot, who) in targets {
            if let (Some(next), Some(slot), Some(who)) = (next, slot, who) {
                if let Some(j) = self.position(&next) {
                    self.matches[j].set_slot(slot, Some(who));
                }
            }
        }
    }

    /// The first grand final decides whether the bracket reset is played: only when the
    /// losers-bracket winner (participant 2) won it.
    fn grand_final_outcome(&mut self, first: usize) {
        let Some(j) = self.reset else { return };
        if self.matches[j].status != MatchStatus::Pending {
            return;
        }
        let first = &self.matches[first];
        let lb_winner_won = first.status == MatchStatus::Completed
            && first.winner_id.is_some()
            && first.winner_id == first.participant2_id;
        if lb_winner_won {
            let (p1, p2) = (first.participant1_id.clone(), first.participant2_id.clone());
            self.matches[j].participant1_id = p1;
            self.matches[j].participant2_id = p2;
        } else {
            self.set_status(j, MatchStatus::Skipped);
        }
    }

    /// Applies everything that follows from the current state without a report: byes,
    /// forfeits of disqualified participants, matches nobody can reach, the next round of a
    /// round robin. Returns whether anything changed.
    pub fn settle_all(&mut self) -> bool {
        self.settle((0..self.matches.len()).collect())
    }

    /// Settles starting from the matches in `queue` and everything their changes reach.
    fn settle(&mut self, mut queue: Vec<usize>) -> bool {
        let mut changed_any = false;
        loop {
            while let Some(i) = queue.pop() {
                if self.step(i) {
                    changed_any = true;
                    queue.push(i);
                    queue.extend(self.targets[i].iter().copied());
                }
            }
            // A round robin round opens when every match before it is decided.
            let decided =
                |m: &Match| matches!(m.status, MatchStatus::Completed | MatchStatus::Skipped);
            while self.open_round <= self.rounds.len()
                && self.rounds[self.open_round - 1]
                    .iter()
                    .all(|&i| decided(&self.matches[i]))
            {
                self.open_round += 1;
                if let Some(next) = self.rounds.get(self.open_round - 1) {
                    queue.extend(next.iter().copied());
                }
            }
            if queue.is_empty() {
                return changed_any;
            }
        }
    }

    /// One automatic transition of match `i`, if any applies.
    fn step(&mut self, i: usize) -> bool {
        let m = &self.matches[i];
        match m.status {
            MatchStatus::Pending => {
                let (p1, p2) = (m.participant1_id.clone(), m.participant2_id.clone());
                // A round robin's later rounds wait for the earlier ones, except a match of
                // someone who is out: it is forfeited at once (API.md: a disqualification or
                // drop settles every unplayed match).
                let out =
                    |p: &Option<String>| p.as_ref().is_some_and(|p| self.disqualified.contains(p));
                let open = m.bracket != Side::RoundRobin
                    || m.round as usize <= self.open_round
                    || out(&p1)
                    || out(&p2);
                match (p1, p2) {
                    (Some(_), Some(_)) if open => self.set_status(i, MatchStatus::Ready),
                    (Some(p), None) if self.slot_dead(i, Slot::Two) => self.walk_over(i, p),
                    (None, Some(p)) if self.slot_dead(i, Slot::One) => self.walk_over(i, p),
                    (None, None)
                        if self.slot_dead(i, Slot::One) && self.slot_dead(i, Slot::Two) =>
                    {
                        self.set_status(i, MatchStatus::Skipped)
                    }
                    _ => return false,
                }
                true
            }
            MatchStatus::Ready => {
                let m = &self.matches[i];
                let dq =
                    |p: &Option<String>| p.as_ref().is_some_and(|p| self.disqualified.contains(p));
                let winner = match (dq(&m.participant1_id), dq(&m.participant2_id)) {
                    (false, false) => return false,
                    (true, false) => m.participant2_id.clone(),
                    (false, true) => m.participant1_id.clone(),
                    (true, true) => None,
                };
                self.matches[i].score = Some(FORFEIT.into());
                match winner {
                    Some(w) => {
                        self.matches[i].winner_id = Some(w);
                        self.set_status(i, MatchStatus::Completed);
                        self.advance(i);
                    }
                    // Both forfeit: nobody goes on.
                    None => self.set_status(i, MatchStatus::Skipped),
                }
                true
            }
            _ => false,
        }
    }

    /// A match with one participant: a bye, unless that participant was disqualified, in
    /// which case nobody goes on.
    fn walk_over(&mut self, i: usize, participant: String) {
        if self.disqualified.contains(&participant) {
            self.set_status(i, MatchStatus::Skipped);
            return;
        }
        self.matches[i].winner_id = Some(participant);
        self.set_status(i, MatchStatus::Bye);
        self.advance(i);
    }

    /// Records the result of a ready match. `winner` is `None` for a draw (round robin).
    pub fn report(
        &mut self,
        match_id: &str,
        winner: Option<&str>,
        score: &str,
    ) -> Result<(), EngineError> {
        let i = self.position(match_id).ok_or(EngineError::UnknownMatch)?;
        let m = &self.matches[i];
        match m.status {
            MatchStatus::Ready => {}
            MatchStatus::Completed => return Err(EngineError::AlreadyCompleted),
            _ => return Err(EngineError::NotReady),
        }
        match winner {
            Some(w) if !m.has(w) => return Err(EngineError::WinnerNotInMatch),
            None if !m.bracket.allows_draws() => return Err(EngineError::DrawNotAllowed),
            _ => {}
        }
        let m = &mut self.matches[i];
        m.winner_id = winner.map(str::to_string);
        m.score = Some(score.to_string());
        self.set_status(i, MatchStatus::Completed);
        self.advance(i);
        self.settle(self.targets[i].clone());
        self.log.push(Entry::Result {
            match_id: match_id.to_string(),
            winner: winner.map(str::to_string),
            score: score.to_string(),
        });
        Ok(())
    }

    /// The matches that a match's outcome reached: where its winner and loser went, and on
    /// through byes (a bye passes its participant straight on).
    fn downstream(&self, i: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack = vec![i];
        while let Some(k) = stack.pop() {
            for &j in &self.targets[k] {
                if !out.contains(&j) {
                    out.push(j);
                    if matches!(
                        self.matches[j].status,
                        MatchStatus::Bye | MatchStatus::Skipped
                    ) {
                        stack.push(j);
                    }
                }
            }
        }
        out
    }

    /// Whether either player of a Swiss or group match (which feed nothing) has completed
    /// a match since: a later Swiss round or the stage after the groups or the Swiss.
    fn played_on(&self, i: usize) -> bool {
        let m = &self.matches[i];
        if !matches!(m.bracket, Side::Swiss | Side::Group) {
            return false;
        }
        let later = |o: &Match| match o.bracket {
            Side::Swiss => m.bracket == Side::Swiss && o.round > m.round,
            Side::Group | Side::RoundRobin => false,
            _ => true,
        };
        self.matches.iter().any(|o| {
            o.status == MatchStatus::Completed
                && later(o)
                && [o.participant1_id.as_deref(), o.participant2_id.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|p| m.has(p))
        })
    }

    /// Adds the matches of a stage drawn during play (a Swiss round, a top cut, the
    /// playoff after the groups). What happened so far stays: the log is kept, and a
    /// rebuild from the stored matches (these ones included) replays to the same bracket.
    pub fn extend(&mut self, new: Vec<Match>) {
        let log = std::mem::take(&mut self.log);
        let disqualified = std::mem::take(&mut self.disqualified);
        let mut matches = std::mem::take(&mut self.matches);
        matches.extend(new);
        *self = Self::new(matches, disqualified);
        self.log = log;
    }

    /// Corrects a completed match, allowed while nothing it fed into has been completed.
    /// The bracket is rebuilt from its first-round placement by replaying every other
    /// result, so byes and forfeits downstream follow the new winner.
    pub fn correct(
        &mut self,
        match_id: &str,
        winner: Option<&str>,
        score: &str,
    ) -> Result<(), EngineError> {
        let i = self.position(match_id).ok_or(EngineError::UnknownMatch)?;
        let m = &self.matches[i];
        if m.status != MatchStatus::Completed {
            return Err(EngineError::NotCompleted);
        }
        if m.score.as_deref() == Some(FORFEIT) {
            return Err(EngineError::Forfeited);
        }
        match winner {
            Some(w) if !m.has(w) => return Err(EngineError::WinnerNotInMatch),
            None if !m.bracket.allows_draws() => return Err(EngineError::DrawNotAllowed),
            _ => {}
        }
        if self
            .downstream(i)
            .into_iter()
            .any(|j| self.matches[j].status == MatchStatus::Completed)
            || self.played_on(i)
        {
            return Err(EngineError::DownstreamCompleted);
        }
        let mut log = std::mem::take(&mut self.log);
        for entry in &mut log {
            if let Entry::Result {
                match_id: id,
                winner: w,
                score: sc,
            } = entry
            {
                if id == match_id {
                    *w = winner.map(str::to_string);
                    *sc = score.to_string();
                }
            }
        }
        self.replay(log);
        Ok(())
    }

    /// Clears everything but the first-round placement, then applies `log` in order. An
    /// entry that no longer applies (the correction rules make that unreachable) is
    /// dropped and reported.
    fn replay(&mut self, log: Vec<Entry>) {
        for i in 0..self.matches.len() {
            let reset = self.matches[i].is_reset();
            let fed1 = self.feeds[i][0].is_some() || reset;
            let fed2 = self.feeds[i][1].is_some() || reset;
            let m = &mut self.matches[i];
            if fed1 {
                m.participant1_id = None;
            }
            if fed2 {
                m.participant2_id = None;
            }
            m.winner_id = None;
            m.score = None;
            m.status = MatchStatus::Pending;
        }
        self.ready.clear();
        self.open_round = 1;
        self.disqualified.clear();
        self.log.clear();
        self.settle_all();
        for entry in log {
            let applied = match &entry {
                Entry::Result {
                    match_id,
                    winner,
                    score,
                } => self.report(match_id, winner.as_deref(), score),
                Entry::Disqualified(p) => self.disqualify(p),
            };
            if let Err(e) = applied {
                tracing::warn!(?entry, error = ?e, "an entry no longer fits the bracket and was dropped");
            }
        }
    }

    /// Disqualifies a participant: every unplayed match of theirs becomes a forfeit, now
    /// and whenever they would arrive in one.
    pub fn disqualify(&mut self, participant: &str) -> Result<(), EngineError> {
        if self.disqualified.contains(participant) {
            return Err(EngineError::AlreadyDisqualified);
        }
        if !self.matches.iter().any(|m| m.has(participant)) {
            return Err(EngineError::UnknownParticipant);
        }
        if self.is_finished() {
            return Err(EngineError::Finished);
        }
        self.disqualified.insert(participant.to_string());
        let theirs = (0..self.matches.len())
            .filter(|&i| self.matches[i].has(participant))
            .collect();
        self.settle(theirs);
        self.log.push(Entry::Disqualified(participant.to_string()));
        Ok(())
    }

    /// Whether every match that decides a place is decided.
    pub fn is_finished(&self) -> bool {
        self.matches
            .iter()
            .all(|m| !matches!(m.status, MatchStatus::Pending | MatchStatus::Ready))
    }

    /// The winner of the tournament, once it is finished.
    pub fn champion(&self) -> Option<String> {
        if !self.is_finished() {
            return None;
        }
        if self.matches.iter().all(|m| m.bracket == Side::RoundRobin) {
            return None; // round robin: the standings decide
        }
        let decided = |side: Side, round: u32| {
            self.matches
                .iter()
                .find(|m| m.bracket == side && m.round == round && m.status != MatchStatus::Skipped)
                .and_then(|m| m.winner_id.clone())
        };
        let has = |side: Side| self.matches.iter().any(|m| m.bracket == side);
        if has(Side::GrandFinal) {
            return decided(Side::GrandFinal, 2).or_else(|| decided(Side::GrandFinal, 1));
        }
        let last = |side: Side| {
            self.matches
                .iter()
                .filter(|m| m.bracket == side)
                .map(|m| m.round)
                .max()
        };
        let round = last(Side::Winners)?;
        let winner = decided(Side::Winners, round);
        if !winner
            .as_ref()
            .is_some_and(|w| self.disqualified.contains(w))
        {
            return winner;
        }
        // The winners bracket's winner was disqualified after their last match, while other
        // matches (a third-place match, the losers bracket) played on: a disqualified
        // participant holds no place. Without a grand final the losers-bracket winner takes
        // first place; in single elimination the final's loser does.
        if has(Side::Losers) {
            return decided(Side::Losers, last(Side::Losers)?);
        }
        self.matches
            .iter()
            .find(|m| {
                m.bracket == Side::Winners && m.round == round && m.status != MatchStatus::Skipped
            })
            .and_then(|m| m.loser_id().map(str::to_string))
            .filter(|l| !self.disqualified.contains(l))
    }

    /// The ids of matches that differ from `before` (same wiring assumed).
    pub fn changed_since<'a>(&'a self, before: &Bracket) -> Vec<&'a Match> {
        let old: HashMap<&str, &Match> =
            before.matches.iter().map(|m| (m.id.as_str(), m)).collect();
        self.matches
            .iter()
            .filter(|m| old.get(m.id.as_str()) != Some(m))
            .collect()
    }
}

#[cfg(test)]
mod tests;
