//! The only code that speaks DynamoDB for the tournaments table.
//!
//! One partition per tournament (`pk = TOURNAMENT#<id>`):
//! - `META`: the tournament, plus what only the service keeps (the bracket generation in
//!   use, the disqualified participants). Its `version` is the one optimistic lock of every
//!   change to the tournament: each write is one `TransactWriteItems` of the META put
//!   conditioned on the version it read, the items the change touches, and its outbox
//!   events. Capacity, one result per match and seeds without gaps all follow from it.
//! - `PARTICIPANT#<id>`: a participant and its `position` (the ordering key of its seed,
//!   see domain); `REG#<user_id>`: one per registered user, so a user joins once.
//! - `NEXT#<user_id>`: a waitlist entry (next in line) and its `position` (ordering key);
//!   the user's `REG#` marker is written with it, so nobody is both in the field and in
//!   line. `NEXT#` sorts right after `META`, so META and the whole line are one Query
//!   (`meta_and_line`, the sort keys `META` ..= `NEXT$`).
//! - `MATCH#<gen>#<match_id>`: the generated bracket of start attempt `gen`, and on each
//!   match the reported result (`reported`, `result_winner`, `result_score`, and
//!   `result_seq`: the tournament version it was reported at). Only results and
//!   disqualifications are stored: who advanced, byes and forfeits are rebuilt by replaying
//!   them in order on every read (`Bracket::from_log`), so they can never disagree.
//! - `STAGE#<gen>#<first order>`: the matches of a stage drawn during play (a Swiss round,
//!   a top cut, the playoff after the groups: `Write::DrawStage`), as drawn, in one item (a
//!   128-match round is ~40 KB), so the write that completes the stage before stays a
//!   handful of transaction items whatever the field size (DynamoDB allows 100). A result
//!   on one of its matches creates that match's `MATCH#<gen>#<match_id>` item, holding the
//!   result alone.
//!
//! Access patterns (round trips per route: README "Performance", asserted by
//! `tests/round_trips.rs`): a tournament, its roster and its bracket are one Query of the
//! partition (`load`), what needs only the tournament reads META alone (`meta`, one
//! GetItem), a join reads META with the joining member (`meta_with_member`, one
//! TransactGetItems) or, to insert at a seed, META and the roster
//! without the matches (`meta_and_roster`, one Query of the `sk` range `META` ..
//! `PARTICIPANT$`), then writes in one transaction. Listing newest `start_date` first is a Query of GSI `by_status`
//! (`status`, `start_key`) or, unfiltered, `by_start` (`list_pk`, `start_key`); only META
//! items carry `start_key`, so nothing else is indexed.
//!
//! Beside the tournaments, `MEMBER#<user id>` holds what the service knows of each user
//! (`members`: a projection of the user service's events).

use std::collections::BTreeSet;

use aws_sdk_dynamodb::{
    types::{
        AttributeValue, Delete, DeleteRequest, Get, Put, TransactGetItem, TransactWriteItem,
        Update, WriteRequest,
    },
    Client,
};
use gymit_shared::{
    batch::{batch_write_all, BatchError, RESEND_UNPROCESSED},
    dynamo::{from_item, n, query_all, s, to_item, transaction_error, Item, StoreError},
    events::{outbox_put, Event},
    retry::Policy,
};
use serde::{Deserialize, Serialize};

mod imported;
mod members;
pub use imported::ImportedResult;
pub use members::Member;

use crate::{
    bracket::{Bracket, Entry, Match},
    domain::{
        seeded,
        waitlist::{in_line, WaitlistEntry},
        Participant, ParticipantStatus, Status, Tournament, Write,
    },
};

/// Deleting an abandoned start's matches is best effort: four sends of what is unprocessed.
const CLEANUP: Policy = Policy::attempts(4, std::time::Duration::from_millis(20));

/// The stored tournament: the API's shape plus the service's own bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    #[serde(flatten)]
    pub tournament: Tournament,
    /// The start attempt whose matches are the bracket (`None` before the start).
    #[serde(default)]
    pub bracket_gen: Option<String>,
    #[serde(default)]
    pub disqualified: Vec<Disqualification>,
    /// The bulk adds that committed: a participant item written by a bulk add (`batch`)
    /// belongs to the roster only once its batch is listed here.
    #[serde(default)]
    pub bulk_batches: Vec<String>,
}

impl Meta {
    /// Whether a participant item belongs to the roster: written by a join, or by a bulk
    /// add that committed.
    fn confirms(&self, item: &Item) -> bool {
        match item.get("batch") {
            Some(AttributeValue::S(batch)) => self.bulk_batches.contains(batch),
            _ => true,
        }
    }
}

/// A disqualification and when it happened (the tournament version it was written at),
/// which places it among the results when the bracket is rebuilt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disqualification {
    pub participant_id: String,
    pub seq: u64,
}

/// Everything stored about one tournament, read in one Query.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub meta: Meta,
    /// In seed order, each with its position key.
    pub roster: Vec<(String, Participant)>,
    pub registered_users: BTreeSet<String>,
    /// The waitlist in line (positions 1..k).
    pub waitlist: Vec<WaitlistEntry>,
    /// The bracket of the current generation, rebuilt from its results.
    pub bracket: Option<Bracket>,
}

impl Loaded {
    pub fn tournament(&self) -> &Tournament {
        &self.meta.tournament
    }

    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.roster.iter().map(|(_, p)| p).find(|p| p.id == id)
    }

    pub fn participants(&self) -> impl Iterator<Item = &Participant> {
        self.roster.iter().map(|(_, p)| p)
    }

    /// The participants in the field: everyone but the no-shows of a check-in start.
    pub fn field(&self) -> impl Iterator<Item = &Participant> {
        self.participants()
            .filter(|p| p.status != ParticipantStatus::NoShow)
    }

    /// The participant (or else the waitlist entry) of user `user_id`.
    pub fn of_user(&self, user_id: &str) -> Option<Registered<'_>> {
        let mine = |u: &Option<String>| u.as_deref() == Some(user_id);
        self.participants()
            .find(|p| mine(&p.user_id))
            .map(Registered::Participant)
            .or_else(|| {
                self.waitlist
                    .iter()
                    .find(|e| e.user_id == user_id)
                    .map(Registered::Waitlisted)
            })
    }
}

/// Where a registered user stands: in the field or in line.
#[derive(Debug, Clone, Copy)]
pub enum Registered<'a> {
    Participant(&'a Participant),
    Waitlisted(&'a WaitlistEntry),
}

/// Why a join did not happen.
#[derive(Debug)]
pub enum JoinError {
    /// The tournament is full or no longer open (read it to say which).
    Closed,
    AlreadyRegistered,
    /// The user to add is not a known member, or is inactive or banned.
    UserUnavailable,
    /// A concurrent transaction on the same items (DynamoDB): try again.
    Conflict,
    Store(StoreError),
}

/// Why a commit did not happen.
#[derive(Debug)]
pub enum CommitError {
    /// Another write changed the tournament since it was read (or raced on an item):
    /// read again and decide again.
    Stale,
    Store(StoreError),
}

fn pk(id: &str) -> AttributeValue {
    s(format!("TOURNAMENT#{id}"))
}

fn key(id: &str, sk: String) -> Item {
    Item::from([("pk".to_string(), pk(id)), ("sk".to_string(), s(sk))])
}

/// The item of waitlist entry `e` at ordering key `position` (its position is computed on
/// read).
fn waitlist_item(e: &WaitlistEntry, position: &str) -> Result<Item, StoreError> {
    let mut item = to_item(e)?;
    item.remove("position");
    item.extend(key(&e.tournament_id, format!("NEXT#{}", e.user_id)));
    item.insert("kind".into(), s("waitlist_entry"));
    item.insert("line".into(), s(position));
    Ok(item)
}

/// A waitlist entry item and its ordering key.
fn lined(sk: &str, item: Item) -> Result<(String, WaitlistEntry), StoreError> {
    let line = match item.get("line") {
        Some(AttributeValue::S(p)) => p.clone(),
        _ => return Err(StoreError::Corrupt(format!("{sk} has no place in line"))),
    };
    Ok((line, from_item::<WaitlistEntry>(item)?))
}

/// A participant item and its position key.
fn positioned(sk: &str, item: Item) -> Result<(String, Participant), StoreError> {
    let position = match item.get("position") {
        Some(AttributeValue::S(p)) => p.clone(),
        _ => return Err(StoreError::Corrupt(format!("{sk} has no position"))),
    };
    let mut p = from_item::<Participant>(item)?;
    if p.disqualified {
        // Stored before participants had a status.
        p.set_status(ParticipantStatus::Disqualified);
    }
    Ok((position, p))
}

fn build<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Other(e.to_string()))
}

/// The sort key of the listing indexes: start date, then id (unique, stable).
pub fn start_key(t: &Tournament) -> String {
    format!("{}#{}", t.start_date, t.id)
}

fn meta_item(meta: &Meta) -> Result<Item, StoreError> {
    let mut item = to_item(meta)?;
    item.extend(key(&meta.tournament.id, "META".into()));
    item.insert("kind".into(), s("tournament"));
    item.insert("list_pk".into(), s("TOURNAMENT"));
    item.insert("start_key".into(), s(start_key(&meta.tournament)));
    Ok(item)
}

/// A participant's item at `position` (its seed is computed from the position when read).
fn participant_item(p: &Participant, position: &str) -> Result<Item, StoreError> {
    let mut item = to_item(p)?;
    item.remove("seed");
    item.extend(key(&p.tournament_id, format!("PARTICIPANT#{}", p.id)));
    item.insert("kind".into(), s("participant"));
    item.insert("position".into(), s(position));
    Ok(item)
}

/// The marker of `user_id`'s registration in a tournament.
fn registration_item(tournament_id: &str, user_id: &str) -> Item {
    let mut item = key(tournament_id, format!("REG#{user_id}"));
    item.insert("kind".into(), s("registration"));
    item
}

/// A generated match of start attempt `gen`, at `order` in the bracket, without a result
/// (results are recorded on it separately: `result_update`).
fn match_item(tournament_id: &str, gen: &str, order: usize, m: &Match) -> Result<Item, StoreError> {
    let mut item = to_item(m)?;
    item.extend(key(tournament_id, format!("MATCH#{gen}#{}", m.id)));
    item.insert("kind".into(), s("match"));
    item.insert("gen".into(), s(gen));
    item.insert("order".into(), n(order));
    item.remove("winner_id");
    item.remove("score");
    Ok(item)
}

/// The item of a stage drawn during play: `matches` as drawn, the first of them at
/// `first_order` in the bracket (results are recorded on `MATCH#` items of their own).
fn stage_item(
    tournament_id: &str,
    gen: &str,
    first_order: usize,
    matches: &[Match],
) -> Result<Item, StoreError> {
    let json = serde_json::to_string(matches).map_err(|e| StoreError::Other(e.to_string()))?;
    let mut item = key(tournament_id, format!("STAGE#{gen}#{first_order:06}"));
    item.insert("kind".into(), s("stage"));
    item.insert("matches".into(), s(json));
    Ok(item)
}

/// Filters and position of a listing page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<Status>,
}

impl ListFilter {
    /// Binds cursors to the filter they were made for.
    pub fn scope(&self) -> String {
        format!("tournaments:{:?}", self.status.map(Status::as_str))
    }
}

#[derive(Clone)]
pub struct TournamentsStore {
    db: Client,
    table: String,
}

impl TournamentsStore {
    pub fn new(db: Client, table: String) -> Self {
        Self { db, table }
    }

    pub fn db(&self) -> &Client {
        &self.db
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The tournament, its roster and its bracket: one (paginated) strongly consistent
    /// Query of the partition.
    pub async fn load(&self, id: &str) -> Result<Option<Loaded>, StoreError> {
        let items = query_all(
            self.db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", pk(id))
                .consistent_read(true),
        )
        .await?;
        let mut meta: Option<Meta> = None;
        let mut participant_items = Vec::new();
        let mut registered_users = BTreeSet::new();
        let mut line = Vec::new();
        let mut match_items: Vec<Item> = Vec::new();
        for item in items {
            let sk = match item.get("sk") {
                Some(AttributeValue::S(sk)) => sk.clone(),
                _ => continue,
            };
            if sk == "META" {
                meta = Some(from_item(item)?);
            } else if sk.starts_with("PARTICIPANT#") {
                participant_items.push((sk, item));
            } else if sk.starts_with("NEXT#") {
                line.push(lined(&sk, item)?);
            } else if let Some(user) = sk.strip_prefix("REG#") {
                registered_users.insert(user.to_string());
            } else if sk.starts_with("MATCH#") || sk.starts_with("STAGE#") {
                match_items.push(item);
            }
        }
        let Some(meta) = meta else { return Ok(None) };
        let roster = Self::roster_of(&meta, participant_items)?;
        let bracket = match &meta.bracket_gen {
            Some(gen) => Some(Self::bracket_of(gen, match_items, &meta)?),
            None => None,
        };
        Ok(Some(Loaded {
            meta,
            roster: seeded(roster),
            registered_users,
            waitlist: in_line(line).into_iter().map(|(_, e)| e).collect(),
            bracket,
        }))
    }

    /// The participants of `items` that belong to the roster (see `Meta::confirms`).
    fn roster_of(
        meta: &Meta,
        items: Vec<(String, Item)>,
    ) -> Result<Vec<(String, Participant)>, StoreError> {
        items
            .into_iter()
            .filter(|(_, item)| meta.confirms(item))
            .map(|(sk, item)| positioned(&sk, item))
            .collect()
    }

    fn bracket_of(gen: &str, items: Vec<Item>, meta: &Meta) -> Result<Bracket, StoreError> {
        let mut matches: Vec<(usize, Match)> = Vec::new();
        let mut log: Vec<(u64, Entry)> = Vec::new();
        for item in items {
            let Some(AttributeValue::S(sk)) = item.get("sk") else {
                continue;
            };
            // MATCH#<gen>#<match id> or STAGE#<gen>#<first order>
            let mut parts = sk.splitn(3, '#');
            let (prefix, item_gen, rest) = (parts.next(), parts.next(), parts.next());
            if item_gen != Some(gen) {
                continue; // a start attempt that lost
            }
            if prefix == Some("STAGE") {
                matches.extend(Self::stage_of(sk, rest, &item)?);
                continue;
            }
            let match_id = rest.unwrap_or_default().to_string();
            let number = |k: &str| match item.get(k) {
                Some(AttributeValue::N(v)) => v.parse::<u64>().ok(),
                _ => None,
            };
            let order = number("order").unwrap_or(u64::MAX);
            let seq = number("result_seq");
            let reported = matches!(item.get("reported"), Some(AttributeValue::Bool(true)));
            let winner = match item.get("result_winner") {
                Some(AttributeValue::S(w)) => Some(w.clone()),
                _ => None,
            };
            let score = match item.get("result_score") {
                Some(AttributeValue::S(sc)) => sc.clone(),
                _ => String::new(),
            };
            if reported {
                log.push((
                    seq.unwrap_or(0),
                    Entry::Result {
                        match_id,
                        winner,
                        score,
                    },
                ));
            }
            // A drawn stage's match item holds only its result: the match is in the stage.
            if matches!(item.get("kind"), Some(AttributeValue::S(k)) if k == "match") {
                matches.push((order as usize, from_item(item)?));
            }
        }
        matches.sort_by_key(|(order, _)| *order);
        let matches = matches.into_iter().map(|(_, m)| m).collect();
        log.extend(
            meta.disqualified
                .iter()
                .map(|d| (d.seq, Entry::Disqualified(d.participant_id.clone()))),
        );
        log.sort_by_key(|(seq, _)| *seq);
        Ok(Bracket::from_log(
            matches,
            log.into_iter().map(|(_, e)| e).collect(),
        ))
    }

    /// The matches of a `STAGE#` item, each with its order in the bracket.
    fn stage_of(
        sk: &str,
        first_order: Option<&str>,
        item: &Item,
    ) -> Result<Vec<(usize, Match)>, StoreError> {
        let first = first_order
            .and_then(|r| r.parse::<usize>().ok())
            .ok_or_else(|| StoreError::Corrupt(format!("{sk} has no order")))?;
        let drawn: Vec<Match> = match item.get("matches") {
            Some(AttributeValue::S(json)) => {
                serde_json::from_str(json).map_err(|e| StoreError::Corrupt(format!("{sk}: {e}")))?
            }
            _ => return Err(StoreError::Corrupt(format!("{sk} has no matches"))),
        };
        Ok(drawn
            .into_iter()
            .enumerate()
            .map(|(i, m)| (first + i, m))
            .collect())
    }

    /// Just the tournament (one GetItem).
    pub async fn get(&self, id: &str) -> Result<Option<Tournament>, StoreError> {
        Ok(self.meta(id).await?.map(|m| m.tournament))
    }

    /// The stored META (one strongly consistent GetItem): for the changes that need
    /// nothing else of the partition.
    pub async fn meta(&self, id: &str) -> Result<Option<Meta>, StoreError> {
        let out = self
            .db
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id, "META".into())))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        out.item.map(from_item::<Meta>).transpose()
    }

    /// META and, in the same round trip, what the service knows of member `user_id` and
    /// whether they are registered (in the field or in line): one TransactGetItems, all
    /// read as of the same moment.
    pub async fn meta_with_member(
        &self,
        id: &str,
        user_id: &str,
    ) -> Result<(Option<Meta>, Option<Member>, bool), StoreError> {
        let registration_get = build(
            Get::builder()
                .table_name(&self.table)
                .set_key(Some(key(id, format!("REG#{user_id}"))))
                .projection_expression("pk")
                .build(),
        )?;
        let meta_get = build(
            Get::builder()
                .table_name(&self.table)
                .set_key(Some(key(id, "META".into())))
                .build(),
        )?;
        let out = self
            .db
            .transact_get_items()
            .transact_items(TransactGetItem::builder().get(meta_get).build())
            .transact_items(
                TransactGetItem::builder()
                    .get(self.member_get(user_id)?)
                    .build(),
            )
            .transact_items(TransactGetItem::builder().get(registration_get).build())
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut responses = out.responses.unwrap_or_default().into_iter();
        let meta = responses
            .next()
            .and_then(|r| r.item)
            .map(from_item::<Meta>)
            .transpose()?;
        let member = responses
            .next()
            .and_then(|r| r.item)
            .as_ref()
            .map(Member::from_item);
        let registered = responses.next().and_then(|r| r.item).is_some();
        Ok((meta, member, registered))
    }

    /// META and the roster in seed order, without the matches (one strongly consistent
    /// Query of the sort keys `META` ..= `PARTICIPANT$`: `MATCH#` sorts before `META`,
    /// `REG#` after every `PARTICIPANT#`).
    pub async fn meta_and_roster(
        &self,
        id: &str,
    ) -> Result<Option<(Meta, Vec<(String, Participant)>)>, StoreError> {
        let items = self.sort_key_range(id, "META", "PARTICIPANT$").await?;
        let mut meta: Option<Meta> = None;
        let mut participant_items = Vec::new();
        for item in items {
            match item.get("sk") {
                Some(AttributeValue::S(sk)) if sk == "META" => meta = Some(from_item(item)?),
                Some(AttributeValue::S(sk)) if sk.starts_with("PARTICIPANT#") => {
                    participant_items.push((sk.clone(), item));
                }
                _ => {}
            }
        }
        let Some(meta) = meta else { return Ok(None) };
        let roster = Self::roster_of(&meta, participant_items)?;
        Ok(Some((meta, seeded(roster))))
    }

    /// Every item of tournament `id` whose sort key lies in `from ..= to` (one strongly
    /// consistent Query, every page).
    async fn sort_key_range(
        &self,
        id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<Item>, StoreError> {
        query_all(
            self.db
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", pk(id))
                .expression_attribute_values(":from", s(from))
                .expression_attribute_values(":to", s(to))
                .consistent_read(true),
        )
        .await
    }

    /// META and the waitlist in line (one strongly consistent Query of the sort keys
    /// `META` ..= `NEXT$`): for the changes of the waitlist and of capacity.
    pub async fn meta_and_line(
        &self,
        id: &str,
    ) -> Result<Option<(Meta, Vec<WaitlistEntry>)>, StoreError> {
        let items = self.sort_key_range(id, "META", "NEXT$").await?;
        let mut meta = None;
        let mut line = Vec::new();
        for item in items {
            match item.get("sk") {
                Some(AttributeValue::S(sk)) if sk == "META" => meta = Some(from_item(item)?),
                Some(AttributeValue::S(sk)) if sk.starts_with("NEXT#") => {
                    let sk = sk.clone();
                    line.push(lined(&sk, item)?);
                }
                _ => {}
            }
        }
        let line = in_line(line).into_iter().map(|(_, e)| e).collect();
        Ok(meta.map(|m| (m, line)))
    }

    /// Writes the generated matches of start attempt `gen`. They are not the bracket until
    /// a commit sets `bracket_gen` to `gen`; a start that loses leaves them unread.
    pub async fn put_matches(
        &self,
        tournament_id: &str,
        gen: &str,
        bracket: &Bracket,
    ) -> Result<(), StoreError> {
        let items = bracket
            .matches()
            .iter()
            .enumerate()
            .map(|(order, m)| match_item(tournament_id, gen, order, m))
            .collect::<Result<Vec<_>, _>>()?;
        self.put_all(items).await
    }

    /// Puts `items` outside any transaction, 25 to a BatchWriteItem, resending what
    /// DynamoDB leaves unprocessed.
    async fn put_all(&self, items: Vec<Item>) -> Result<(), StoreError> {
        let mut requests = Vec::with_capacity(items.len());
        for item in items {
            let put = build(
                aws_sdk_dynamodb::types::PutRequest::builder()
                    .set_item(Some(item))
                    .build(),
            )?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        Ok(batch_write_all(&self.db, &self.table, requests, &RESEND_UNPROCESSED).await?)
    }

    /// Writes participants (each with its position key) outside any transaction, in
    /// batches: for loading a roster whose count a later commit sets (tests, migrations).
    pub async fn put_participants(
        &self,
        roster: &[(Participant, String)],
    ) -> Result<(), StoreError> {
        let items = roster
            .iter()
            .map(|(p, position)| participant_item(p, position))
            .collect::<Result<Vec<_>, _>>()?;
        self.put_all(items).await
    }

    /// Writes the participants of bulk add `batch` outside any transaction, in batches:
    /// they belong to the roster once a commit lists `batch` in `bulk_batches`.
    pub async fn put_bulk(
        &self,
        batch: &str,
        roster: &[(Participant, String)],
    ) -> Result<(), StoreError> {
        let items = roster
            .iter()
            .map(|(p, position)| {
                let mut item = participant_item(p, position)?;
                item.insert("batch".into(), s(batch));
                Ok(item)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.put_all(items).await
    }

    /// Deletes the participants of a bulk add whose commit lost (best effort, as
    /// `delete_matches`).
    pub async fn delete_bulk(&self, roster: &[(Participant, String)]) -> Result<(), StoreError> {
        let mut requests = Vec::new();
        for (p, _) in roster {
            let delete = build(
                DeleteRequest::builder()
                    .set_key(Some(key(&p.tournament_id, format!("PARTICIPANT#{}", p.id))))
                    .build(),
            )?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        match batch_write_all(&self.db, &self.table, requests, &CLEANUP).await {
            Ok(()) | Err(BatchError::Unprocessed(_)) => Ok(()),
            Err(BatchError::Store(e)) => Err(e),
        }
    }

    /// Deletes the matches of start attempt `gen` that lost its commit, so an abandoned
    /// generation does not stay in the partition (and in every later read of it). Best
    /// effort: what DynamoDB leaves unprocessed stays, unread, as before.
    pub async fn delete_matches(
        &self,
        tournament_id: &str,
        gen: &str,
        bracket: &Bracket,
    ) -> Result<(), StoreError> {
        let mut requests = Vec::new();
        for m in bracket.matches() {
            let delete = build(
                DeleteRequest::builder()
                    .set_key(Some(key(tournament_id, format!("MATCH#{gen}#{}", m.id))))
                    .build(),
            )?;
            requests.push(WriteRequest::builder().delete_request(delete).build());
        }
        match batch_write_all(&self.db, &self.table, requests, &CLEANUP).await {
            Ok(()) | Err(BatchError::Unprocessed(_)) => Ok(()),
            Err(BatchError::Store(e)) => Err(e),
        }
    }

    /// Writes `meta` (whose version is already the new one) if the stored version is still
    /// `read_version` (`None`: it must not exist), with the change's `writes` and `events`,
    /// atomically.
    pub async fn commit(
        &self,
        meta: &Meta,
        read_version: Option<u64>,
        writes: &[Write],
        events: &[Event],
    ) -> Result<(), CommitError> {
        let store = |e: StoreError| CommitError::Store(e);
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(meta_item(meta).map_err(store)?));
        put = match read_version {
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
            None => put.condition_expression("attribute_not_exists(pk)"),
        };
        let mut tx = self.db.transact_write_items().transact_items(
            TransactWriteItem::builder()
                .put(build(put.build()).map_err(store)?)
                .build(),
        );
        for write in writes {
            for item in self.write_items(meta, write).map_err(store)? {
                tx = tx.transact_items(item);
            }
        }
        for event in events {
            tx = tx.transact_items(outbox_put(&self.table, event));
        }
        match tx.send().await.map_err(transaction_error) {
            Ok(_) => Ok(()),
            Err(StoreError::TransactionCancelled(reasons))
                if reasons
                    .iter()
                    .any(|r| r == "ConditionalCheckFailed" || r == "TransactionConflict") =>
            {
                Err(CommitError::Stale)
            }
            Err(e) => Err(CommitError::Store(e)),
        }
    }

    /// The transaction items of one domain write in the tournament `meta` describes.
    fn write_items(
        &self,
        meta: &Meta,
        write: &Write,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let id = &meta.tournament.id;
        let gen = || {
            meta.bracket_gen
                .as_deref()
                .ok_or_else(|| StoreError::Other("a match write before the start".into()))
        };
        Ok(match write {
            Write::PutParticipant {
                participant,
                position,
            } => {
                let mut items = vec![self.participant_put(participant, position)?];
                if let Some(u) = &participant.user_id {
                    items.push(self.registration_put(id, u)?);
                }
                items
            }
            Write::RemoveParticipant(p) => self.participant_delete(p)?,
            Write::DisqualifyParticipant { participant_id } => {
                vec![self.participant_set(
                    id,
                    participant_id,
                    &[
                        ("disqualified", AttributeValue::Bool(true)),
                        ("status", s("disqualified")),
                    ],
                )?]
            }
            Write::DropParticipant { participant_id } => {
                vec![self.participant_set(id, participant_id, &[("status", s("dropped"))])?]
            }
            Write::RegisterUsers { user_ids } => user_ids
                .iter()
                .map(|u| self.registration_put(id, u))
                .collect::<Result<_, _>>()?,
            Write::MarkNoShow { participant_id } => {
                vec![self.participant_set(id, participant_id, &[("status", s("no_show"))])?]
            }
            Write::CheckInParticipant { participant_id, at } => {
                vec![self.participant_set(id, participant_id, &[("checked_in_at", s(at))])?]
            }
            Write::PutWaitlistEntry { entry, position } => vec![
                self.put_new(waitlist_item(entry, position)?)?,
                self.registration_put(id, &entry.user_id)?,
            ],
            Write::CheckInWaitlisted { user_id, at } => {
                vec![self.item_set(
                    key(id, format!("NEXT#{user_id}")),
                    &[("checked_in_at", s(at))],
                )?]
            }
            Write::RemoveWaitlistEntry { user_id } => vec![
                self.delete_existing(key(id, format!("NEXT#{user_id}")))?,
                self.delete_existing(key(id, format!("REG#{user_id}")))?,
            ],
            Write::PromoteFromWaitlist {
                user_id,
                participant,
                position,
            } => vec![
                self.delete_existing(key(id, format!("NEXT#{user_id}")))?,
                self.participant_put(participant, position)?,
            ],
            Write::RecordResult {
                match_id,
                winner,
                score,
                seq,
            } => vec![self.result_update(
                id,
                gen()?,
                match_id,
                winner.as_deref(),
                score,
                Some(*seq),
            )?],
            Write::CorrectResult {
                match_id,
                winner,
                score,
            } => vec![self.result_update(id, gen()?, match_id, winner.as_deref(), score, None)?],
            Write::DrawStage {
                first_order,
                matches,
            } => vec![self.put_new(stage_item(id, gen()?, *first_order, matches)?)?],
        })
    }

    /// The put of a participant, which must not exist yet.
    fn participant_put(
        &self,
        p: &Participant,
        position: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        self.put_new(participant_item(p, position)?)
    }

    /// The put of an item that must not exist yet.
    fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = build(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Marks `user_id` as registered in the tournament; fails if they already are.
    fn registration_put(
        &self,
        tournament_id: &str,
        user_id: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        self.put_new(registration_item(tournament_id, user_id))
    }

    /// Removes a participant (and their registration, when they are a user).
    fn participant_delete(&self, p: &Participant) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut out = Vec::new();
        let mut keys = vec![key(&p.tournament_id, format!("PARTICIPANT#{}", p.id))];
        if let Some(u) = &p.user_id {
            keys.push(key(&p.tournament_id, format!("REG#{u}")));
        }
        for k in keys {
            out.push(self.delete_existing(k)?);
        }
        Ok(out)
    }

    /// The delete of an item that must exist.
    fn delete_existing(&self, k: Item) -> Result<TransactWriteItem, StoreError> {
        let delete = build(
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(k))
                .condition_expression("attribute_exists(pk)")
                .build(),
        )?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// Sets `fields` (attribute, value) on an existing participant's item.
    fn participant_set(
        &self,
        tournament_id: &str,
        participant_id: &str,
        fields: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem, StoreError> {
        self.item_set(
            key(tournament_id, format!("PARTICIPANT#{participant_id}")),
            fields,
        )
    }

    /// Sets `fields` (attribute, value) on the existing item at `k`.
    fn item_set(
        &self,
        k: Item,
        fields: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(k))
            .condition_expression("attribute_exists(pk)");
        let mut set = Vec::new();
        for (i, (name, value)) in fields.iter().enumerate() {
            set.push(format!("#f{i} = :f{i}"));
            update = update
                .expression_attribute_names(format!("#f{i}"), *name)
                .expression_attribute_values(format!(":f{i}"), value.clone());
        }
        let update = update.update_expression(format!("SET {}", set.join(", ")));
        Ok(TransactWriteItem::builder()
            .update(build(update.build())?)
            .build())
    }

    /// Records a result on a match of generation `gen`: a first report (at tournament
    /// version `seq`) requires that none was recorded; a correction requires that one was,
    /// and keeps its place in the order.
    fn result_update(
        &self,
        tournament_id: &str,
        gen: &str,
        match_id: &str,
        winner: Option<&str>,
        score: &str,
        seq: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut set = vec!["reported = :t", "result_score = :score"];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(tournament_id, format!("MATCH#{gen}#{match_id}"))))
            // A first result may create the item: a match of a drawn stage lives in its
            // stage item (the engine has checked that the match exists).
            .condition_expression(match seq {
                Some(_) => "attribute_not_exists(reported)",
                None => "attribute_exists(pk) AND reported = :t",
            })
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .expression_attribute_values(":score", s(score));
        if let Some(seq) = seq {
            set.push("result_seq = :seq");
            update = update.expression_attribute_values(":seq", n(seq));
        }
        let expression = match winner {
            Some(w) => {
                set.push("result_winner = :w");
                update = update.expression_attribute_values(":w", s(w));
                format!("SET {}", set.join(", "))
            }
            None => format!("SET {} REMOVE result_winner", set.join(", ")),
        };
        let update = build(update.update_expression(expression).build())?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Adds a participant: the count goes up by one only while the tournament is open and
    /// not full, and the participant, the user's registration marker and the event are
    /// written with it, atomically. Joins do not read-and-check a version, so a rush of them
    /// does not retry; they bump the version so that a start or an edit in flight notices.
    ///
    /// `check_member`: the added user must be a known, active member (`members`), checked
    /// in the same transaction, so it costs no read.
    pub async fn join(
        &self,
        participant: &Participant,
        position: &str,
        event: &Event,
        check_member: bool,
    ) -> Result<(), JoinError> {
        let store = JoinError::Store;
        let id = &participant.tournament_id;
        let update = build(
            Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(id, "META".into())))
                .update_expression(
                    "SET participant_count = participant_count + :one, version = version + :one, updated_at = :now",
                )
                // Nobody joins the field past a waitlist: places that free up go to the
                // line in the write that frees them, so a line means a full field.
                .condition_expression(
                    "attribute_exists(pk) AND #s = :open AND participant_count < max_participants \
                     AND (attribute_not_exists(waitlist_count) OR waitlist_count = :zero)",
                )
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":open", s(Status::RegistrationOpen.as_str()))
                .expression_attribute_values(":now", s(gymit_shared::time::now_rfc3339()))
                .build(),
        )
        .map_err(store)?;
        let mut tx = self
            .db
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(self.participant_put(participant, position).map_err(store)?);
        if let Some(u) = &participant.user_id {
            tx = tx.transact_items(self.registration_put(id, u).map_err(store)?);
        }
        let check_at = 2 + usize::from(participant.user_id.is_some());
        let checked = check_member && participant.user_id.is_some();
        if let (true, Some(u)) = (checked, &participant.user_id) {
            tx = tx.transact_items(self.member_active_check(u).map_err(store)?);
        }
        tx = tx.transact_items(outbox_put(&self.table, event));
        match tx.send().await.map_err(transaction_error) {
            Ok(_) => Ok(()),
            Err(StoreError::TransactionCancelled(reasons)) => {
                let failed =
                    |i: usize| reasons.get(i).map(String::as_str) == Some("ConditionalCheckFailed");
                if checked && failed(check_at) {
                    Err(JoinError::UserUnavailable)
                } else if participant.user_id.is_some() && failed(2) {
                    Err(JoinError::AlreadyRegistered)
                } else if failed(0) {
                    Err(JoinError::Closed)
                } else {
                    Err(JoinError::Conflict)
                }
            }
            Err(e) => Err(JoinError::Store(e)),
        }
    }

    /// One page of tournaments, newest start date first, and the key after it.
    pub async fn list(
        &self,
        filter: &ListFilter,
        limit: usize,
        start: Option<Item>,
    ) -> Result<(Vec<Tournament>, Option<Item>), StoreError> {
        let mut q = self
            .db
            .query()
            .table_name(&self.table)
            .scan_index_forward(false)
            .limit(limit as i32)
            .set_exclusive_start_key(start);
        q = match filter.status {
            Some(st) => q
                .index_name("by_status")
                .key_condition_expression("#s = :s")
                .expression_attribute_names("#s", "status")
                .expression_attribute_values(":s", s(st.as_str())),
            None => q
                .index_name("by_start")
                .key_condition_expression("list_pk = :p")
                .expression_attribute_values(":p", s("TOURNAMENT")),
        };
        let out = q.send().await.map_err(StoreError::from_sdk)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<Meta>(item).map(|m| m.tournament))
            .collect::<Result<Vec<_>, _>>()?;
        let last = out.last_evaluated_key.filter(|k| !k.is_empty());
        Ok((items, last))
    }
}
