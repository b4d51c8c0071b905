//! `make load`: a crowd of spectators on one tournament, and an organiser reporting results.
//!
//! N anonymous spectators connect to the stack's WebSocket from several loopback addresses
//! (127.0.0.1, 127.0.0.2, …: the gateway caps anonymous connections per address, as API
//! Gateway's `sourceIp` is what the cap counts), each subscribes to the tournament, then
//! the organiser reports E first-round results one after the other; for each, the time
//! from the HTTP answer to its `match.completed` on every socket. Prints one Markdown row
//! per run: connect time, then per event delivered/N, p50 and p99.
//!
//! Bounded in count and time: at most 5,000 spectators and 10 events; connecting gives up
//! after `--connect-within` seconds (default 60) and each event after 10 s.
//!
//! ```text
//! gymit-local test-env -- cargo run -q -p gymit-e2e --bin load -- --spectators 2000
//! ```
//! Options: `--spectators N` (default 500), `--addresses K` (default: one per 500
//! spectators, at least 2), `--events E` (default 3), `--connect-within S`,
//! `--parallel P` (connects in flight at once, default 200).

use std::{
    collections::HashMap,
    net::{Ipv4Addr, SocketAddr},
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use gymit_e2e::{percentiles, Stack};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

const MAX_SPECTATORS: usize = 5000;
const MAX_EVENTS: usize = 10;
const EVENT_WITHIN: Duration = Duration::from_secs(10);

struct Options {
    spectators: usize,
    addresses: usize,
    events: usize,
    connect_within: Duration,
    parallel: usize,
}

fn options() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        spectators: 500,
        addresses: 0,
        events: 3,
        connect_within: Duration::from_secs(60),
        parallel: 200,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: usize = value
            .parse()
            .map_err(|_| format!("{flag}: not a number: {value}"))?;
        match flag.as_str() {
            "--spectators" => o.spectators = n,
            "--addresses" => o.addresses = n,
            "--events" => o.events = n,
            "--connect-within" => o.connect_within = Duration::from_secs(n as u64),
            "--parallel" => o.parallel = n,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !(1..=MAX_SPECTATORS).contains(&o.spectators) {
        return Err(format!("--spectators must be 1..={MAX_SPECTATORS}"));
    }
    if !(1..=MAX_EVENTS).contains(&o.events) {
        return Err(format!("--events must be 1..={MAX_EVENTS}"));
    }
    if o.addresses == 0 {
        o.addresses = o.spectators.div_ceil(500).max(2);
    }
    o.addresses = o.addresses.clamp(1, 250);
    o.parallel = o.parallel.max(1);
    Ok(o)
}

/// One spectator's socket, read by its own task: every `match.completed` it receives goes
/// to `seen` as (spectator, match id, when).
type Seen = mpsc::UnboundedSender<(usize, String, Instant)>;

/// Connects spectator `i` from `source`, subscribes it to `tid`, and leaves a task reading
/// its frames; `Err` says why it could not.
async fn spectator(
    i: usize,
    gateway: SocketAddr,
    ws_url: &str,
    source: Ipv4Addr,
    tid: &str,
    seen: Seen,
    close: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
    socket
        .bind(SocketAddr::new(source.into(), 0))
        .map_err(|e| format!("bind {source}: {e}"))?;
    let stream = socket
        .connect(gateway)
        .await
        .map_err(|e| format!("tcp: {e}"))?;
    let (mut ws, _) = tokio_tungstenite::client_async(ws_url, stream)
        .await
        .map_err(|e| match e {
            tokio_tungstenite::tungstenite::Error::Http(res) => format!(
                "refused {}: {}",
                res.status(),
                String::from_utf8_lossy(res.body().as_deref().unwrap_or_default())
            ),
            other => other.to_string(),
        })?;
    ws.send(Message::text(
        json!({"action": "subscribe", "tournament_id": tid}).to_string(),
    ))
    .await
    .map_err(|e| e.to_string())?;
    // The subscription's answer, within 30 s.
    let answer = tokio::time::timeout(Duration::from_secs(30), ws.next())
        .await
        .map_err(|_| "no answer to subscribe".to_string())?;
    match answer {
        Some(Ok(Message::Text(t))) if t.contains("\"subscribed\"") => {}
        other => return Err(format!("subscribe answered {other:?}")),
    }
    tokio::spawn(async move {
        let mut close = close;
        loop {
            tokio::select! {
                frame = ws.next() => match frame {
                    Some(Ok(Message::Text(t))) => {
                        let at = Instant::now();
                        let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                        if v["type"] == "match.completed" {
                            let id = v["data"]["match"]["id"].as_str().unwrap_or_default();
                            let _ = seen.send((i, id.to_string(), at));
                        }
                    }
                    Some(Ok(_)) => {}
                    _ => break,
                },
                _ = close.changed() => {
                    let _ = ws.close(None).await;
                    break;
                }
            }
        }
    });
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(2);
        }
    };
    let s = Stack::get();
    let gateway: SocketAddr = s
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("GYMIT_URL is http://127.0.0.1:<port>");
    let ws_url = s.ws_url(None);

    // The organiser's tournament: 2·E players (a power of two: no byes), so E first-round
    // matches are ready at once.
    let organiser = s.user_with_role("load-organiser", "trainer").await;
    let players = (2 * o.events).next_power_of_two().max(4);
    let tid = gymit_e2e::tournament_with(&s, &organiser, players).await;
    let a = s
        .post(
            &format!("/api/tournaments/{tid}/start"),
            Some(&organiser.access_token),
            json!({}),
        )
        .await;
    assert_eq!(a.status, 200, "start: {a:?}");
    // Let the start's own event reach the fan-out before anyone subscribes.
    tokio::time::sleep(Duration::from_secs(1)).await;

    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel();
    let (close_tx, close_rx) = tokio::sync::watch::channel(false);
    let started = Instant::now();
    let results: Vec<Result<(), String>> = futures::stream::iter(0..o.spectators)
        .map(|i| {
            let source = Ipv4Addr::new(127, 0, 0, 1 + (i % o.addresses) as u8);
            let (seen, close, tid, ws_url) = (
                seen_tx.clone(),
                close_rx.clone(),
                tid.clone(),
                ws_url.clone(),
            );
            async move {
                let left = o.connect_within.saturating_sub(started.elapsed());
                tokio::time::timeout(
                    left,
                    spectator(i, gateway, &ws_url, source, &tid, seen, close),
                )
                .await
                .unwrap_or_else(|_| Err("not connected in time".into()))
            }
        })
        .buffer_unordered(o.parallel)
        .collect()
        .await;
    let connect_time = started.elapsed();
    let connected = results.iter().filter(|r| r.is_ok()).count();
    let mut why: HashMap<String, usize> = HashMap::new();
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        *why.entry(e.chars().take(120).collect()).or_default() += 1;
    }
    eprintln!(
        "{connected} of {} spectators connected and subscribed in {:.1} s from {} addresses",
        o.spectators,
        connect_time.as_secs_f64(),
        o.addresses
    );
    for (e, n) in &why {
        eprintln!("  {n} × {e}");
    }

    // The organiser reports E results, one at a time.
    let bracket = s
        .get_json(&format!("/api/tournaments/{tid}/bracket"), None)
        .await;
    let ready: Vec<Value> = bracket.body["bracket"]["matches"]
        .as_array()
        .expect("a bracket")
        .iter()
        .filter(|m| m["status"] == "ready")
        .take(o.events)
        .cloned()
        .collect();
    let mut rows = Vec::new();
    for m in &ready {
        let id = m["id"].as_str().expect("a match id").to_string();
        let a = s
            .post(
                &format!("/api/tournaments/{tid}/matches/{id}/result"),
                Some(&organiser.access_token),
                json!({ "winner_id": m["participant1_id"], "score": "2-0" }),
            )
            .await;
        assert_eq!(a.status, 200, "result: {a:?}");
        let answered = Instant::now();
        let mut latencies: HashMap<usize, f64> = HashMap::new();
        let deadline = answered + EVENT_WITHIN;
        while latencies.len() < connected {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, seen_rx.recv()).await {
                Ok(Some((i, match_id, at))) if match_id == id => {
                    let ms = at.saturating_duration_since(answered).as_secs_f64() * 1e3;
                    latencies.entry(i).or_insert(ms);
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        let delivered = latencies.len();
        let (p50, p99) = if delivered > 0 {
            percentiles(latencies.into_values().collect())
        } else {
            (f64::NAN, f64::NAN)
        };
        eprintln!(
            "match.completed {id}: {delivered}/{} delivered, p50 {p50:.0} ms, p99 {p99:.0} ms",
            o.spectators
        );
        rows.push((delivered, p50, p99));
    }
    let _ = close_tx.send(true);

    // One Markdown row: spectators | connected in | per event delivered, p50, p99.
    let events: Vec<String> = rows
        .iter()
        .map(|(d, p50, p99)| format!("{d}/{} · {p50:.0} ms · {p99:.0} ms", o.spectators))
        .collect();
    println!(
        "| {} | {} in {:.1} s | {} |",
        o.spectators,
        connected,
        connect_time.as_secs_f64(),
        events.join(" | ")
    );
    // Let the closes reach the gateway before the stack stops.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = connected == o.spectators && rows.iter().all(|(d, _, _)| *d == o.spectators);
    std::process::exit(if all { 0 } else { 1 });
}
