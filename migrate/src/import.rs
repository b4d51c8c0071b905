//! `gymit-migrate import`: read the monolith, plan every item (`accounts`, `tournaments`),
//! learn what GymIT already holds, and write what is missing (or, with `--since`, what
//! changed in the monolith since then).
//!
//! Idempotent and resumable: ids are UUID v5 of the legacy rows, an item already there is
//! left alone, and the writes go in an order that never shows a half-imported row to a
//! reader — profiles and members before the account that can log in, a tournament's
//! participants and matches before its META (which makes it exist). An interrupted run is
//! finished by running it again.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use gymit_auth::{
    domain::Account,
    store::{account_items, AuthStore},
};
use gymit_shared::dynamo::{from_item, n, Item, StoreError};
use gymit_tournaments::store::TournamentsStore;
use gymit_users::store::profile_item;

use crate::{
    accounts::{plan_accounts, Accounts, RootAdmin, IMPORTED_VERSION},
    legacy::{self, Legacy},
    progress::Progress,
    report::Report,
    tables::{key_of, Key, Table, Tables, Write},
    tournaments::{plan_tournaments, ImportedTournament, IMPORTED_GEN},
    MigrateError,
};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub database_url: String,
    pub dry_run: bool,
    pub since: Option<DateTime<Utc>>,
    pub max_writes_per_second: Option<u32>,
    /// The stack's `RootAdminEmail` (`ROOT_ADMIN_EMAIL` by default).
    pub root_admin_email: Option<String>,
}

/// Everything the import would write, planned from the legacy rows.
pub struct Planned {
    pub accounts: Accounts,
    pub tournaments: Vec<ImportedTournament>,
    pub report: Report,
}

/// Reads the monolith and plans every item; the stack's root admin is looked up first.
pub async fn plan(options: &Options, tables: &Tables) -> Result<Planned, MigrateError> {
    let mut client = legacy::connect(&options.database_url).await?;
    let legacy: Legacy = legacy::read(&mut client).await?;
    let mut root = RootAdmin {
        email: options.root_admin_email.clone(),
        existing: None,
    };
    if let Some(email) = &options.root_admin_email {
        let auth = AuthStore::new(tables.auth.db.clone(), tables.auth.name.clone());
        let email = gymit_shared::validate::normalise_email(email);
        if let Some(a) = auth.account_by_email(&email).await? {
            if a.is_root_admin {
                root.existing = Some((a.id, a.password_hash));
            }
        }
    }
    let mut report = Report::default();
    let accounts = plan_accounts(&legacy.users, &root, &mut report);
    let tournaments = plan_tournaments(&legacy, &accounts, &mut report);
    Ok(Planned {
        accounts,
        tournaments,
        report,
    })
}

/// The writes for one table, in the order they must land.
#[derive(Default)]
struct Writes {
    users: Vec<Write>,
    members: Vec<Write>,
    auth: Vec<Write>,
    tournament_items: Vec<Write>,
    metas: Vec<Write>,
}

pub async fn import(options: &Options) -> Result<Report, MigrateError> {
    let started = std::time::Instant::now();
    let tables = Tables::from_env(options.max_writes_per_second).await;
    let Planned {
        accounts,
        tournaments,
        mut report,
    } = plan(options, &tables).await?;
    report.dry_run = options.dry_run;
    report.since = options.since.map(gymit_shared::time::rfc3339);
    let newer = |at: &DateTime<Utc>| options.since.is_none_or(|since| *at > since);
    let mut writes = Writes::default();
    let mut root_password = None;

    // ---- accounts: auth items, profile, member
    let candidates: Vec<_> = accounts
        .imported
        .iter()
        .filter(|a| newer(&a.updated_at))
        .collect();
    let mut planned_items = Vec::new();
    for a in &candidates {
        let [account, login] = account_items(&a.account)?;
        let profile = profile_item(&a.profile)?;
        let member = TournamentsStore::member_item(&a.profile.user, IMPORTED_VERSION);
        planned_items.push((account, login, profile, member));
    }
    let auth_found = tables
        .auth
        .existing(
            planned_items
                .iter()
                .flat_map(|(a, l, _, _)| [key_of(a), key_of(l)])
                .collect(),
        )
        .await?;
    let users_found = tables
        .users
        .existing(planned_items.iter().map(|(_, _, p, _)| key_of(p)).collect())
        .await?;
    let mut tournament_keys: Vec<Key> =
        planned_items.iter().map(|(_, _, _, m)| key_of(m)).collect();
    let tournament_candidates: Vec<_> = tournaments
        .iter()
        .filter(|t| newer(&t.changed_at))
        .collect();
    tournament_keys.extend(tournament_candidates.iter().map(|t| {
        (
            format!("TOURNAMENT#{}", t.meta.tournament.id),
            "META".to_string(),
        )
    }));
    let tournaments_found = tables.tournaments.existing(tournament_keys).await?;

    let mut written_users = 0;
    for (a, (account, login, profile, member)) in candidates.iter().zip(planned_items) {
        let stored_login = auth_found.get(&key_of(&login));
        let owner = stored_login
            .and_then(|l| l.get("user_id"))
            .and_then(|v| v.as_s().ok());
        if owner.is_some_and(|o| *o != a.account.id) {
            report.skip(
                "users",
                a.legacy_id,
                "its email is already registered in GymIT by another account",
            );
            continue;
        }
        let stored_account = auth_found.get(&key_of(&account));
        if a.is_stack_root_admin {
            // The stack's own root admin keeps its records (profile and member included);
            // it only takes the legacy password, once: a password set since, by anyone,
            // stays.
            if let Some(stored) = stored_account {
                let stored: Account = from_item(stored.clone())?;
                let untouched = stored.tokens_valid_after_ms == 0;
                if untouched && stored.password_hash != a.account.password_hash {
                    root_password = Some(stored);
                    written_users += 1;
                }
            }
            continue;
        }
        let before = writes.users.len() + writes.members.len() + writes.auth.len();
        let put = |found: bool, item: Item, into: &mut Vec<Write>| {
            if !found || options.since.is_some() {
                into.push(Write::Put(item));
            }
        };
        put(
            users_found.contains_key(&key_of(&profile)),
            profile,
            &mut writes.users,
        );
        put(
            tournaments_found.contains_key(&key_of(&member)),
            member,
            &mut writes.members,
        );
        let (mut account, mut login) = (account, login);
        if options.since.is_some() {
            // A password already upgraded to argon2id at a GymIT login stays.
            if let Some(hash) = stored_account
                .and_then(|s| s.get("password_hash"))
                .filter(|h| h.as_s().is_ok_and(|h| h.starts_with("$argon2")))
            {
                account.insert("password_hash".into(), hash.clone());
                login.insert("password_hash".into(), hash.clone());
            }
            // A changed email leaves its old login item behind: removed.
            if let Some(old) = stored_account
                .and_then(|s| s.get("email"))
                .and_then(|e| e.as_s().ok())
            {
                if *old != a.account.email {
                    writes
                        .auth
                        .push(Write::Delete((format!("EMAIL#{old}"), "EMAIL".into())));
                }
            }
        }
        put(stored_account.is_some(), account, &mut writes.auth);
        put(stored_login.is_some(), login, &mut writes.auth);
        if writes.users.len() + writes.members.len() + writes.auth.len() > before {
            written_users += 1;
        }
    }
    let skipped = report.skipped("users");
    let rows = report.rows("users");
    rows.written = written_users;
    rows.skipped = skipped;
    rows.unchanged = rows.read - skipped - written_users;

    // ---- tournaments
    let (mut written_t, mut written_p, mut written_m) = (0, 0, 0);
    for t in tournament_candidates {
        let id = &t.meta.tournament.id;
        let stored_meta = tournaments_found.get(&(format!("TOURNAMENT#{id}"), "META".to_string()));
        let replacing = match stored_meta {
            None => false,
            Some(_) if options.since.is_none() => continue,
            Some(stored) => {
                let number = |k: &str| stored.get(k).and_then(|v| v.as_n().ok()).cloned();
                if number("imported_version").is_none()
                    || number("imported_version") != number("version")
                {
                    report.skip(
                        "tournaments",
                        t.legacy_id,
                        "changed in GymIT since it was imported: left as it is",
                    );
                    continue;
                }
                true
            }
        };
        let started = t
            .started
            .as_ref()
            .map(|(bracket, results)| (IMPORTED_GEN, bracket, results.as_slice()));
        let mut items = TournamentsStore::imported_items(&t.meta, &t.roster, started)?;
        if let Some(meta) = items.first_mut() {
            meta.insert("legacy_id".into(), n(t.legacy_id));
            meta.insert("imported_version".into(), n(t.meta.tournament.version));
        }
        if replacing {
            let keep: HashSet<Key> = items.iter().map(key_of).collect();
            for old in tables
                .tournaments
                .partition_keys(&format!("TOURNAMENT#{id}"))
                .await?
            {
                if !keep.contains(&old) {
                    writes.tournament_items.push(Write::Delete(old));
                }
            }
        }
        let mut items = items.into_iter();
        if let Some(meta) = items.next() {
            writes.metas.push(Write::Put(meta));
        }
        writes.tournament_items.extend(items.map(Write::Put));
        written_t += 1;
        written_p += t.roster.len() as u64;
        written_m += t.match_rows;
    }
    let skipped = report.skipped("tournaments");
    for (table, written) in [
        ("tournaments", written_t),
        ("participants", written_p),
        ("brackets", written_m),
    ] {
        let rows = report.rows(table);
        rows.written = written;
        if table == "tournaments" {
            rows.skipped = skipped;
        }
        // Rows of tournaments already imported (and, for brackets, rows of tournaments
        // never started, which have no bracket to import).
        rows.unchanged = rows.read.saturating_sub(rows.skipped + written);
    }

    // ---- write, in the order that never shows half a row
    let progress = Progress::new();
    let phases: [(&Table, Vec<Write>, &str); 5] = [
        (&tables.users, writes.users, "profiles"),
        (&tables.tournaments, writes.members, "members"),
        (&tables.auth, writes.auth, "accounts"),
        (
            &tables.tournaments,
            writes.tournament_items,
            "tournament items",
        ),
        (&tables.tournaments, writes.metas, "tournaments"),
    ];
    for (table, phase, label) in phases {
        let count = phase.len() as u64;
        *report.items_written.entry(table.variable).or_default() += count;
        if options.dry_run || phase.is_empty() {
            continue;
        }
        let bar = progress.table(&format!("{label} ({})", table.name), count);
        table.write(phase, &bar).await?;
        bar.finish();
    }
    // The root admin's password is one conditional update, not a batch write.
    if let Some(stored) = root_password {
        *report
            .items_written
            .entry(tables.auth.variable)
            .or_default() += 2;
        if !options.dry_run {
            let auth = AuthStore::new(tables.auth.db.clone(), tables.auth.name.clone());
            let legacy_hash = accounts
                .imported
                .iter()
                .find(|a| a.is_stack_root_admin)
                .map(|a| a.account.password_hash.clone())
                .unwrap_or_default();
            let now = Utc::now();
            if !auth
                .set_password(
                    &stored,
                    &legacy_hash,
                    now.timestamp_millis(),
                    &gymit_shared::time::rfc3339(now),
                    &gymit_auth::store::FailuresCleared::across_addresses(),
                )
                .await?
            {
                return Err(MigrateError::Store(StoreError::Other(
                    "the root admin vanished while its legacy password was set".into(),
                )));
            }
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
