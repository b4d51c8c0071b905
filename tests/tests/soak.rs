//! The soak: ordinary client traffic, all at once, against the one stack every other test
//! also used, and the checks after the load (issue 12).
//!
//! For `SOAK_SECONDS` (60 by default; `make soak` runs 600) these run concurrently:
//! - waves of 16 parallel registrations, each of which must answer 201;
//! - an admin approving, promoting, banning and unbanning the new accounts, each change
//!   checked through login, where it must show within 2 s;
//! - tournament rounds: an 8-place tournament that 12 members race to join, started, and
//!   played to the end with every result reported twice at the same moment;
//! - 50 WebSocket spectators subscribed to every round's tournament.
//!
//! Then: every registration succeeded, every admin change reached login within 2 s, every
//! spectator received every event of every round exactly once (by `event_id`), each
//! tournament's `participant_count` equals its participants, each double report had
//! exactly one winner, and the emulator's memory stayed under `EMULATOR_RSS_LIMIT_MB`.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::future::join_all;
use gymit_e2e::{unique_email, Live, Session, Stack, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const SPECTATORS: usize = 50;
const PLACES: usize = 8;
const RACERS: usize = 12;
const EMULATOR_RSS_LIMIT_MB: u64 = 600;
const ADMIN_CHANGE_BUDGET: Duration = Duration::from_secs(2);

fn soak_duration() -> Duration {
    Duration::from_secs(
        std::env::var("SOAK_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    )
}

/// A spectator that reads its socket all the time and keeps every frame.
struct Spectator {
    commands: mpsc::UnboundedSender<Value>,
    frames: Arc<Mutex<Vec<Value>>>,
}

impl Spectator {
    fn start(mut live: Live) -> Spectator {
        let (commands, mut rx) = mpsc::unbounded_channel::<Value>();
        let frames = Arc::new(Mutex::new(Vec::new()));
        let kept = frames.clone();
        tokio::spawn(async move {
            loop {
                loop {
                    match rx.try_recv() {
                        Ok(message) => live.send(message).await,
                        Err(mpsc::error::TryRecvError::Empty) => break,
                        Err(mpsc::error::TryRecvError::Disconnected) => {
                            live.close().await;
                            return;
                        }
                    }
                }
                if let Some((_, frame)) = live.next(Duration::from_millis(20)).await {
                    kept.lock().unwrap().push(frame);
                }
            }
        });
        Spectator { commands, frames }
    }

    fn subscribed_to(&self, id: &str) -> bool {
        self.frames
            .lock()
            .unwrap()
            .iter()
            .any(|f| f["type"] == "subscribed" && f["tournament_id"] == id)
    }

    /// The events of one tournament, by type, and how many frames repeated an event_id.
    fn events_of(&self, id: &str) -> (BTreeMap<String, usize>, usize) {
        let frames = self.frames.lock().unwrap();
        let mut seen = HashSet::new();
        let (mut by_type, mut repeats) = (BTreeMap::new(), 0);
        for f in frames.iter().filter(|f| f["tournament_id"] == id) {
            let Some(event_id) = f["event_id"].as_str() else {
                continue;
            };
            if !seen.insert(event_id.to_string()) {
                repeats += 1;
                continue;
            }
            *by_type
                .entry(f["type"].as_str().unwrap_or_default().to_string())
                .or_insert(0) += 1;
        }
        (by_type, repeats)
    }
}

#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    registrations: usize,
    admin_changes: Vec<Duration>,
    rounds: Vec<String>,
    join_latencies: Vec<f64>,
    report_latencies: Vec<f64>,
}

type Shared = Arc<Mutex<Findings>>;

fn problem(findings: &Shared, text: String) {
    eprintln!("soak: {text}");
    findings.lock().unwrap().problems.push(text);
}

async fn register_waves(
    s: &Stack,
    until: Instant,
    findings: Shared,
    to_admin: mpsc::Sender<String>,
) {
    while Instant::now() < until {
        // A new wave every 3 s at most: a busy gym's sign-up desk, not a load generator.
        let wave = tokio::time::sleep(Duration::from_secs(3));
        let emails: Vec<String> = (0..16).map(|_| unique_email("soak")).collect();
        let answers = join_all(emails.iter().map(|e| s.register(e))).await;
        for (email, a) in emails.into_iter().zip(answers) {
            if a.status == 201 {
                findings.lock().unwrap().registrations += 1;
                let _ = to_admin.try_send(email);
            } else {
                problem(
                    &findings,
                    format!("registration answered {}: {}", a.status, a.text),
                );
            }
        }
        wave.await;
    }
}

/// Polls login until `holds` accepts its answer; how long that took, or `None` after 10 s.
async fn login_shows(
    s: &Stack,
    email: &str,
    holds: impl Fn(&gymit_e2e::Answer) -> bool,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if holds(&s.login(email, PASSWORD).await) {
            return Some(started.elapsed());
        }
        // Each login is an argon2 verification: polling faster would load the machine the
        // change has to travel through.
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    None
}

async fn admin_changes(
    s: &Stack,
    root: &Session,
    until: Instant,
    findings: Shared,
    mut emails: mpsc::Receiver<String>,
) {
    while Instant::now() < until {
        let Ok(Some(email)) = tokio::time::timeout(Duration::from_secs(2), emails.recv()).await
        else {
            continue;
        };
        let login = s.login(&email, PASSWORD).await;
        let Some(id) = login.body["user"]["id"].as_str().map(str::to_string) else {
            problem(&findings, format!("login of a new account: {login:?}"));
            continue;
        };
        let admin = |method: Method, action: &str, body: Value| {
            let path = format!("/api/users/{id}{action}");
            let token = root.access_token.clone();
            async move { s.send(method, &path, Some(&token), Some(body), &[]).await }
        };
        type Check = Box<dyn Fn(&gymit_e2e::Answer) -> bool + Send + Sync>;
        let steps: Vec<(&str, Method, &str, Value, Check)> = vec![
            (
                "approve",
                Method::POST,
                "/approve",
                json!({}),
                Box::new(|a| a.body["user"]["is_approved"] == true),
            ),
            (
                "role",
                Method::PUT,
                "/role",
                json!({"role": "trainer"}),
                Box::new(|a| a.body["user"]["role"] == "trainer"),
            ),
            (
                "ban",
                Method::POST,
                "/ban",
                json!({"reason": "soak"}),
                Box::new(|a| a.status == 403 && a.body["code"] == "account_banned"),
            ),
            (
                "unban",
                Method::POST,
                "/unban",
                json!({}),
                Box::new(|a| a.status == 200),
            ),
        ];
        for (name, method, action, body, check) in steps {
            let a = admin(method, action, body).await;
            if a.status != 200 {
                problem(
                    &findings,
                    format!("{name} answered {}: {}", a.status, a.text),
                );
                break;
            }
            match login_shows(s, &email, check).await {
                Some(took) => findings.lock().unwrap().admin_changes.push(took),
                None => problem(&findings, format!("{name} of {email} never reached login")),
            }
        }
    }
}

/// One round: a tournament raced for, started, and played with double reports.
async fn round(
    s: &Stack,
    owner: &Session,
    racers: &[Session],
    spectators: &[Spectator],
    findings: &Shared,
) -> Option<String> {
    let a = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            json!({"name": format!("Soak {}", uuid::Uuid::now_v7()), "start_date": "2027-05-01T09:00:00Z",
                   "max_participants": PLACES, "tournament_type": "single_elimination"}),
        )
        .await;
    if a.status != 201 {
        problem(
            findings,
            format!("create answered {}: {}", a.status, a.text),
        );
        return None;
    }
    let id = a.body["tournament"]["id"].as_str()?.to_string();
    for sp in spectators {
        let _ = sp
            .commands
            .send(json!({"action": "subscribe", "tournament_id": id}));
    }
    let started = Instant::now();
    while !spectators.iter().all(|sp| sp.subscribed_to(&id)) {
        if started.elapsed() > Duration::from_secs(10) {
            problem(
                findings,
                format!("spectators not all subscribed to {id} after 10 s"),
            );
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let joins = join_all(racers.iter().map(|r| async {
        let t = Instant::now();
        let a = s
            .post(
                &format!("/api/tournaments/{id}/participants"),
                Some(&r.access_token),
                json!({}),
            )
            .await;
        (a, t.elapsed().as_secs_f64() * 1000.0)
    }))
    .await;
    let mut joined = 0;
    for (a, ms) in joins {
        findings.lock().unwrap().join_latencies.push(ms);
        match (a.status.as_u16(), a.body["code"].as_str()) {
            (201, _) => joined += 1,
            (409, Some("tournament_full")) => {}
            _ => problem(findings, format!("join answered {}: {}", a.status, a.text)),
        }
    }
    if joined != PLACES {
        problem(
            findings,
            format!("{joined} joins of {RACERS} won {PLACES} places in {id}"),
        );
    }
    let a = s
        .post(
            &format!("/api/tournaments/{id}/start"),
            Some(&owner.access_token),
            json!({}),
        )
        .await;
    if a.status != 200 {
        problem(findings, format!("start answered {}: {}", a.status, a.text));
        return Some(id);
    }
    for _ in 0..PLACES {
        let bracket = s
            .get_json(&format!("/api/tournaments/{id}/bracket"), None)
            .await;
        let ready: Vec<Value> = bracket.body["bracket"]["matches"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["status"] == "ready")
            .cloned()
            .collect();
        if ready.is_empty() {
            break;
        }
        let reports = ready.iter().flat_map(|m| {
            let path = format!(
                "/api/tournaments/{id}/matches/{}/result",
                m["id"].as_str().unwrap_or_default()
            );
            let body = json!({"winner_id": m["participant1_id"], "score": "2-1"});
            [(path.clone(), body.clone()), (path, body)]
        });
        let answers = join_all(reports.map(|(path, body)| async move {
            let t = Instant::now();
            let a = s.post(&path, Some(&owner.access_token), body).await;
            (path, a, t.elapsed().as_secs_f64() * 1000.0)
        }))
        .await;
        let mut wins: HashMap<String, usize> = HashMap::new();
        for (path, a, ms) in answers {
            findings.lock().unwrap().report_latencies.push(ms);
            match a.status.as_u16() {
                200 => *wins.entry(path).or_insert(0) += 1,
                409 => {
                    wins.entry(path).or_insert(0);
                }
                _ => problem(
                    findings,
                    format!("report answered {}: {}", a.status, a.text),
                ),
            }
        }
        for (path, n) in wins {
            if n != 1 {
                problem(
                    findings,
                    format!("{n} of two simultaneous reports won on {path}"),
                );
            }
        }
    }
    Some(id)
}

fn emulator_rss_mb() -> Option<u64> {
    let pid = std::env::var("GYMIT_EMULATOR_PID").ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024)
}

fn pct(samples: &[f64]) -> String {
    let (p50, p99) = gymit_e2e::percentiles(samples.to_vec());
    format!(
        "p50 {p50:.1} ms, p99 {p99:.1} ms ({} requests)",
        samples.len()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_traffic_on_one_stack_keeps_every_promise() {
    let s = Stack::get();
    let root = s.root().await;
    let owner = s.user_with_role("soak-owner", "trainer").await;
    let racers = join_all((0..RACERS).map(|i| {
        let s = &s;
        async move { s.user_with_role(&format!("soak-racer{i}"), "member").await }
    }))
    .await;
    let lives = join_all((0..SPECTATORS).map(|_| s.connect(None))).await;
    let spectators: Vec<Spectator> = lives
        .into_iter()
        .map(|l| Spectator::start(l.expect("a spectator connects")))
        .collect();

    let rss_before = emulator_rss_mb();
    let findings: Shared = Default::default();
    let until = Instant::now() + soak_duration();
    let (to_admin, emails) = mpsc::channel(256);
    let tournaments = async {
        // Spectators follow the rounds as people do: they leave a tournament once it is
        // over, two rounds later (when its last events have long landed), so no connection
        // reaches the 50 subscriptions a connection may hold, however long the soak runs.
        let mut followed = std::collections::VecDeque::new();
        while Instant::now() < until {
            if let Some(id) = round(&s, &owner, &racers, &spectators, &findings).await {
                findings.lock().unwrap().rounds.push(id.clone());
                followed.push_back(id);
            }
            if followed.len() > 2 {
                let over = followed.pop_front().expect("a followed tournament");
                for sp in &spectators {
                    let _ = sp
                        .commands
                        .send(json!({"action": "unsubscribe", "tournament_id": over}));
                }
            }
        }
    };
    tokio::join!(
        register_waves(&s, until, findings.clone(), to_admin),
        admin_changes(&s, &root, until, findings.clone(), emails),
        tournaments,
    );

    // After the load: every round's events reach every spectator (give them 3 s to land).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let f = std::mem::take(&mut *findings.lock().unwrap());
    let mut problems = f.problems.clone();
    let expected: BTreeMap<String, usize> = [
        ("participant.joined", PLACES),
        ("tournament.started", 1),
        ("match.completed", PLACES - 1),
        ("tournament.completed", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for id in &f.rounds {
        let t = s.get_json(&format!("/api/tournaments/{id}"), None).await;
        let p = s
            .get_json(&format!("/api/tournaments/{id}/participants"), None)
            .await;
        let listed = p.body["items"].as_array().map_or(0, Vec::len);
        if t.body["tournament"]["participant_count"] != listed as u64 || listed != PLACES {
            problems.push(format!(
                "{id}: participant_count {} but {listed} participants",
                t.body["tournament"]["participant_count"]
            ));
        }
        if t.body["tournament"]["status"] != "completed" {
            problems.push(format!("{id}: ended {}", t.body["tournament"]["status"]));
        }
        let mut wrong = Vec::new();
        for (i, sp) in spectators.iter().enumerate() {
            let (mut got, repeats) = sp.events_of(id);
            // tournament.created may or may not arrive: it races the subscription.
            got.remove("tournament.created");
            if got != expected || repeats > 0 {
                wrong.push(format!("#{i}: {got:?}, {repeats} repeated"));
            }
        }
        if !wrong.is_empty() {
            problems.push(format!(
                "{} of {SPECTATORS} spectators on {id} missed or repeated events, e.g. {}",
                wrong.len(),
                wrong[0]
            ));
        }
    }
    let worst_admin = f.admin_changes.iter().max().copied().unwrap_or_default();
    if worst_admin > ADMIN_CHANGE_BUDGET {
        problems.push(format!(
            "an admin change took {worst_admin:?} to reach login"
        ));
    }
    let rss_after = emulator_rss_mb();
    if let Some(mb) = rss_after {
        if mb > EMULATOR_RSS_LIMIT_MB {
            problems.push(format!("the emulator grew to {mb} MB"));
        }
    }
    eprintln!(
        "soak ({:?}): {} registrations, admin changes {} (slowest {:?}), {} rounds x {SPECTATORS} spectators; \
         joins {}; reports {}; emulator RSS {:?} → {:?} MB",
        soak_duration(),
        f.registrations,
        pct(&f.admin_changes.iter().map(|d| d.as_secs_f64() * 1000.0).collect::<Vec<_>>()),
        worst_admin,
        f.rounds.len(),
        pct(&f.join_latencies),
        pct(&f.report_latencies),
        rss_before,
        rss_after,
    );
    assert!(
        f.registrations > 0 && !f.admin_changes.is_empty() && !f.rounds.is_empty(),
        "no load ran"
    );
    problems.truncate(30);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
