//! The monolith's PostgreSQL imported into a fresh local stack, then driven over the HTTP
//! API as the gym would (LEGACY.md, issue 29). Needs a real PostgreSQL (Debian's, which
//! `make test` installs) and a stack of its own: `make test` runs it as
//! `gymit-local test-env -- cargo test -p gymit-migrate --test legacy_import`.

mod support;

use std::{path::Path, process::Command};

use gymit_e2e::Stack;
use gymit_migrate::ids::new_id;
use serde_json::{json, Value};
use support::{dataset::Dataset, postgres::Cluster};

/// Runs the `gymit-migrate` binary against the test's stack (its environment: endpoint,
/// credentials, `ROOT_ADMIN_EMAIL`), and returns its exit code and output.
fn migrate(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gymit-migrate"))
        .args(args)
        .output()
        .expect("gymit-migrate runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn import(url: &str, report: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "import",
        "--database-url",
        url,
        "--report",
        report.to_str().unwrap_or_default(),
    ];
    args.extend_from_slice(extra);
    let (code, out) = migrate(&args);
    assert_eq!(code, 0, "import failed:\n{out}");
    serde_json::from_slice(&std::fs::read(report).expect("the report file")).expect("a JSON report")
}

fn entries_for<'a>(report: &'a Value, table: &str, legacy_id: i64) -> Vec<&'a Value> {
    report["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["table"] == table && e["legacy_id"] == legacy_id)
        .collect()
}

fn has_entry(
    report: &Value,
    table: &str,
    legacy_id: i64,
    outcome: &str,
    reason_part: &str,
) -> bool {
    entries_for(report, table, legacy_id).iter().any(|e| {
        e["outcome"] == outcome
            && e["reason"]
                .as_str()
                .unwrap_or_default()
                .contains(reason_part)
    })
}

async fn login(stack: &Stack, email: &str, password: &str) -> gymit_e2e::Answer {
    stack
        .post(
            "/api/auth/login",
            None,
            json!({ "email": email, "password": password }),
        )
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gyms_monolith_moves_over_and_carries_on_in_gymit() {
    let stack = Stack::get();
    let root_email = std::env::var("ROOT_ADMIN_EMAIL").expect("test-env sets ROOT_ADMIN_EMAIL");
    let pg = Cluster::start();
    let db = pg.database("gym").await;
    let data = Dataset::awkward(&root_email);
    data.load(&db).await.expect("the dataset loads");
    let url = pg.url("gym");
    let dir = std::env::temp_dir().join(format!("gymit-migrate-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a report directory");
    let named = |k: &str| data.named[k];

    // ---- the first import, and what its report says
    let started = std::time::Instant::now();
    let report = import(&url, &dir.join("first.json"), &[]);
    eprintln!(
        "first import: {:.1} s\n{}",
        started.elapsed().as_secs_f64(),
        serde_json::to_string_pretty(&report["rows"]).unwrap_or_default()
    );
    assert!(
        has_entry(
            &report,
            "users",
            named("duplicate_user"),
            "skipped",
            "duplicate email"
        ),
        "{report:#}"
    );
    assert!(has_entry(
        &report,
        "users",
        named("invalid_email_user"),
        "skipped",
        "email"
    ));
    assert!(has_entry(
        &report,
        "users",
        named("bad_text_user"),
        "changed",
        "stripped"
    ));
    assert!(has_entry(
        &report,
        "users",
        named("long_name_user"),
        "changed",
        "cut at 100"
    ));
    assert!(has_entry(
        &report,
        "tournaments",
        named("unreplayable_pairs"),
        "skipped",
        "other pairs"
    ));
    assert!(has_entry(
        &report,
        "tournaments",
        named("unreplayable_winner"),
        "skipped",
        "engine refuses"
    ));
    assert!(has_entry(
        &report,
        "tournaments",
        named("missing_owner"),
        "changed",
        "root admin"
    ));
    assert!(has_entry(
        &report,
        "tournaments",
        named("bad_text_tournament"),
        "changed",
        "cut at 120"
    ));
    let users_rows = &report["rows"]["users"];
    assert_eq!(users_rows["read"], data.users.len() as u64);
    assert_eq!(users_rows["skipped"], 2, "{users_rows}");
    assert_eq!(report["rows"]["tournaments"]["skipped"], 2);
    assert!(
        report["items_written"]["TOURNAMENTS_TABLE"]
            .as_u64()
            .unwrap_or(0)
            > 1000
    );

    // ---- a second import changes nothing
    let again = import(&url, &dir.join("second.json"), &[]);
    for (table, n) in again["items_written"].as_object().into_iter().flatten() {
        assert_eq!(n, 0, "the second import wrote to {table}: {again:#}");
    }
    assert_eq!(again["rows"]["users"]["written"], 0);
    assert_eq!(again["rows"]["tournaments"]["written"], 0);

    // ---- verify agrees, notices a difference, and a --since catch-up brings it over
    let (code, out) = migrate(&["verify", "--database-url", &url]);
    assert_eq!(code, 0, "verify after the import:\n{out}");
    let mark = chrono::Utc::now() - chrono::Duration::seconds(1);
    db.execute(
        "UPDATE users SET full_name = 'Renamed In The Monolith', updated_at = now() WHERE id = 5",
        &[],
    )
    .await
    .expect("an update in the monolith");
    let (code, out) = migrate(&["verify", "--database-url", &url]);
    assert_eq!(code, 1, "verify must see the renamed member:\n{out}");
    assert!(out.contains("Renamed In The Monolith"), "{out}");
    let caught_up = import(
        &url,
        &dir.join("since.json"),
        &["--since", &gymit_shared::time::rfc3339(mark)],
    );
    assert_eq!(caught_up["rows"]["users"]["written"], 1, "{caught_up:#}");
    let (code, out) = migrate(&["verify", "--database-url", &url]);
    assert_eq!(code, 0, "verify after the catch-up:\n{out}");

    // ---- accounts: legacy passwords, bans, the root admin
    let root = &data.users[0];
    let admin = login(&stack, &root_email, &root.password).await;
    assert_eq!(
        admin.status, 200,
        "the root admin with the legacy password: {admin:?}"
    );
    assert_eq!(admin.body["user"]["is_root_admin"], true);
    let admin_token = admin.body["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let admin_id = admin.body["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let member = &data.users[4];
    let first = login(&stack, &member.email, &member.password).await;
    assert_eq!(
        first.status, 200,
        "a legacy member with the legacy password: {first:?}"
    );
    assert_eq!(first.body["user"]["id"], new_id("users", 5));
    assert_eq!(first.body["user"]["full_name"], "Renamed In The Monolith");
    let second = login(&stack, &member.email, &member.password).await;
    assert_eq!(
        second.status, 200,
        "and again, now against the upgraded hash: {second:?}"
    );
    let wrong = login(&stack, &member.email, "not-the-legacy-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.problem_code(), "invalid_credentials");

    let banned = &data.users[named("banned_user") as usize - 1];
    let refused = login(&stack, &banned.email, &banned.password).await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(refused.problem_code(), "account_banned");

    let kept = &data.users[named("duplicate_kept") as usize - 1];
    let dup = login(&stack, "member10@gym.example", &kept.password).await;
    assert_eq!(dup.status, 200, "the lowest id keeps the email: {dup:?}");
    assert_eq!(
        dup.body["user"]["id"],
        new_id("users", named("duplicate_kept"))
    );

    let cleaned = stack
        .get_json(
            &format!("/api/users/{}", new_id("users", named("bad_text_user"))),
            Some(&admin_token),
        )
        .await;
    assert_eq!(cleaned.status, 200, "{cleaned:?}");
    assert_eq!(cleaned.body["user"]["full_name"], "Evelyn Park");

    // ---- tournaments
    let path = |legacy: i64, rest: &str| {
        format!("/api/tournaments/{}{rest}", new_id("tournaments", legacy))
    };
    let orphan = stack
        .get_json(&path(named("missing_owner"), ""), None)
        .await;
    assert_eq!(
        orphan.body["tournament"]["created_by"], admin_id,
        "{orphan:?}"
    );

    // Seeds renumbered in the order (seed, id), NULL last: legacy seeds 3, NULL, 1, 7.
    let gapped = stack
        .get_json(&path(named("gapped_seeds"), "/participants"), None)
        .await;
    let firsts: Vec<i64> = data
        .participants
        .iter()
        .filter(|p| p.tournament_id == named("gapped_seeds"))
        .map(|p| p.id)
        .collect();
    let expected: Vec<String> = [firsts[2], firsts[0], firsts[3], firsts[1]]
        .iter()
        .map(|p| new_id("participants", *p))
        .collect();
    let got: Vec<String> = gapped.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(got, expected, "{gapped:?}");
    let seeds: Vec<u64> = gapped.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["seed"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(seeds, [1, 2, 3, 4]);

    // A completed single elimination: the monolith's champion and standings.
    for key in ["completed_se", "completed_de"] {
        let legacy = named(key);
        let outcome = &data.outcomes[&legacy];
        let t = stack.get_json(&path(legacy, ""), None).await;
        assert_eq!(t.body["tournament"]["status"], "completed", "{key}: {t:?}");
        let standings = stack.get_json(&path(legacy, "/standings"), None).await;
        assert_eq!(standings.status, 200, "{standings:?}");
        let items = standings.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(items.len(), outcome.ranks.len());
        for (participant, rank) in &outcome.ranks {
            let id = new_id("participants", *participant);
            let row = items
                .iter()
                .find(|s| s["participant_id"] == id.as_str())
                .unwrap_or_else(|| panic!("{key}: {id} not in the standings"));
            assert_eq!(row["rank"], *rank, "{key}: participant {participant}");
        }
        let champion = new_id("participants", outcome.champion.expect("a champion"));
        let first = items
            .iter()
            .find(|s| s["rank"] == 1)
            .expect("a first place");
        assert_eq!(first["participant_id"], champion.as_str(), "{key}");
    }

    // A half-played single elimination takes its next result where the monolith stopped.
    let half = named("half_played_se");
    let (side, round, number, p1, p2) = data.outcomes[&half].next[0];
    let bracket = stack.get_json(&path(half, "/bracket"), None).await;
    let matches = bracket.body["bracket"]["matches"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let next = matches
        .iter()
        .find(|m| m["bracket"] == side && m["round"] == round && m["match_number"] == number)
        .expect("the monolith's next match");
    assert_eq!(next["status"], "ready", "{next}");
    assert_eq!(next["participant1_id"], new_id("participants", p1).as_str());
    assert_eq!(next["participant2_id"], new_id("participants", p2).as_str());
    let result = stack
        .post(
            &path(
                half,
                &format!(
                    "/matches/{}/result",
                    next["id"].as_str().unwrap_or_default()
                ),
            ),
            Some(&admin_token),
            json!({ "winner_id": new_id("participants", p2), "score": "2-3" }),
        )
        .await;
    assert_eq!(result.status, 200, "{result:?}");
    assert_eq!(result.body["match"]["status"], "completed");

    // The member projection knows imported accounts: an owner adds one by id.
    let count = |t: i64| {
        data.participants
            .iter()
            .filter(|p| p.tournament_id == t)
            .count() as i32
    };
    let open = data
        .tournaments
        .iter()
        .find(|t| {
            t.status == "registration_open"
                && t.max_participants > count(t.id)
                && t.created_by.is_some()
        })
        .expect("an open tournament with room");
    let taken: Vec<i64> = data
        .participants
        .iter()
        .filter(|p| p.tournament_id == open.id)
        .filter_map(|p| p.user_id)
        .collect();
    let newcomer = data
        .users
        .iter()
        .find(|u| u.id > 30 && u.id < 240 && u.is_active && !u.is_banned && !taken.contains(&u.id))
        .expect("a member not yet in it");
    let add = stack
        .post(
            &path(open.id, "/participants"),
            Some(&admin_token),
            json!({ "name": newcomer.full_name, "user_id": new_id("users", newcomer.id) }),
        )
        .await;
    assert_eq!(add.status, 201, "{add:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
