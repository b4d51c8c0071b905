//! The functions: every binary built once, then run under `cargo lambda watch` (a real
//! Lambda runtime API, `GYMIT_CONCURRENCY` instances per function) through a `cargo` shim
//! that starts the built binaries directly.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::Instant,
};

use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::Command,
};

use super::{spawn, Supervised};
use crate::Error;

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
# Written by gymit-local: see write_cargo_shim in local/src/supervisor/functions.rs.
# cargo-lambda sets Lambda Managed Instances' AWS_LAMBDA_MAX_CONCURRENCY=1 for every
# instance; a standard Lambda function never sees it, and lambda_runtime warns at each start.
unset AWS_LAMBDA_MAX_CONCURRENCY
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

/// Builds every function, so no request waits for a compile.
///
/// Under hot reload (`make dev`), `cargo lambda watch` starts each instance with `cargo run
/// --bin <name>` at the workspace root, which resolves features for the whole workspace
/// without dev-dependencies: built the same way, so its runs find everything fresh.
/// Otherwise (`test-env`) the instances run the built binaries themselves, and the build
/// takes the tests too (`--tests`, as `make test` builds them before): dev-dependencies
/// unify some crates' features differently, and a build without them would compile those
/// crates and everything above them a second time (3 min 17 s of `make test` on 2 cores).
pub(super) async fn build(root: &Path, path: &str, hot_reload: bool) -> Result<(), Error> {
    let started = Instant::now();
    let mut args = vec!["build", "--workspace", "--bins"];
    if !hot_reload {
        args.push("--tests");
    }
    let status = Command::new("cargo")
        .current_dir(root)
        .env("PATH", path)
        .args(args)
        .status()
        .await?;
    if !status.success() {
        return Err("building the functions failed".into());
    }
    println!("functions built in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Starts `cargo lambda watch` on `port` with the functions' environment file: from the
/// workspace, reloading on changes, under `hot_reload`; else from an empty directory,
/// running the binaries just built, silent unless `GYMIT_VERBOSE` is set. Its output (the
/// functions' output) is read line by line: the metric lines go to `metrics`, the rest to
/// the console (or nowhere, when silent).
pub(super) fn watch(
    root: &Path,
    path: &str,
    port: u16,
    env_file: &Path,
    hot_reload: bool,
    metrics: &Arc<crate::metrics::Registry>,
) -> Result<Supervised, Error> {
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
            &port.to_string(),
        ])
        .args(["--concurrency", &crate::concurrency().to_string()])
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .arg("--env-file")
        .arg(env_file);
    if !hot_reload {
        watch.arg("--ignore-changes").env("GYMIT_PREBUILT", "1");
    }
    let echo = std::env::var("GYMIT_VERBOSE").is_ok() || hot_reload;
    watch.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut supervised = spawn("cargo lambda watch", &mut watch)?;
    if let Some(out) = supervised.child.stdout.take() {
        tokio::spawn(read_output(out, metrics.clone(), echo, false));
    }
    if let Some(err) = supervised.child.stderr.take() {
        tokio::spawn(read_output(err, metrics.clone(), echo, true));
    }
    Ok(supervised)
}

/// One of watch's output streams, to its end: metric lines to the registry, the others
/// echoed (to stderr if they came from there) or dropped.
async fn read_output(
    stream: impl AsyncRead + Unpin,
    metrics: Arc<crate::metrics::Registry>,
    echo: bool,
    is_stderr: bool,
) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if metrics.ingest(&line) || !echo {
            continue;
        }
        if is_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}
