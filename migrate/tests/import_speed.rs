//! The import's measurement (docs/migration.md): a big gym — 10,000 users, 1,000
//! tournaments, about 30,000 matches — from a real PostgreSQL into a fresh local stack,
//! timed. Not part of `make test` (it measures, it does not decide); run it with
//!
//!     gymit-local test-env -- cargo test --workspace --test import_speed -- --nocapture
//!
//! `GYMIT_IMPORT_USERS` / `GYMIT_IMPORT_TOURNAMENTS` change the size.

mod support;

use std::{process::Command, time::Instant};

use serde_json::Value;
use support::{dataset::Dataset, postgres::Cluster};

fn size(var: &str, default: i64) -> i64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_big_gym_imports_whole_and_timed() {
    let users = size("GYMIT_IMPORT_USERS", 10_000);
    let tournaments = size("GYMIT_IMPORT_TOURNAMENTS", 1_000) as usize;
    let root_email = std::env::var("ROOT_ADMIN_EMAIL").expect("test-env sets ROOT_ADMIN_EMAIL");
    let pg = Cluster::start();
    let db = pg.database("biggym").await;
    let t0 = Instant::now();
    let data = Dataset::large(&root_email, users, tournaments);
    data.load(&db).await.expect("the dataset loads");
    eprintln!(
        "dataset: {} users, {} tournaments, {} participants, {} matches, generated and loaded in {:.1} s",
        data.users.len(),
        data.tournaments.len(),
        data.participants.len(),
        data.rows.len(),
        t0.elapsed().as_secs_f64()
    );
    let report =
        std::env::temp_dir().join(format!("gymit-import-speed-{}.json", std::process::id()));
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gymit-migrate"))
        .args(["import", "--database-url", &pg.url("biggym"), "--report"])
        .arg(&report)
        .output()
        .expect("gymit-migrate runs");
    let seconds = started.elapsed().as_secs_f64();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("the report")).expect("JSON");
    let rows = &report["rows"];
    let legacy_rows =
        data.users.len() + data.tournaments.len() + data.participants.len() + data.rows.len();
    let items: u64 = report["items_written"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    eprintln!("{text}");
    eprintln!(
        "import: {seconds:.1} s for {legacy_rows} legacy rows ({:.0} rows/s), {items} items ({:.0} items/s)",
        legacy_rows as f64 / seconds,
        items as f64 / seconds
    );
    // Every row arrives: the big gym has no awkward rows but its root admin.
    assert_eq!(rows["users"]["written"], data.users.len() as u64, "{rows}");
    assert_eq!(
        rows["tournaments"]["written"],
        data.tournaments.len() as u64,
        "{rows}"
    );
    assert_eq!(
        rows["participants"]["written"],
        data.participants.len() as u64,
        "{rows}"
    );
    assert_eq!(
        rows["brackets"]["written"],
        data.rows.len() as u64,
        "{rows}"
    );
}
