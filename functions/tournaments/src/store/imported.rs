//! The items of a tournament played elsewhere (`gymit-migrate`, LEGACY.md): the very items
//! this service writes when a tournament is created, joined, started and played here, so
//! an imported tournament is read, continued and corrected exactly like one of its own.
//! No outbox event goes with them: an import announces nothing (LEGACY.md "Nothing live").

use gymit_shared::dynamo::{n, s, Item, StoreError};

use super::{match_item, meta_item, participant_item, registration_item, Meta, TournamentsStore};
use crate::{bracket::Bracket, domain::Participant};

/// A result as the store records it on its match: `seq` is the tournament version it was
/// reported at, which orders the results when the bracket is rebuilt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedResult {
    pub seq: u64,
    pub match_id: String,
    /// `None`: a draw (round robin).
    pub winner: Option<String>,
    pub score: String,
}

impl TournamentsStore {
    /// Every item of one tournament's partition: META, each participant at its position
    /// key with the registration marker of each account, and, once started, the generated
    /// matches of generation `gen` (`bracket` as `generate` made it, before any result)
    /// with `results` recorded on them.
    pub fn imported_items(
        meta: &Meta,
        roster: &[(String, Participant)],
        started: Option<(&str, &Bracket, &[ImportedResult])>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = vec![meta_item(meta)?];
        for (position, p) in roster {
            items.push(participant_item(p, position)?);
            if let Some(user) = &p.user_id {
                items.push(registration_item(&p.tournament_id, user));
            }
        }
        if let Some((gen, bracket, results)) = started {
            for (order, m) in bracket.matches().iter().enumerate() {
                let mut item = match_item(&meta.tournament.id, gen, order, m)?;
                if let Some(r) = results.iter().find(|r| r.match_id == m.id) {
                    item.insert(
                        "reported".into(),
                        aws_sdk_dynamodb::types::AttributeValue::Bool(true),
                    );
                    item.insert("result_score".into(), s(&r.score));
                    item.insert("result_seq".into(), n(r.seq));
                    if let Some(w) = &r.winner {
                        item.insert("result_winner".into(), s(w));
                    }
                }
                items.push(item);
            }
        }
        Ok(items)
    }
}
