//! The ops page, local only, at `GET /_local/` on the gateway's port: requests, errors and
//! p95 per function over the last minutes (from `metrics`, the functions' own EMF lines),
//! the stream mappings and their lag (`streams`), the dead-letter queues with their depth
//! and a replay button (`replay`), and the slowest recent requests, each opening its trace
//! as a waterfall (`traces`). One static page (`PAGE`) that reads `GET /_local/ops.json`
//! every few seconds; `POST /_local/dlq/{queue}/replay` replays a queue; `/_local/#trace=<id>`
//! opens the trace of the request whose `x-request-id` that is.
//!
//! Like every `/_local/*` endpoint it answers this machine only (`gateway::local_only`).

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{Html, IntoResponse},
    Json,
};
use serde_json::{json, Value};

use crate::{
    invoke::Invoker,
    metrics::{Registry, Request},
    streams::Mappings,
    traces::Traces,
};

/// What the page reads, shared with the gateway that serves it.
pub struct Ops {
    pub metrics: Arc<Registry>,
    pub traces: Arc<Traces>,
    pub mappings: Arc<Mappings>,
    pub invoker: Arc<Invoker>,
    /// The template's queues (its dead-letter queues).
    pub queues: Vec<String>,
}

/// Minutes the charts cover.
const MINUTES: i64 = 10;

/// `GET /_local/`.
pub async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], Html(PAGE))
}

/// Requests, errors (5xx) and p95 in ms per function and minute, the last `MINUTES`
/// minutes up to `now_ms`, oldest first.
pub fn per_function(requests: &[Request], now_ms: i64) -> Value {
    let first_minute = now_ms / 60_000 - (MINUTES - 1);
    let mut by_function: BTreeMap<&str, Vec<Vec<&Request>>> = BTreeMap::new();
    for r in requests {
        let minute = r.at / 60_000 - first_minute;
        if !(0..MINUTES).contains(&minute) {
            continue;
        }
        let slots = by_function
            .entry(r.function.as_str())
            .or_insert_with(|| vec![Vec::new(); MINUTES as usize]);
        slots[minute as usize].push(r);
    }
    let functions: Vec<Value> = by_function
        .into_iter()
        .map(|(function, slots)| {
            let minutes: Vec<Value> = slots
                .iter()
                .enumerate()
                .map(|(i, rs)| {
                    let mut ms: Vec<f64> = rs.iter().map(|r| r.seconds * 1e3).collect();
                    ms.sort_by(f64::total_cmp);
                    let p95 = ms
                        .get(((ms.len() as f64 * 0.95).ceil() as usize).saturating_sub(1))
                        .copied()
                        .unwrap_or(0.0);
                    json!({
                        "minute": (first_minute + i as i64) * 60_000,
                        "requests": rs.len(),
                        "errors": rs.iter().filter(|r| r.status_class == "5xx").count(),
                        "p95_ms": (p95 * 10.0).round() / 10.0,
                    })
                })
                .collect();
            json!({ "function": function, "minutes": minutes })
        })
        .collect();
    json!(functions)
}

/// `GET /_local/ops.json`: what the page shows.
pub async fn data(State(gw): State<Arc<Ops>>) -> Json<Value> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let sqs = crate::dlq::client().await;
    let mut queues = Vec::new();
    for name in &gw.queues {
        let depth = match crate::dlq::queue_url(&sqs, name).await {
            Ok(url) => sqs
                .get_queue_attributes()
                .queue_url(url)
                .attribute_names(
                    aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
                )
                .send()
                .await
                .ok()
                .and_then(|out| {
                    out.attributes()?
                        .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)?
                        .parse::<u64>()
                        .ok()
                }),
            Err(_) => None,
        };
        queues.push(json!({ "name": name, "depth": depth }));
    }
    Json(json!({
        "functions": per_function(&gw.metrics.recent(), now_ms),
        "stream_mappings": gw.mappings.snapshot(),
        "queues": queues,
        "slowest": gw.traces.slowest(10),
    }))
}

/// `POST /_local/dlq/{queue}/replay`: what `gymit-local replay <queue>` does.
pub async fn replay(
    State(gw): State<Arc<Ops>>,
    Path(queue): Path<String>,
) -> (StatusCode, Json<Value>) {
    if !gw.queues.contains(&queue) {
        let message = format!("no queue {queue} in template.yaml");
        return (StatusCode::NOT_FOUND, Json(json!({ "message": message })));
    }
    let template = crate::template::Template::load(&crate::workspace_root().join("template.yaml"));
    let result = match template {
        Ok(template) => crate::replay::replay(&gw.invoker, &template, &queue)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match result {
        Ok((replayed, failing)) => (
            StatusCode::OK,
            Json(json!({ "queue": queue, "replayed": replayed, "still_failing": failing })),
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "message": e })),
        ),
    }
}

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GymIT local ops</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; }
  header, main { padding: 0 1.5rem; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ccc; vertical-align: middle; }
  caption { text-align: left; color: #444; padding: .3rem 0; }
  .num { text-align: right; font-variant-numeric: tabular-nums; }
  svg { display: block; }
  button { font: inherit; padding: .2rem .7rem; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; border-radius: 4px; cursor: pointer; }
  button.link { background: none; color: #1d4ed8; border: none; padding: 0; text-decoration: underline; }
  .bar { position: relative; height: 1.1rem; background: #eef; }
  .bar span { position: absolute; top: 0; bottom: 0; background: #1d4ed8; }
  .bar span.aws { background: #0f766e; }
  #status { color: #444; }
</style>
</head>
<body>
<header><h1>GymIT local ops</h1><p id="status" role="status">Loading…</p></header>
<main>
<section aria-labelledby="functions-h"><h2 id="functions-h">Functions, last 10 minutes</h2>
<table id="functions"><caption>Requests, 5xx errors and p95 duration per minute (oldest left)</caption>
<thead><tr><th scope="col">Function</th><th scope="col">Requests</th><th scope="col">Errors</th><th scope="col">p95 (ms)</th><th scope="col" class="num">Total</th></tr></thead><tbody></tbody></table>
</section>
<section aria-labelledby="streams-h"><h2 id="streams-h">Stream mappings</h2>
<table id="streams"><caption>Each table's stream and the function it feeds</caption>
<thead><tr><th scope="col">Function</th><th scope="col">Table</th><th scope="col" class="num">Records</th><th scope="col" class="num">Failed batches</th><th scope="col" class="num">Lag (ms)</th><th scope="col">Last error</th></tr></thead><tbody></tbody></table>
</section>
<section aria-labelledby="queues-h"><h2 id="queues-h">Dead-letter queues</h2>
<table id="queues"><caption>Events a function gave up on, waiting to be replayed</caption>
<thead><tr><th scope="col">Queue</th><th scope="col" class="num">Messages</th><th scope="col">Replay</th></tr></thead><tbody></tbody></table>
</section>
<section aria-labelledby="slow-h"><h2 id="slow-h">Slowest recent requests</h2>
<table id="slowest"><caption>Open one to see its trace</caption>
<thead><tr><th scope="col">Request</th><th scope="col">Route</th><th scope="col" class="num">Status</th><th scope="col" class="num">Duration (ms)</th></tr></thead><tbody></tbody></table>
<div id="trace" aria-live="polite"></div>
</section>
</main>
<script>
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
};
const NS = 'http://www.w3.org/2000/svg';
function chart(values, label, color) {
  const svg = document.createElementNS(NS, 'svg');
  const max = Math.max(1, ...values);
  svg.setAttribute('width', 120); svg.setAttribute('height', 28);
  svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', `${label}: ${values.join(', ')}`);
  values.forEach((v, i) => {
    const r = document.createElementNS(NS, 'rect');
    const h = Math.round((v / max) * 26);
    r.setAttribute('x', i * 12); r.setAttribute('y', 27 - h); r.setAttribute('width', 10);
    r.setAttribute('height', Math.max(h, 1)); r.setAttribute('fill', v ? color : '#ccc');
    svg.append(r);
  });
  return svg;
}
function fill(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows);
}
async function replay(queue, button) {
  button.disabled = true;
  const res = await fetch(`/_local/dlq/${encodeURIComponent(queue)}/replay`, { method: 'POST' });
  const body = await res.json();
  document.getElementById('status').textContent = res.ok
    ? `${queue}: ${body.replayed} replayed, ${body.still_failing} still failing`
    : `${queue}: ${body.message}`;
  button.disabled = false;
  refresh();
}
async function showTrace(id) {
  const res = await fetch(`/_local/traces/${encodeURIComponent(id)}`);
  const box = document.getElementById('trace');
  if (!res.ok) { box.replaceChildren(el('p', {}, `No trace for ${id}.`)); return; }
  const t = await res.json();
  const rows = [];
  const walk = (doc, depth) => {
    rows.push({ doc, depth });
    for (const s of doc.subsegments ?? []) walk(s, depth + 1);
  };
  for (const d of t.documents) walk(d, d.type === 'subsegment' ? 1 : 0);
  rows.sort((a, b) => a.doc.start_time - b.doc.start_time);
  const start = Math.min(...rows.map((r) => r.doc.start_time));
  const end = Math.max(...rows.map((r) => r.doc.end_time));
  const span = Math.max(end - start, 0.001);
  const table = el('table', { id: 'waterfall' }, el('caption', {}, `Trace ${t.trace_id} of request ${id}`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Span'), el('th', { scope: 'col', class: 'num' }, 'ms'), el('th', { scope: 'col' }, 'When'))));
  const body = el('tbody');
  for (const { doc, depth } of rows) {
    const aws = doc.namespace === 'aws';
    const name = aws ? `${doc.name} ${doc.aws?.operation ?? ''} ${doc.aws?.resource ?? ''}`.trim() : doc.name;
    const bar = el('div', { class: 'bar' });
    const s = el('span', { class: aws ? 'aws' : '' });
    s.style.left = `${((doc.start_time - start) / span) * 100}%`;
    s.style.width = `${Math.max(((doc.end_time - doc.start_time) / span) * 100, 0.5)}%`;
    bar.append(s);
    const cell = el('td', {}, name);
    cell.style.paddingLeft = `${0.5 + depth * 1.2}rem`;
    body.append(el('tr', {}, cell, el('td', { class: 'num' }, ((doc.end_time - doc.start_time) * 1000).toFixed(1)), el('td', {}, bar)));
  }
  table.append(body);
  box.replaceChildren(el('h3', {}, 'Trace waterfall'), table);
}
async function refresh() {
  const res = await fetch('/_local/ops.json');
  const d = await res.json();
  fill('functions', d.functions.map((f) => {
    const req = f.minutes.map((m) => m.requests);
    const err = f.minutes.map((m) => m.errors);
    const p95 = f.minutes.map((m) => m.p95_ms);
    return el('tr', { 'data-function': f.function }, el('th', { scope: 'row' }, f.function),
      el('td', {}, chart(req, `${f.function} requests per minute`, '#1d4ed8')),
      el('td', {}, chart(err, `${f.function} errors per minute`, '#b91c1c')),
      el('td', {}, chart(p95, `${f.function} p95 ms per minute`, '#0f766e')),
      el('td', { class: 'num' }, String(req.reduce((a, b) => a + b, 0))));
  }));
  fill('streams', d.stream_mappings.map((m) => el('tr', {}, el('th', { scope: 'row' }, m.function), el('td', {}, m.table),
    el('td', { class: 'num' }, String(m.records_read)), el('td', { class: 'num' }, String(m.batches_failed)),
    el('td', { class: 'num' }, String(m.iterator_age_ms)), el('td', {}, m.last_error ?? ''))));
  fill('queues', d.queues.map((q) => {
    const b = el('button', { type: 'button', 'aria-label': `Replay ${q.name}` }, 'Replay');
    b.addEventListener('click', () => replay(q.name, b));
    return el('tr', {}, el('th', { scope: 'row' }, q.name), el('td', { class: 'num' }, q.depth == null ? '?' : String(q.depth)), el('td', {}, b));
  }));
  fill('slowest', d.slowest.map((r) => {
    const b = el('button', { type: 'button', class: 'link', 'aria-label': `Trace of request ${r.request_id}` }, r.request_id);
    b.addEventListener('click', () => showTrace(r.request_id));
    return el('tr', {}, el('td', {}, b), el('td', {}, `${r.method} ${r.path}`), el('td', { class: 'num' }, String(r.status)), el('td', { class: 'num' }, r.ms.toFixed(1)));
  }));
  document.getElementById('status').textContent = `Updated ${new Date().toLocaleTimeString()}`;
}
refresh();
setInterval(refresh, 5000);
// `/_local/#trace=<request id>` opens that request's trace (what `x-request-id` names).
const wanted = new URLSearchParams(location.hash.slice(1)).get('trace');
if (wanted) showTrace(wanted);
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    fn request(function: &str, at: i64, seconds: f64, status_class: &str) -> Request {
        Request {
            at,
            function: function.into(),
            route: "GET /api/tournaments".into(),
            status_class: status_class.into(),
            seconds,
        }
    }

    #[test]
    fn requests_are_counted_per_function_and_minute_with_their_p95() {
        let now = 1_765_000_000_000_i64;
        let mut rs: Vec<Request> = (1..=20)
            .map(|i| request("tournaments-list", now - 1_000, f64::from(i) / 1e3, "2xx"))
            .collect();
        rs.push(request("tournaments-list", now - 1_000, 0.5, "5xx"));
        rs.push(request("tournaments-list", now - 11 * 60_000, 9.0, "2xx"));
        rs.push(request("auth-login", now - 3 * 60_000, 0.09, "2xx"));
        let v = per_function(&rs, now);
        let list = &v[1];
        assert_eq!(list["function"], "tournaments-list");
        let minutes = list["minutes"].as_array().unwrap();
        assert_eq!(minutes.len(), 10);
        let last = &minutes[9];
        assert_eq!(last["requests"], 21);
        assert_eq!(last["errors"], 1);
        assert_eq!(last["p95_ms"], 20.0);
        assert_eq!(
            minutes
                .iter()
                .map(|m| m["requests"].as_u64().unwrap())
                .sum::<u64>(),
            21,
            "older than 10 minutes is left out"
        );
        assert_eq!(v[0]["minutes"][6]["requests"], 1);
    }
}
