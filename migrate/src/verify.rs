//! `gymit-migrate verify`: the legacy rows against what GymIT holds, both ways counted and
//! row by row, after the final sync (docs/migration.md). Every imported row's items are
//! planned exactly as `import` plans them and read back; a field that differs, or an item
//! that is missing, is a difference. Members who have logged in since the import have an
//! argon2id hash in place of their bcrypt one: that is not a difference.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use gymit_auth::store::account_items;
use gymit_shared::dynamo::Item;
use gymit_tournaments::store::TournamentsStore;
use gymit_users::store::profile_item;

use crate::{
    accounts::IMPORTED_VERSION,
    import::{plan, Options, Planned},
    tables::{key_of, Key, Tables},
    tournaments::IMPORTED_GEN,
    MigrateError,
};

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Per GymIT item kind: (expected, found).
    pub counts: BTreeMap<&'static str, (u64, u64)>,
    pub differences: Vec<String>,
}

/// The attributes compared on each kind of item (what a gym would notice).
const ACCOUNT: &[&str] = &[
    "email",
    "full_name",
    "role",
    "is_approved",
    "is_banned",
    "is_active",
    "is_root_admin",
    "created_at",
];
const ROOT_ADMIN: &[&str] = &["email", "role", "is_root_admin", "is_active", "is_banned"];
const LOGIN: &[&str] = &["user_id", "email"];
const PROFILE: &[&str] = &[
    "email",
    "full_name",
    "role",
    "is_approved",
    "is_banned",
    "is_active",
    "is_root_admin",
    "created_at",
];
const MEMBER: &[&str] = &["full_name", "active"];
const META: &[&str] = &[
    "name",
    "description",
    "start_date",
    "max_participants",
    "tournament_type",
    "status",
    "participant_count",
    "third_place_match",
    "grand_final",
    "created_by",
    "created_at",
    "bracket_gen",
];
const PARTICIPANT: &[&str] = &["name", "user_id", "position", "joined_at", "disqualified"];
const MATCH: &[&str] = &[
    "participant1_id",
    "participant2_id",
    "next_match_id",
    "next_loser_match_id",
    "reported",
    "result_winner",
    "result_score",
];

struct Expected {
    kind: &'static str,
    item: Item,
    fields: &'static [&'static str],
}

pub async fn verify(options: &Options) -> Result<Verdict, MigrateError> {
    let tables = Tables::from_env(None).await;
    let Planned {
        accounts,
        tournaments,
        ..
    } = plan(options, &tables).await?;
    let mut auth = Vec::new();
    let mut users = Vec::new();
    let mut tournament_items = Vec::new();
    for a in &accounts.imported {
        let [account, login] = account_items(&a.account)?;
        // The stack's own root admin keeps its records and takes only the legacy password.
        let (account_fields, profile_fields) = match a.is_stack_root_admin {
            true => (ROOT_ADMIN, ROOT_ADMIN),
            false => (ACCOUNT, PROFILE),
        };
        auth.push(Expected {
            kind: "accounts",
            item: account,
            fields: account_fields,
        });
        auth.push(Expected {
            kind: "login items",
            item: login,
            fields: LOGIN,
        });
        users.push(Expected {
            kind: "profiles",
            item: profile_item(&a.profile)?,
            fields: profile_fields,
        });
        if a.is_stack_root_admin {
            continue;
        }
        tournament_items.push(Expected {
            kind: "members",
            item: TournamentsStore::member_item(&a.profile.user, IMPORTED_VERSION),
            fields: MEMBER,
        });
    }
    for t in &tournaments {
        let started = t
            .started
            .as_ref()
            .map(|(bracket, results)| (IMPORTED_GEN, bracket, results.as_slice()));
        for item in TournamentsStore::imported_items(&t.meta, &t.roster, started)? {
            let sk = key_of(&item).1;
            let (kind, fields): (&'static str, &'static [&'static str]) = if sk == "META" {
                ("tournaments", META)
            } else if sk.starts_with("PARTICIPANT#") {
                ("participants", PARTICIPANT)
            } else if sk.starts_with("REG#") {
                ("registrations", &[])
            } else {
                ("matches", MATCH)
            };
            tournament_items.push(Expected { kind, item, fields });
        }
    }
    let mut verdict = Verdict::default();
    for (table, expected) in [
        (&tables.auth, auth),
        (&tables.users, users),
        (&tables.tournaments, tournament_items),
    ] {
        let found = table
            .existing(expected.iter().map(|e| key_of(&e.item)).collect())
            .await?;
        for e in expected {
            let key = key_of(&e.item);
            let counts = verdict.counts.entry(e.kind).or_default();
            counts.0 += 1;
            let Some(stored) = found.get(&key) else {
                verdict
                    .differences
                    .push(format!("{}: {} is missing", table.name, show(&key)));
                continue;
            };
            counts.1 += 1;
            for field in e.fields {
                let (want, got) = (e.item.get(*field), stored.get(*field));
                if !same(want, got) {
                    verdict.differences.push(format!(
                        "{}: {} {field}: the monolith has {}, GymIT has {}",
                        table.name,
                        show(&key),
                        value(want),
                        value(got)
                    ));
                }
            }
            if e.kind == "accounts" {
                let hash = |i: &Item| i.get("password_hash").and_then(|h| h.as_s().ok()).cloned();
                let (legacy, now) = (hash(&e.item), hash(stored));
                let upgraded = now.as_deref().is_some_and(|h| h.starts_with("$argon2"));
                if legacy != now && !upgraded {
                    verdict.differences.push(format!(
                        "{}: {} password_hash is neither the legacy one nor an argon2id upgrade",
                        table.name,
                        show(&key)
                    ));
                }
            }
        }
    }
    Ok(verdict)
}

fn show((pk, sk): &Key) -> String {
    format!("{pk}/{sk}")
}

fn same(a: Option<&AttributeValue>, b: Option<&AttributeValue>) -> bool {
    match (a, b) {
        (None | Some(AttributeValue::Null(_)), None | Some(AttributeValue::Null(_))) => true,
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn value(v: Option<&AttributeValue>) -> String {
    match v {
        None | Some(AttributeValue::Null(_)) => "nothing".into(),
        Some(AttributeValue::S(s)) => format!("{s:?}"),
        Some(AttributeValue::N(n)) => n.clone(),
        Some(AttributeValue::Bool(b)) => b.to_string(),
        Some(other) => format!("{other:?}"),
    }
}
