//! The largest staged tournaments through the handlers, against the emulator (API.md v1.1
//! "Swiss", "Groups, then playoffs"; docs/formats.md "Sizes"): a 256-player Swiss pairs
//! its second round in the write of the result that completes the first — one `STAGE#`
//! item in that transaction, whatever the field size — and every answer stays under 1 MB
//! and every event under 32 KiB; a 16-group stage of 256 starts under 1 MB.

mod common;

use common::{Env, Route};
use gymit_tournaments::domain::{append_position, Participant, Write};
use serde_json::{json, Value};

const MB: usize = 1 << 20;
const FRAME: usize = 32 << 10;

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// `n` named participants with the longest names there may be (so the sizes below are the
/// worst case), written straight to the store, and the count that goes with them.
async fn roster_of(env: &Env, id: &str, n: u32) {
    let loaded = env.stored(id).await;
    let roster: Vec<(Participant, String)> = (0..n)
        .map(|i| {
            let p = Participant {
                id: uuid::Uuid::now_v7().to_string(),
                tournament_id: id.to_string(),
                user_id: None,
                name: format!("{i:03}{}", "W".repeat(117)),
                seed: 0,
                joined_at: gymit_shared::time::now_rfc3339(),
                disqualified: false,
                status: Default::default(),
                checked_in_at: None,
            };
            (p, append_position())
        })
        .collect();
    env.state
        .store
        .put_participants(&roster)
        .await
        .expect("participants written");
    let mut meta = loaded.meta.clone();
    meta.tournament.participant_count += n;
    meta.tournament.version += 1;
    env.state
        .store
        .commit(&meta, Some(loaded.meta.tournament.version), &[], &[])
        .await
        .expect("the count is written");
}

fn size(v: &Value) -> usize {
    v.to_string().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_256_player_swiss_pairs_round_two_in_one_write_within_the_limits() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let t = env
        .create(
            &owner,
            json!({ "max_participants": 256, "tournament_type": "swiss", "top_cut": 8, "name": "N".repeat(120) }),
        )
        .await;
    let id = id_of(&t);
    roster_of(&env, &id, 256).await;
    let (status, started) = env.call(Route::Start, &[&id], Some(&owner), None).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["tournament"]["swiss_rounds"], 8, "⌈log2 256⌉");
    let round1: Vec<Value> = started["bracket"]["matches"].as_array().unwrap().clone();
    assert_eq!(round1.len(), 128);

    // 127 results written as the report handler writes them (a few per transaction, so
    // the test does not spend minutes in 127 requests), then the last one reported.
    for chunk in round1[..127].chunks(50) {
        let loaded = env.stored(&id).await;
        let mut meta = loaded.meta.clone();
        meta.tournament.version += 1;
        let writes: Vec<Write> = chunk
            .iter()
            .map(|m| Write::RecordResult {
                match_id: id_of(m),
                winner: m["participant1_id"].as_str().map(str::to_string),
                score: "3-2".into(),
                seq: meta.tournament.version,
            })
            .collect();
        env.state
            .store
            .commit(&meta, Some(loaded.meta.tournament.version), &writes, &[])
            .await
            .expect("results written");
    }
    let m = &round1[127];
    let (status, last) = env
        .call(
            Route::Report,
            &[&id, &id_of(m)],
            Some(&owner),
            Some(json!({ "winner_id": m["participant1_id"], "score": "3-2" })),
        )
        .await;
    assert_eq!(status, 200, "{last}");
    // The report that completed round 1 carries round 2, all 128 matches of it.
    let round2: Vec<Value> = last["updated_matches"].as_array().unwrap().clone();
    assert_eq!(round2.len(), 128, "{}", size(&last));
    assert!(round2
        .iter()
        .all(|m| m["round"] == 2 && m["status"] == "ready"));
    assert_eq!(last["tournament"]["current_round"], 2);
    assert!(size(&last) < MB, "the result answers {} B", size(&last));
    eprintln!(
        "256-player Swiss: the result that pairs round 2 answers {} B",
        size(&last)
    );

    // Stored as one item in that write, read back as the bracket.
    let snapshot = env.snapshot().await;
    let stages = snapshot
        .keys()
        .filter(|(pk, sk)| pk == &format!("TOURNAMENT#{id}") && sk.starts_with("STAGE#"))
        .count();
    assert_eq!(stages, 1, "one STAGE# item holds the round");
    let (status, bracket) = env.call(Route::Bracket, &[&id], None, None).await;
    assert_eq!(status, 200);
    assert_eq!(bracket["bracket"]["matches"].as_array().unwrap().len(), 256);
    assert!(size(&bracket) < MB);

    // A result on a match of the drawn round is recorded and read back.
    let m = &round2[0];
    let winner = m["participant2_id"].as_str().unwrap();
    let answer = env.report(&owner, &id, &id_of(m), winner, "1-0").await;
    assert_eq!(answer["match"]["winner_id"], winner);
    let stored = env.stored(&id).await;
    let played = stored
        .bracket
        .as_ref()
        .and_then(|b| b.get(&id_of(m)).cloned())
        .expect("the match is in the stored bracket");
    assert_eq!(played.winner_id.as_deref(), Some(winner));

    let (status, standings) = env.call(Route::Standings, &[&id], None, None).await;
    assert_eq!(status, 200);
    assert!(size(&standings) < MB);
    let first = &standings["items"][0];
    assert!(
        first["buchholz"].is_u64() && first["sonneborn_berger"].is_number(),
        "{first}"
    );
    eprintln!("256-player Swiss: standings {} B", size(&standings));

    for e in env.events().await {
        let bytes = size(&e.data);
        assert!(bytes < FRAME, "{} is {bytes} B", e.event_type);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_16_group_stage_of_256_starts_under_1_mb() {
    let env = Env::new().await;
    let owner = env.trainer("Tina").await;
    let t = env
        .create(
            &owner,
            json!({
                "max_participants": 256, "tournament_type": "group_stage", "group_count": 16,
                "advance_per_group": 4, "playoff_type": "double_elimination",
                "name": "N".repeat(120),
            }),
        )
        .await;
    let id = id_of(&t);
    roster_of(&env, &id, 256).await;
    let (status, started) = env.call(Route::Start, &[&id], Some(&owner), None).await;
    assert_eq!(status, 200, "{started}");
    let matches = started["bracket"]["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 16 * 120, "16 round robins of 16");
    assert!(
        size(&started) < MB,
        "the start answers {} B",
        size(&started)
    );
    let (status, standings) = env.call(Route::Standings, &[&id], None, None).await;
    assert_eq!(status, 200);
    assert_eq!(standings["groups"].as_array().unwrap().len(), 16);
    assert!(size(&standings) < MB);
    eprintln!(
        "16 × 16 group stage: start {} B, standings {} B",
        size(&started),
        size(&standings)
    );
}
