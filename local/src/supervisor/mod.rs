//! `gymit-local dev` and `gymit-local test-env`: the whole stack as one supervised unit.
//!
//! Starts the emulator (moto from `.venv`, unless `AWS_ENDPOINT_URL` names a running one),
//! provisions it, builds every function once, starts `cargo lambda watch`, serves the
//! gateway in-process, creates the root admin, and says when it is ready. Children run in
//! their own process groups; Ctrl-C, SIGTERM, the end of the test command, or the death of
//! any child stops them all. No pid files: nothing is left to go stale.
//!
//! This module is the stack's life: `Stack` brought up step by step, and stopped. By
//! subject: `emulator` starts the emulator (or uses a running one), `functions` builds the
//! functions and runs them under `cargo lambda watch`, `readiness` waits for ports, warms
//! the functions up, creates the root admin and says when the stack is ready, and
//! `commands` are `dev` and `test-env`.

use std::{
    net::TcpListener as StdListener,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::process::{Child, Command};

use crate::{gateway::Gateway, provision, template::Template, Error};

mod commands;
mod emulator;
mod functions;
mod readiness;
mod warm_up;

pub use commands::{dev, test_env};

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
    /// The functions' metrics, read from their output (`/_local/metrics`).
    pub metrics: Arc<crate::metrics::Registry>,
    /// The requests' traces: the functions' X-Ray daemon (`/_local/traces/{id}`).
    pub traces: Arc<crate::traces::Traces>,
}

fn spawn(name: &'static str, cmd: &mut Command) -> Result<Supervised, Error> {
    cmd.process_group(0).kill_on_drop(true);
    let child = cmd.spawn().map_err(|e| format!("starting {name}: {e}"))?;
    Ok(Supervised { name, child })
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
        let (endpoint, emulator) =
            emulator::start(&root, &bin, ports.emulator, reuse_emulator).await?;
        let emulator_pid = emulator.as_ref().and_then(|e| e.child.id());
        children.extend(emulator);
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
            metrics: Default::default(),
            traces: Default::default(),
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
        let mut env = provision::local_environment(&template, &self.endpoint, &self.gateway_url)?;
        // The functions' X-Ray daemon is this process (`traces`), as Lambda's is on AWS.
        let daemon = self.traces.clone().listen().await?;
        env.insert("AWS_XRAY_DAEMON_ADDRESS".into(), daemon.to_string());
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

        // 3. Every function built once, so no request waits for a compile.
        functions::build(root, path, hot_reload).await?;

        // 4. The Lambda runtime: cargo lambda watch.
        readiness::ensure_free(ports.lambda, "cargo lambda watch")?;
        readiness::ensure_free(ports.gateway, "gateway")?;
        self.children.push(functions::watch(
            root,
            path,
            ports.lambda,
            &env_file,
            hot_reload,
            &self.metrics,
        )?);
        readiness::wait_for_port(ports.lambda, "cargo lambda watch", Duration::from_secs(120))
            .await?;

        // 5. The gateway, in this process.
        let mut gateway = Gateway::new(&template, &self.lambda_url);
        gateway.metrics = self.metrics.clone();
        gateway.traces = self.traces.clone();
        let gateway = Arc::new(gateway);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", ports.gateway)).await?;
        let serve = crate::gateway::serve(gateway.clone(), listener);
        self.tasks.push(tokio::spawn(async move {
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "gateway stopped serving");
            }
        }));
        crate::sns::subscribe(&template, &self.gateway_url).await?;
        self.tasks.extend(crate::streams::start(
            &template,
            gateway.invoker.clone(),
            gateway.mappings.clone(),
        ));
        self.gateway = Some(gateway.clone());

        // 6. One instance of every function, then the root admin (whose bootstrap invokes
        // users-create: on a cold, busy machine that start alone can outlast an attempt).
        self.warm_up(&template, &gateway.invoker).await;
        readiness::create_root_admin(&template, &gateway.invoker).await
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
