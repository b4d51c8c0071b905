//! `gymit-local dev` and `gymit-local test-env`: the whole stack as one supervised unit.
//!
//! Starts the emulator (moto from `.venv`, unless `AWS_ENDPOINT_URL` names a running one),
//! provisions it, builds every function once, starts `cargo lambda watch`, serves the
//! gateway in-process, creates the root admin, and says when it is ready. Children run in
//! their own process groups; Ctrl-C, SIGTERM, the end of the test command, or the death of
//! any child stops them all. No pid files: nothing is left to go stale.

use std::{
    net::TcpListener as StdListener,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::{
    process::{Child, Command},
    signal::unix::{signal, SignalKind},
};

use crate::{gateway::Gateway, provision, template::Template, Error};

pub struct Ports {
    pub gateway: u16,
    pub lambda: u16,
    pub emulator: u16,
}

impl Ports {
    pub fn fixed() -> Ports {
        Ports {
            gateway: 8000,
            lambda: 9000,
            emulator: 4566,
        }
    }

    /// Free ports from the OS, so a test stack never collides with `make dev`.
    pub fn free() -> Result<Ports, Error> {
        let free =
            || -> Result<u16, Error> { Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port()) };
        Ok(Ports {
            gateway: free()?,
            lambda: free()?,
            emulator: free()?,
        })
    }
}

struct Supervised {
    name: &'static str,
    child: Child,
}

/// The running stack; dropping it does not stop it, `stop` does.
pub struct Stack {
    children: Vec<Supervised>,
    /// In-process work (gateway, stream pollers), stopped before the children.
    tasks: Vec<tokio::task::JoinHandle<()>>,
    gateway: Option<Arc<Gateway>>,
    pub gateway_url: String,
    pub lambda_url: String,
    pub endpoint: String,
    pub env: std::collections::BTreeMap<String, String>,
    /// The emulator's process, when this stack started it (its memory is watched by the
    /// soak test).
    pub emulator_pid: Option<u32>,
    /// The functions' environment file (`.gymit/functions-<port>.env`), removed at stop.
    env_file: Option<PathBuf>,
}

fn spawn(name: &'static str, cmd: &mut Command) -> Result<Supervised, Error> {
    cmd.process_group(0).kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("starting {name}: {e}"))?;
    Ok(Supervised { name, child })
}

async fn wait_for_port(port: u16, what: &str, timeout: Duration) -> Result<(), Error> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "{what} did not open port {port} within {}s",
        timeout.as_secs()
    )
    .into())
}

fn ensure_free(port: u16, what: &str) -> Result<(), Error> {
    StdListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| {
            format!("port {port} ({what}) is already in use: is another `make dev` running?").into()
        })
}

/// `cargo lambda watch` starts every function instance with `cargo run --bin <name>`, and
/// with several instances per function those runs queue on cargo's build lock (0.2 s to 2 s
/// each) before the function even starts. This shim, given to watch as `CARGO`, starts the
/// built binary directly when it is newer than every source file it was built from (cargo's
/// dep-info, `<bin>.d`, lists them: a test, another crate or `Cargo.lock` changed since
/// does not count, as cargo would not relink the binary for them), and falls back to the
/// real `cargo run` (which rebuilds: hot reload still works) when it is not. A test stack (no hot reload) sets `GYMIT_PREBUILT=1`: it
/// runs the binaries its own build just produced, whatever is edited meanwhile.
fn write_cargo_shim(root: &Path) -> Result<PathBuf, Error> {
    let real = String::from_utf8(
        std::process::Command::new("rustup")
            .args(["which", "cargo"])
            .output()?
            .stdout,
    )
    .ok()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
    .unwrap_or_else(|| "cargo".into());
    let dir = root.join(".gymit");
    std::fs::create_dir_all(&dir)?;
    let shim = dir.join("cargo-shim");
    let script = format!(
        r#"#!/bin/sh
# Written by gymit-local: see write_cargo_shim in local/src/supervisor.rs.
if [ "$1" = run ]; then
  bin=""; prev=""
  for a in "$@"; do [ "$prev" = --bin ] && bin="$a"; prev="$a"; done
  exe="{debug}/$bin"
  # A test stack built every binary just before it started: run what it built.
  if [ -n "$bin" ] && [ -x "$exe" ] && [ "$GYMIT_PREBUILT" = 1 ]; then
    exec "$exe"
  fi
  if [ -n "$bin" ] && [ -x "$exe" ] && [ -f "$exe.d" ]; then
    # Paths in dep-info are space-separated; the workspace path has no spaces.
    sources=$(sed 's/^[^:]*://' "$exe.d")
    if [ -z "$(find $sources -newer "$exe" -print -quit 2>&1)" ]; then
      exec "$exe"
    fi
  fi
fi
exec {real} "$@"
"#,
        debug = crate::debug_dir().display(),
        real = real
    );
    std::fs::write(&shim, script)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755))?;
    Ok(shim)
}

fn venv_bin(root: &Path) -> PathBuf {
    root.join(".venv").join("bin")
}

impl Stack {
    /// Brings the stack up. `reuse_emulator`: use `AWS_ENDPOINT_URL` if it is set.
    pub async fn start(
        ports: Ports,
        reuse_emulator: bool,
        hot_reload: bool,
    ) -> Result<Stack, Error> {
        let root = crate::workspace_root();
        let bin = venv_bin(&root);
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut children = Vec::new();

        // 1. The emulator.
        let mut emulator_pid = None;
        let external = std::env::var("AWS_ENDPOINT_URL")
            .ok()
            .filter(|_| reuse_emulator);
        let endpoint = match external {
            Some(url) => {
                println!("using the emulator at {url}");
                url
            }
            None => {
                ensure_free(ports.emulator, "emulator")?;
                // moto with the fixes of local/emulator.py, one request at a time.
                let python = bin.join("python");
                if !python.exists() {
                    return Err(format!(
                        "{} is missing: run `make dev` (it creates .venv)",
                        python.display()
                    )
                    .into());
                }
                let emulator = spawn(
                    "moto",
                    Command::new(python)
                        .arg(root.join("local").join("emulator.py"))
                        .args(["-H", "127.0.0.1", "-p", &ports.emulator.to_string()])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null()),
                )?;
                emulator_pid = emulator.child.id();
                children.push(emulator);
                wait_for_port(ports.emulator, "moto", Duration::from_secs(30)).await?;
                format!("http://127.0.0.1:{}", ports.emulator)
            }
        };
        for (k, v) in [
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ] {
            std::env::set_var(k, v);
        }
        for (k, v) in [
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ] {
            if std::env::var(k).is_err() {
                std::env::set_var(k, v);
            }
        }
        let mut stack = Stack {
            children,
            tasks: Vec::new(),
            gateway: None,
            gateway_url: format!("http://127.0.0.1:{}", ports.gateway),
            lambda_url: format!("http://127.0.0.1:{}", ports.lambda),
            endpoint,
            env: Default::default(),
            emulator_pid,
            env_file: None,
        };
        match stack.bring_up(&root, &path, &ports, hot_reload).await {
            Ok(()) => Ok(stack),
            Err(e) => {
                stack.stop().await;
                Err(e)
            }
        }
    }

    async fn bring_up(
        &mut self,
        root: &Path,
        path: &str,
        ports: &Ports,
        hot_reload: bool,
    ) -> Result<(), Error> {
        // 2. Tables, topics and the functions' environment.
        let mut template = Template::load(&root.join("template.yaml"))?;
        provision::provision(&mut template, true).await?;
        let env = provision::local_environment(
            &template,
            &self.endpoint,
            &self.lambda_url,
            &self.gateway_url,
        )?;
        let env_file = root
            .join(".gymit")
            .join(format!("functions-{}.env", ports.lambda));
        provision::write_env_file(&env_file, &env)?;
        self.env_file = Some(env_file.clone());
        self.env = env;
        println!(
            "provisioned {} tables and {} topics",
            template.tables().len(),
            template.topics().len()
        );

        // 3. Every function built once, so no request waits for a compile. `cargo lambda
        // watch` starts each instance with `cargo run --bin <name>` at the workspace root,
        // which resolves features for the whole workspace: build the same way, so its runs
        // find everything fresh.
        let started = Instant::now();
        let status = Command::new("cargo")
            .current_dir(root)
            .env("PATH", path)
            .args(["build", "--workspace", "--bins"])
            .status()
            .await?;
        if !status.success() {
            return Err("building the functions failed".into());
        }
        println!("functions built in {:.1}s", started.elapsed().as_secs_f64());

        // 4. The Lambda runtime: cargo lambda watch.
        ensure_free(ports.lambda, "cargo lambda watch")?;
        ensure_free(ports.gateway, "gateway")?;
        let mut watch = Command::new(root.join(".venv/bin/cargo-lambda"));
        // cargo-lambda's watcher walks its working directory (with .venv and target, tens
        // of thousands of entries) every time it starts a function instance: ~0.7 s of
        // CPU each (perf, issue 12), seconds for a burst of new instances. A stack that
        // does not reload runs it from an empty directory.
        let watch_dir = if hot_reload {
            root.to_path_buf()
        } else {
            let dir = root.join(".gymit").join("watch");
            std::fs::create_dir_all(&dir)?;
            dir
        };
        watch
            .current_dir(&watch_dir)
            .env("PATH", path)
            .env("CARGO", write_cargo_shim(root)?)
            .args([
                "lambda",
                "watch",
                "-A",
                "127.0.0.1",
                "-P",
                &ports.lambda.to_string(),
            ])
            .args(["--concurrency", &crate::concurrency().to_string()])
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .arg("--env-file")
            .arg(&env_file);
        if !hot_reload {
            watch.arg("--ignore-changes").env("GYMIT_PREBUILT", "1");
        }
        if std::env::var("GYMIT_VERBOSE").is_err() && !hot_reload {
            watch.stdout(Stdio::null()).stderr(Stdio::null());
        }
        self.children.push(spawn("cargo lambda watch", &mut watch)?);
        wait_for_port(ports.lambda, "cargo lambda watch", Duration::from_secs(120)).await?;

        // 5. The gateway, in this process.
        let gateway = Arc::new(Gateway::new(&template, &self.lambda_url));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", ports.gateway)).await?;
        let serve = crate::gateway::serve(gateway.clone(), listener);
        self.tasks.push(tokio::spawn(async move {
            if let Err(e) = serve.await {
                eprintln!("gateway: {e}");
            }
        }));
        crate::sns::subscribe(&template, &self.gateway_url).await?;
        self.tasks
            .extend(crate::streams::start(&template, gateway.clone()));
        self.gateway = Some(gateway.clone());

        // 6. One instance of every function, then the root admin (whose bootstrap invokes
        // users-create: on a cold, busy machine that start alone can outlast an attempt).
        self.warm_up(&template, &gateway).await;

        if template
            .functions()
            .iter()
            .any(|f| f.binary == "auth-bootstrap-admin")
        {
            // It is idempotent, and on a stack this fresh its first call may outlast the
            // cold start of the users-create it invokes (seconds under hot reload): try
            // again before giving up.
            let mut attempt = 1;
            let v = loop {
                match gateway
                    .invoke("auth-bootstrap-admin", &serde_json::json!({}))
                    .await
                {
                    Ok(v) => break v,
                    Err((_, _, detail)) if attempt < 3 => {
                        println!("creating the root admin: attempt {attempt} failed ({detail}); trying again");
                        attempt += 1;
                    }
                    Err((_, _, detail)) => {
                        return Err(format!("creating the root admin failed: {detail}").into())
                    }
                }
            };
            println!(
                "root admin {}: {}",
                v["user"]["email"].as_str().unwrap_or("?"),
                if v["created"] == true {
                    "created"
                } else {
                    "exists"
                }
            );
        }
        Ok(())
    }

    /// Starts one instance of every function, so the first request to each does not wait
    /// for a process to start (seconds while others start too, under hot reload). The
    /// event is a bare JSON string: HTTP functions refuse it before their handler runs, and
    /// the event consumers find no records in it, so nothing is written.
    async fn warm_up(&self, template: &Template, gateway: &Gateway) {
        use futures::StreamExt;
        let started = Instant::now();
        let functions: Vec<String> = template
            .functions()
            .into_iter()
            .map(|f| f.binary)
            .filter(|b| b != "auth-bootstrap-admin")
            .collect();
        let count = functions.len();
        let mut took: Vec<(f64, String)> = futures::stream::iter(functions)
            .map(|binary| async move {
                let t = Instant::now();
                let _ = gateway.invoke(&binary, &serde_json::json!("warm-up")).await;
                (t.elapsed().as_secs_f64(), binary)
            })
            .buffer_unordered(8)
            .collect()
            .await;
        took.sort_by(|a, b| b.0.total_cmp(&a.0));
        println!(
            "started one instance of each of {count} functions in {:.1}s (slowest: {})",
            started.elapsed().as_secs_f64(),
            took.iter()
                .take(3)
                .map(|(s, b)| format!("{b} {s:.1}s"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    pub fn ready_line(&self) -> String {
        let cache = self
            .gateway
            .as_ref()
            .map(|g| g.authorizer_cache.ttl().as_secs())
            .unwrap_or_default();
        format!(
            "authorizer cache: {cache} s per token (ReauthorizeEvery; GYMIT_AUTHORIZER_CACHE_SECONDS overrides it)\n\
             stream mappings: {}/_local/status\n\
             GymIT is ready: API {}/api  WebSocket {}/ws  Lambda {}  emulator {}",
            self.gateway_url,
            self.gateway_url,
            self.gateway_url.replace("http://", "ws://"),
            self.lambda_url,
            self.endpoint
        )
    }

    /// Waits until a child exits; returns its name.
    pub async fn any_child_exit(&mut self) -> &'static str {
        loop {
            for c in &mut self.children {
                if let Ok(Some(_)) = c.child.try_wait() {
                    return c.name;
                }
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops every child: SIGTERM to its process group, then SIGKILL after 3 s.
    pub async fn stop(&mut self) {
        if let Some(live) = self.gateway.take().and_then(|g| g.live.clone()) {
            live.settle(Duration::from_secs(3)).await;
        }
        for t in self.tasks.drain(..) {
            t.abort();
        }
        // Newest first, so the emulator outlives everything that talks to it.
        self.children.reverse();
        for c in &self.children {
            if let Some(pid) = c.child.id() {
                // SAFETY: kill(2) on a process group we created; no memory is involved.
                unsafe { libc::kill(-(pid as i32), libc::SIGTERM) };
            }
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        for c in &mut self.children {
            let left = deadline.saturating_duration_since(Instant::now());
            if tokio::time::timeout(left, c.child.wait()).await.is_err() {
                if let Some(pid) = c.child.id() {
                    // SAFETY: as above.
                    unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
                }
                let _ = c.child.wait().await;
            }
        }
        self.children.clear();
        if let Some(file) = self.env_file.take() {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// `gymit-local dev`: the stack on the fixed ports until Ctrl-C / SIGTERM or a child dies.
pub async fn dev() -> Result<i32, Error> {
    let mut term = signal(SignalKind::terminate())?;
    let mut stack = tokio::select! {
        s = Stack::start(Ports::fixed(), true, true) => s?,
        _ = tokio::signal::ctrl_c() => return Ok(130),
    };
    println!("{}", stack.ready_line());
    let code = tokio::select! {
        _ = tokio::signal::ctrl_c() => { println!("stopping"); 0 }
        _ = term.recv() => { println!("stopping"); 0 }
        name = stack.any_child_exit() => { eprintln!("{name} exited: stopping the stack"); 1 }
    };
    stack.stop().await;
    Ok(code)
}

/// `gymit-local test-env -- <command>`: the stack on free ports with its own emulator, the
/// command run against it, the stack always stopped; exits with the command's code.
pub async fn test_env(command: &[String]) -> Result<i32, Error> {
    let (program, args) = command
        .split_first()
        .ok_or("usage: gymit-local test-env -- <command> [args…]")?;
    let mut term = signal(SignalKind::terminate())?;
    // Tests watch bans and password changes reach tokens: a short authorizer cache, as
    // API.md allows a test stack (printed with the ready line).
    if std::env::var("GYMIT_AUTHORIZER_CACHE_SECONDS").is_err() {
        std::env::set_var("GYMIT_AUTHORIZER_CACHE_SECONDS", "1");
    }
    let mut stack = Stack::start(Ports::free()?, false, false).await?;
    println!("{}", stack.ready_line());
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("GYMIT_URL", &stack.gateway_url)
        .env(
            "GYMIT_WS_URL",
            format!("{}/ws", stack.gateway_url.replace("http://", "ws://")),
        )
        .env("GYMIT_LAMBDA_URL", &stack.lambda_url)
        .env(
            "GYMIT_EMULATOR_PID",
            stack
                .emulator_pid
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )
        .env(
            "GYMIT_TEMPLATE",
            crate::workspace_root().join("template.yaml"),
        );
    for k in [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_EC2_METADATA_DISABLED",
        "JWT_SECRET",
        "ROOT_ADMIN_EMAIL",
        "ROOT_ADMIN_PASSWORD",
    ] {
        if let Some(v) = stack.env.get(k) {
            cmd.env(k, v);
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("starting {program}: {e}"))?;
    let code = tokio::select! {
        status = child.wait() => status?.code().unwrap_or(1),
        _ = tokio::signal::ctrl_c() => { let _ = child.kill().await; 130 }
        _ = term.recv() => { let _ = child.kill().await; 143 }
        name = stack.any_child_exit() => { eprintln!("{name} exited during the tests"); let _ = child.kill().await; 1 }
    };
    stack.stop().await;
    Ok(code)
}
