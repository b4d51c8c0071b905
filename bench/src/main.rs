//! `coldstart`: the cold-start half of `make bench`.
//!
//! For every function of `template.yaml`, its release binary (built next to this one) is
//! started under a minimal Lambda Runtime API served here, and timed from process start to
//! the answer of its first invocation (the function's sample event from `events/`,
//! against moto, which this bench starts and provisions as `make dev` would). In the same
//! run and the same way: the peers of `bench/peers` (a hello-world `lambda_http` function
//! and a bare SDK + GetItem function) and the same GetItem in Python 3.11 with boto3 under
//! `awslambdaric` (`target/bench/py`, see `bench/peers/python`).
//!
//! Each start is a fresh process; rounds go through every binary in turn (after one
//! uncounted warm-up round), so a busy moment of the machine falls on all of them alike.
//! Reported per binary: median and p90 of the start times, peak RSS (`VmHWM` of
//! `/proc/<pid>/status` right after the answer), the size of `bootstrap.zip` (this
//! machine's binary zipped; the arm64 one of `make build` too when it exists), and the
//! budgets of DESIGN.md "Performance" as pass/fail. A report, not a test: it exits 0
//! whatever the budgets say, unless nothing could be measured.
//!
//! Usage: `coldstart [NAME_PART…]` (only the binaries whose name contains one of them);
//! `COLDSTART_RUNS` (default 11) starts per binary. Writes `<target>/bench/coldstart.json`.
//!
//! `COLDSTART_TRACES=compare` is the cost of tracing (issue 30) in the same run: every
//! start is made twice, once as today (no X-Ray daemon, an unsampled trace) and once
//! traced (`AWS_XRAY_DAEMON_ADDRESS` at a UDP socket here that counts the segment
//! documents, a sampled trace on every invocation), and each start then answers
//! `COLDSTART_WARM` (default 100) more invocations, timed one by one: the cold start and a
//! warm request's time with and without traces, side by side. The EMF metric lines are
//! written in both (they are how a function reports at all); what one costs per request is
//! timed here too, formatting and writing `service_requests_total`'s line to /dev/null.
//! Writes `<target>/bench/tracing_cost.json`.

use std::{
    collections::BTreeMap,
    net::TcpListener as StdListener,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::{Path as UrlPath, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use gymit_local::{provision, template::Template};
use serde_json::{json, Value};
use tokio::{process::Command, sync::oneshot};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The budgets (DESIGN.md "Performance", issue 15).
const SLOWER_THAN_SDK_PEER: f64 = 1.3;
const FASTER_THAN_PYTHON: f64 = 15.0;
const RSS_MB: f64 = 14.0;
const ZIP_MB: f64 = 5.0;
/// Their handlers hash with argon2id (m = 19 MiB) on the sample event: the RSS budget
/// excludes the hash's own memory.
const ARGON2: &[&str] = &[
    "auth-login",
    "auth-register",
    "auth-password",
    "auth-bootstrap-admin",
];
const SDK_PEER: &str = "peer-sdk-getitem";
const PY_PEER: &str = "peer-python-boto3";
const HELLO_PEER: &str = "peer-hello";

/// How a start ended.
#[derive(Debug, Clone)]
enum Outcome {
    /// The invocation's response (its HTTP status when it is an API Gateway response).
    Response(Bytes),
    /// The runtime reported an invocation error or an init error.
    Error(String),
}

/// What the stub hands out next and whom it tells about the answer.
#[derive(Default)]
struct Slot {
    /// The next invocation: its request id, event and `Lambda-Runtime-Trace-Id`.
    event: Option<(String, Bytes, &'static str)>,
    answered: Option<oneshot::Sender<(Instant, Outcome)>>,
}

type Stub = Arc<Mutex<Slot>>;

/// Wakes a runtime's pending `next` poll when the stub has an event for it.
static EVENT_READY: tokio::sync::Notify = tokio::sync::Notify::const_new();
/// The trace header of an invocation: unsampled, or sampled while tracing is compared.
const UNSAMPLED: &str = "Root=1-00000000-000000000000000000000000";
const SAMPLED: &str = "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8;Sampled=1";

fn answer(stub: &Stub, outcome: Outcome) {
    let at = Instant::now();
    let tx = stub.lock().ok().and_then(|mut s| s.answered.take());
    if let Some(tx) = tx {
        let _ = tx.send((at, outcome));
    }
}

async fn next(State(stub): State<Stub>) -> impl IntoResponse {
    // The event, as soon as there is one (a warm invocation is handed out while the
    // process waits here); a process is killed before its last poll answers.
    let deadline = Instant::now() + Duration::from_secs(600);
    let event = loop {
        if let Some(event) = stub.lock().ok().and_then(|mut s| s.event.take()) {
            break Some(event);
        }
        if tokio::time::timeout_at(deadline.into(), EVENT_READY.notified())
            .await
            .is_err()
        {
            break None;
        }
    };
    match event {
        Some((id, body, trace)) => {
            let deadline = chrono::Utc::now().timestamp_millis() + 10_000;
            let mut headers = HeaderMap::new();
            let mut set = |k: &'static str, v: String| {
                if let Ok(v) = v.parse() {
                    headers.insert(k, v);
                }
            };
            set("lambda-runtime-aws-request-id", id);
            set("lambda-runtime-deadline-ms", deadline.to_string());
            set(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench".into(),
            );
            set("lambda-runtime-trace-id", trace.into());
            set("content-type", "application/json".into());
            (StatusCode::OK, headers, body)
        }
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            HeaderMap::new(),
            Bytes::new(),
        ),
    }
}

async fn response(
    State(stub): State<Stub>,
    UrlPath(_id): UrlPath<String>,
    body: Bytes,
) -> StatusCode {
    answer(&stub, Outcome::Response(body));
    StatusCode::ACCEPTED
}

async fn error(State(stub): State<Stub>, UrlPath(_id): UrlPath<String>, body: Bytes) -> StatusCode {
    answer(
        &stub,
        Outcome::Error(String::from_utf8_lossy(&body).into_owned()),
    );
    StatusCode::ACCEPTED
}

async fn init_error(State(stub): State<Stub>, body: Bytes) -> StatusCode {
    answer(
        &stub,
        Outcome::Error(String::from_utf8_lossy(&body).into_owned()),
    );
    StatusCode::ACCEPTED
}

/// The Lambda Invoke API, for the functions that call another (register, bootstrap-admin):
/// the bench runs one function at a time, so the callee is "unavailable", and the caller
/// answers with its error (the row's `answer` column says so).
async fn invoke() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("x-amzn-errortype", "ServiceException")],
        r#"{"message":"not part of the cold-start bench"}"#,
    )
}

/// One binary to start.
struct Subject {
    name: String,
    command: PathBuf,
    args: Vec<String>,
    dir: Option<PathBuf>,
    event: Bytes,
    /// What ships: the binary behind `bootstrap` (none for the Python peer).
    binary: Option<PathBuf>,
}

/// One timed start.
struct Start {
    ms: f64,
    hwm_kb: Option<u64>,
    outcome: Outcome,
    /// The warm invocations' times (`COLDSTART_TRACES=compare`).
    warm_ms: Vec<f64>,
}

fn free_port() -> Result<u16, Error> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn vm_hwm_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Hands out the next invocation (a waiting `next` poll is woken) and returns where its
/// answer will arrive.
fn hand_out(
    stub: &Stub,
    id: String,
    event: &Bytes,
    trace: &'static str,
) -> Result<oneshot::Receiver<(Instant, Outcome)>, Error> {
    let (tx, rx) = oneshot::channel();
    {
        let mut slot = stub.lock().map_err(|_| "stub lock poisoned")?;
        slot.event = Some((id, event.clone(), trace));
        slot.answered = Some(tx);
    }
    EVENT_READY.notify_one();
    Ok(rx)
}

/// Starts `subject`, times its first invocation, then `warm` more of the same process;
/// every invocation carries `trace` as its trace header.
async fn start_once(
    stub: &Stub,
    subject: &Subject,
    env: &BTreeMap<String, String>,
    n: usize,
    warm: usize,
    trace: &'static str,
) -> Result<Start, Error> {
    let rx = hand_out(stub, format!("bench-{n}"), &subject.event, trace)?;
    let mut cmd = Command::new(&subject.command);
    cmd.args(&subject.args)
        .env_clear()
        .envs(env)
        .env("AWS_LAMBDA_FUNCTION_NAME", &subject.name)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("COLDSTART_VERBOSE").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .kill_on_drop(true);
    if let Some(dir) = &subject.dir {
        cmd.current_dir(dir);
    }
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id().ok_or("the process has no id")?;
    // The answer, unless the process exits first (a failed init that did not say so).
    let answered = tokio::select! {
        a = tokio::time::timeout(Duration::from_secs(15), rx) => Some(a),
        status = child.wait() => {
            let _ = status.map(|s| eprintln!("{}: exited ({s}) without answering", subject.name));
            None
        }
    };
    let hwm_kb = vm_hwm_kb(pid);
    let (at, outcome) = match answered {
        Some(Ok(Ok(v))) => v,
        Some(Ok(Err(_))) => return Err(format!("{}: the stub went away", subject.name).into()),
        Some(Err(_)) => return Err(format!("{}: no answer within 15 s", subject.name).into()),
        None => return Err(format!("{}: no answer (exited)", subject.name).into()),
    };
    // Warm invocations of the same process, each timed from the moment its event is
    // there to its answer.
    let mut warm_ms = Vec::with_capacity(warm);
    for i in 0..warm {
        let handed = Instant::now();
        let rx = hand_out(stub, format!("bench-{n}-{i}"), &subject.event, trace)?;
        match tokio::time::timeout(Duration::from_secs(15), rx).await {
            Ok(Ok((at, _))) => warm_ms.push(at.duration_since(handed).as_secs_f64() * 1e3),
            _ => return Err(format!("{}: warm invocation {i} not answered", subject.name).into()),
        }
    }
    let _ = child.kill().await;
    Ok(Start {
        ms: at.duration_since(started).as_secs_f64() * 1e3,
        hwm_kb,
        outcome,
        warm_ms,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
            .map_or_else(|| "answered".to_string(), |s| s.to_string()),
        Outcome::Error(_) => "error".to_string(),
    }
}

/// `bootstrap.zip` of `binary` (deflate, as `cargo lambda build --output-format zip`).
fn zip_size(binary: &Path, out_dir: &Path) -> Option<u64> {
    let dir = out_dir.join(binary.file_name()?);
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::copy(binary, dir.join("bootstrap")).ok()?;
    let zip = dir.join("bootstrap.zip");
    let _ = std::fs::remove_file(&zip);
    let ok = std::process::Command::new("zip")
        .current_dir(&dir)
        .args(["-q", "-X", "bootstrap.zip", "bootstrap"])
        .status()
        .ok()?
        .success();
    let _ = std::fs::remove_file(dir.join("bootstrap"));
    ok.then(|| std::fs::metadata(&zip).ok().map(|m| m.len()))?
}

fn mb(bytes: f64) -> f64 {
    bytes / 1e6
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "FAIL"
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let filters: Vec<String> = std::env::args().skip(1).collect();
    let runs: usize = std::env::var("COLDSTART_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or(11);
    let root = gymit_local::workspace_root();
    let bin_dir = std::env::current_exe()?
        .parent()
        .ok_or("no directory for this binary")?
        .to_path_buf();
    let target = bin_dir.parent().unwrap_or(&bin_dir).to_path_buf();
    let out_dir = target.join("bench");
    std::fs::create_dir_all(&out_dir)?;

    // The emulator, provisioned from the template.
    let moto_port = free_port()?;
    let python = root.join(".venv/bin/python");
    // moto as the local stack launches it (local/emulator.py, which patches it, or
    // before that local/moto_serial.py).
    let launcher = ["local/emulator.py", "local/moto_serial.py"]
        .iter()
        .map(|p| root.join(p))
        .find(|p| p.exists())
        .ok_or("neither local/emulator.py nor local/moto_serial.py exists")?;
    let _moto = Command::new(&python)
        .arg(&launcher)
        .args(["-H", "127.0.0.1", "-p", &moto_port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            format!(
                "{}: {e} (run make dev once: it creates .venv)",
                python.display()
            )
        })?;
    let endpoint = format!("http://127.0.0.1:{moto_port}");
    let waited = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", moto_port))
        .await
        .is_err()
    {
        if waited.elapsed() > Duration::from_secs(30) {
            return Err("moto did not start within 30 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (k, v) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        std::env::set_var(k, v);
    }
    let mut template = Template::load(&root.join("template.yaml"))?;
    provision::provision(&mut template, true).await?;

    // The Runtime API stub.
    let stub: Stub = Arc::default();
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("runtime API stub: {e}");
        }
    });
    let stub_url = format!("http://{api}");

    let mut env = provision::local_environment(&template, &endpoint, &stub_url)?;
    let tables: BTreeMap<String, String> = template
        .tables()
        .into_iter()
        .map(|(logical, name, _)| (logical, name))
        .collect();
    for (k, v) in [
        ("AWS_LAMBDA_RUNTIME_API", api.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_DEFAULT_REGION", "us-east-1".into()),
        ("LOG_FORMAT", "json".into()),
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("LANG", "C.UTF-8".into()),
        (
            "PEER_TABLE",
            tables
                .get("TournamentsTable")
                .cloned()
                .unwrap_or_else(|| "peer".into()),
        ),
    ] {
        env.insert(k.to_string(), v);
    }

    // Who runs.
    let event = |name: &str| -> Result<Bytes, Error> {
        let path = root.join("events").join(format!("{name}.json"));
        Ok(Bytes::from(
            std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
        ))
    };
    let mut subjects = Vec::new();
    let mut missing = Vec::new();
    let binary = |name: &str| bin_dir.join(name);
    for (name, sample) in [
        (HELLO_PEER, "tournaments-healthz"),
        (SDK_PEER, "tournaments-get"),
    ] {
        subjects.push(Subject {
            name: name.into(),
            command: binary(name),
            args: Vec::new(),
            dir: None,
            event: event(sample)?,
            binary: Some(binary(name)),
        });
    }
    let py = target.join("bench/py/bin/python");
    if py.exists() {
        subjects.push(Subject {
            name: PY_PEER.into(),
            command: py,
            args: vec!["-m".into(), "awslambdaric".into(), "handler.handler".into()],
            dir: Some(root.join("bench/peers/python")),
            event: event("tournaments-get")?,
            binary: None,
        });
    } else {
        missing.push(format!(
            "{PY_PEER} ({} is missing: make bench creates it)",
            py.display()
        ));
    }
    let mut functions: Vec<String> = template.functions().into_iter().map(|f| f.binary).collect();
    functions.sort();
    for name in functions {
        let Ok(sample) = event(&name) else {
            missing.push(format!("{name} (no sample event in events/)"));
            continue;
        };
        subjects.push(Subject {
            command: binary(&name),
            args: Vec::new(),
            dir: None,
            event: sample,
            binary: Some(binary(&name)),
            name,
        });
    }
    let is_peer = |n: &str| [HELLO_PEER, SDK_PEER, PY_PEER].contains(&n);
    subjects.retain(|s| {
        is_peer(&s.name)
            || filters.is_empty()
            || filters.iter().any(|f| s.name.contains(f.as_str()))
    });
    subjects.retain(|s| {
        let there = s.command.exists();
        if !there {
            missing.push(format!("{} ({} is not built)", s.name, s.command.display()));
        }
        there
    });

    if std::env::var("COLDSTART_TRACES").as_deref() == Ok("compare") {
        subjects.retain(|s| s.name != PY_PEER);
        return tracing_cost(&stub, &subjects, &env, runs, &out_dir).await;
    }

    // Rounds: one warm-up (page cache, .pyc files), then `runs` counted.
    println!(
        "cold starts: {} binaries x {runs} starts (+1 warm-up) under a Runtime API stub, moto at {endpoint}",
        subjects.len()
    );
    let mut starts: Vec<Vec<Start>> = subjects.iter().map(|_| Vec::new()).collect();
    let mut n = 0;
    for round in 0..=runs {
        for (i, s) in subjects.iter().enumerate() {
            n += 1;
            match start_once(&stub, s, &env, n, 0, UNSAMPLED).await {
                Ok(start) if round > 0 => starts[i].push(start),
                Ok(_) => {}
                Err(e) => eprintln!("{e}"),
            }
        }
    }

    // The table.
    struct Row {
        name: String,
        answer: String,
        error: Option<String>,
        p50: f64,
        p90: f64,
        rss_mb: f64,
        zip_mb: Option<f64>,
        arm64_zip_mb: Option<f64>,
        starts: usize,
    }
    let zips = out_dir.join("zips");
    let rows: Vec<Row> = subjects
        .iter()
        .zip(&starts)
        .filter(|(_, st)| !st.is_empty())
        .map(|(s, st)| {
            let mut ms: Vec<f64> = st.iter().map(|x| x.ms).collect();
            ms.sort_by(f64::total_cmp);
            let rss = st.iter().filter_map(|x| x.hwm_kb).max().unwrap_or(0);
            let arm64 = root
                .join("target/lambda")
                .join(&s.name)
                .join("bootstrap.zip");
            Row {
                name: s.name.clone(),
                answer: describe(&st[0].outcome),
                error: match &st[0].outcome {
                    Outcome::Error(e) => Some(e.chars().take(300).collect()),
                    Outcome::Response(_) => None,
                },
                p50: percentile(&ms, 0.5),
                p90: percentile(&ms, 0.9),
                rss_mb: mb(rss as f64 * 1024.0),
                zip_mb: s
                    .binary
                    .as_deref()
                    .and_then(|b| zip_size(b, &zips))
                    .map(|z| mb(z as f64)),
                arm64_zip_mb: std::fs::metadata(arm64).ok().map(|m| mb(m.len() as f64)),
                starts: st.len(),
            }
        })
        .collect();
    if rows.is_empty() {
        return Err("nothing could be measured".into());
    }
    let p50_of = |n: &str| rows.iter().find(|r| r.name == n).map(|r| r.p50);
    let sdk = p50_of(SDK_PEER);
    let python = p50_of(PY_PEER);

    println!();
    println!("| binary | answer | p50 ms | p90 ms | peak RSS MB | zip MB (x86_64) | ≤ {SLOWER_THAN_SDK_PEER}× SDK peer | ≥ {FASTER_THAN_PYTHON}× Python | RSS ≤ {RSS_MB} MB | zip ≤ {ZIP_MB} MB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut json_rows = Vec::new();
    let mut failures = 0;
    for r in &rows {
        let peer = is_peer(&r.name);
        let vs_sdk = sdk.map(|s| r.p50 <= SLOWER_THAN_SDK_PEER * s);
        let vs_py = python.map(|p| p / r.p50 >= FASTER_THAN_PYTHON);
        let rss_ok = r.rss_mb <= RSS_MB;
        let argon2 = ARGON2.contains(&r.name.as_str());
        let zip_ok = r.zip_mb.map(|z| z <= ZIP_MB);
        let cell = |v: Option<bool>| v.map_or("n/a", verdict);
        let (c_sdk, c_py, c_rss, c_zip) = if peer {
            ("peer", "peer", "peer", "peer")
        } else {
            (
                cell(vs_sdk),
                cell(vs_py),
                if argon2 && !rss_ok {
                    "excepted (argon2)"
                } else {
                    verdict(rss_ok)
                },
                cell(zip_ok),
            )
        };
        if !peer {
            failures += [vs_sdk, vs_py, Some(rss_ok || argon2), zip_ok]
                .iter()
                .filter(|v| **v == Some(false))
                .count();
        }
        let zip = r.zip_mb.map_or("–".to_string(), |z| format!("{z:.2}"));
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {zip} | {c_sdk} | {c_py} | {c_rss} | {c_zip} |",
            r.name, r.answer, r.p50, r.p90, r.rss_mb
        );
        json_rows.push(json!({
            "binary": r.name,
            "peer": peer,
            "answer": r.answer,
            "error": r.error,
            "starts": r.starts,
            "p50_ms": r.p50,
            "p90_ms": r.p90,
            "peak_rss_mb": r.rss_mb,
            "zip_mb_x86_64": r.zip_mb,
            "zip_mb_arm64": r.arm64_zip_mb,
            "budgets": if peer { Value::Null } else { json!({
                "vs_sdk_peer": vs_sdk,
                "vs_python": vs_py,
                "rss": if argon2 && !rss_ok { Value::String("excepted: argon2".into()) } else { json!(rss_ok) },
                "zip": zip_ok,
            })},
        }));
    }
    println!();
    if let (Some(s), Some(p)) = (sdk, python) {
        println!(
            "budgets: p50 ≤ {:.1} ms ({SLOWER_THAN_SDK_PEER}× {SDK_PEER}) and ≤ {:.1} ms (Python ÷ {FASTER_THAN_PYTHON}); {failures} budget(s) failed",
            SLOWER_THAN_SDK_PEER * s,
            p / FASTER_THAN_PYTHON
        );
    }
    if rows.iter().any(|r| r.arm64_zip_mb.is_some()) {
        println!("arm64 zips of `make build` found in target/lambda: see coldstart.json");
    } else {
        println!("zip sizes are of this machine's x86_64 release binaries; arm64 ones come from `make build`");
    }
    for m in &missing {
        println!("not measured: {m}");
    }
    let report = json!({
        "measured_at": chrono::Utc::now().to_rfc3339(),
        "method": "release binary, process start to the first answered invocation of its sample event under a Lambda Runtime API stub, against moto; one warm-up start uncounted",
        "starts_per_binary": runs,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "budgets": {
            "p50_vs_sdk_peer_max": SLOWER_THAN_SDK_PEER,
            "python_over_p50_min": FASTER_THAN_PYTHON,
            "peak_rss_mb_max": RSS_MB,
            "rss_excepted": ARGON2,
            "zip_mb_max": ZIP_MB,
        },
        "failed_budgets": failures,
        "not_measured": missing,
        "rows": json_rows,
    });
    let file = out_dir.join("coldstart.json");
    std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
    println!("written: {}", file.display());
    Ok(())
}

/// One mode's samples of one subject.
#[derive(Default)]
struct Mode {
    cold_ms: Vec<f64>,
    warm_ms: Vec<f64>,
    /// Segment documents the daemon received during its starts.
    documents: usize,
}

/// `COLDSTART_TRACES=compare`: each subject started untraced and traced in turn, `runs`
/// times each after a warm-up round, with `COLDSTART_WARM` warm invocations per start.
async fn tracing_cost(
    stub: &Stub,
    subjects: &[Subject],
    env: &BTreeMap<String, String>,
    runs: usize,
    out_dir: &Path,
) -> Result<(), Error> {
    let warm: usize = std::env::var("COLDSTART_WARM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    // The daemon: counts the segment documents the traced starts send.
    let daemon = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    let mut traced_env = env.clone();
    traced_env.insert(
        "AWS_XRAY_DAEMON_ADDRESS".into(),
        daemon.local_addr()?.to_string(),
    );
    let documents = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = documents.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65_536];
        while daemon.recv(&mut buf).await.is_ok() {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    println!(
        "tracing cost: {} binaries x {runs} starts (+1 warm-up) x {warm} warm invocations, untraced and traced in turn",
        subjects.len()
    );
    // [subject][traced]
    let mut samples: Vec<[Mode; 2]> = subjects.iter().map(|_| Default::default()).collect();
    let mut n = 0;
    for round in 0..=runs {
        for (i, s) in subjects.iter().enumerate() {
            for traced in [false, true] {
                n += 1;
                let trace = if traced { SAMPLED } else { UNSAMPLED };
                let before = documents.load(std::sync::atomic::Ordering::Relaxed);
                let env = if traced { &traced_env } else { env };
                match start_once(stub, s, env, n, warm, trace).await {
                    Ok(start) if round > 0 => {
                        // The last datagrams may still be in flight: a moment for them.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let sent = documents.load(std::sync::atomic::Ordering::Relaxed) - before;
                        let mode = &mut samples[i][usize::from(traced)];
                        mode.cold_ms.push(start.ms);
                        mode.warm_ms.extend(start.warm_ms);
                        mode.documents += sent;
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!("{e}"),
                }
            }
        }
    }
    let emf_us = emf_line_cost_us();
    println!();
    println!("| binary | cold p50 ms, untraced | traced | cold + % | warm p50 ms, untraced | traced | warm + ms | segment documents per invocation |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut rows = Vec::new();
    for (s, [off, on]) in subjects.iter().zip(&samples) {
        if off.cold_ms.is_empty() || on.cold_ms.is_empty() {
            continue;
        }
        let p50 = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            percentile(&v, 0.5)
        };
        let (cold_off, cold_on) = (p50(&off.cold_ms), p50(&on.cold_ms));
        let (warm_off, warm_on) = (p50(&off.warm_ms), p50(&on.warm_ms));
        let invocations = on.cold_ms.len() * (1 + warm);
        let per_invocation = on.documents as f64 / invocations as f64;
        println!(
            "| {} | {cold_off:.1} | {cold_on:.1} | {:+.1} % | {warm_off:.2} | {warm_on:.2} | {:+.2} | {per_invocation:.1} |",
            s.name,
            (cold_on / cold_off - 1.0) * 100.0,
            warm_on - warm_off
        );
        rows.push(json!({
            "binary": s.name,
            "cold_p50_ms": { "untraced": cold_off, "traced": cold_on },
            "warm_p50_ms": { "untraced": warm_off, "traced": warm_on },
            "warm_invocations": { "untraced": off.warm_ms.len(), "traced": on.warm_ms.len() },
            "segment_documents_per_traced_invocation": per_invocation,
        }));
    }
    println!();
    println!(
        "one request's EMF line (service_requests_total, …), formatted and written: {emf_us:.2} µs (in both columns)"
    );
    let report = json!({
        "measured_at": chrono::Utc::now().to_rfc3339(),
        "method": "each binary started untraced (no daemon, unsampled trace) and traced (daemon address, sampled trace) in turn; cold: process start to the first answer; warm: event handed out to answer, in the same process",
        "starts_per_mode": runs,
        "warm_invocations_per_start": warm,
        "budget": { "cold_start_increase_max_percent": 10.0, "per_request_max_ms": 1.0 },
        "emf_line_us": emf_us,
        "rows": rows,
    });
    let file = out_dir.join("tracing_cost.json");
    std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
    println!("written: {}", file.display());
    Ok(())
}

/// What one request's EMF line costs: `metrics::request`'s line, formatted and written to
/// /dev/null, the mean of 20,000.
fn emf_line_cost_us() -> f64 {
    use std::io::Write;
    let Ok(mut sink) = std::fs::OpenOptions::new().write(true).open("/dev/null") else {
        return f64::NAN;
    };
    let n: u32 = 20_000;
    let started = Instant::now();
    for i in 0..n {
        let line = gymit_shared::metrics::request_line(
            "tournaments-get",
            "GET /api/tournaments/{id}",
            200,
            Duration::from_micros(u64::from(i)),
        );
        let _ = writeln!(sink, "{line}");
    }
    started.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}
