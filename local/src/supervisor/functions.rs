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

/// What the functions are built from: the only directories hot reload watches.
/// (`Cargo.toml` and `Cargo.lock` are left out: the cargo shim runs a binary unless one of
/// the source files of its dep-info changed, and those all live here.)
pub(super) const WATCHED_SOURCES: &[&str] = &["functions", "shared"];

/// A directory that holds a symlink to each of [`WATCHED_SOURCES`] and nothing else, for
/// `cargo lambda watch` to run in under hot reload.
///
/// Run at the checkout's root, its watcher saw every file written there — `make dev >
/// dev.log` wrote one per log line, every write restarted every function, whose start-up
/// wrote the log again, forever (issue 24) — and it walked `.venv` and `target` (tens of
/// thousands of entries, ~0.7 s of CPU) at every instance's start. Its watcher follows the
/// symlinks, so an edit under `functions/` or `shared/` still reloads. The directory is
/// outside the checkout: inside it, the checkout's `.gitignore` (and cargo-lambda's own
/// `target*` rule) could apply to the paths it reports.
pub(super) fn sources_to_watch(root: &Path) -> Result<PathBuf, Error> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    root.hash(&mut hasher);
    let dir = std::env::temp_dir().join(format!("gymit-watch-{:016x}", hasher.finish()));
    std::fs::create_dir_all(&dir)?;
    for name in WATCHED_SOURCES {
        let link = dir.join(name);
        let target = root.join(name);
        match std::fs::read_link(&link) {
            Ok(current) if current == target => continue,
            Ok(_) => std::fs::remove_file(&link)?,
            Err(_) => {}
        }
        std::os::unix::fs::symlink(&target, &link)?;
    }
    Ok(dir)
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
    // cargo-lambda watches its working directory, recursively, with one watcher per
    // function instance: a stack that reloads runs it where it sees only what builds the
    // functions (`sources_to_watch`), one that does not from an empty directory.
    let watch_dir = if hot_reload {
        sources_to_watch(root)?
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

#[cfg(test)]
mod tests {
    //! Hot reload against the real `cargo lambda watch` and the built `api-default`: a
    //! file written at the checkout's root restarts no function, a file written under
    //! `functions/` does (so the first assertion cannot pass by watching nothing).

    use std::{collections::BTreeSet, path::Path, time::Duration};

    use super::*;

    /// Removes the files it names and stops the watch's process group, even on a panic.
    struct Cleanup {
        files: Vec<PathBuf>,
        group: Option<u32>,
    }

    impl Drop for Cleanup {
        fn drop(&mut self) {
            for f in &self.files {
                let _ = std::fs::remove_file(f);
            }
            if let Some(pid) = self.group {
                // SAFETY: kill(2) on the process group this test created.
                unsafe { libc::kill(-(pid as i32), libc::SIGKILL) };
            }
        }
    }

    /// The running processes named `name` among the descendants of `ancestor`.
    fn instances(ancestor: u32, name: &str) -> BTreeSet<u32> {
        let parent_of = |pid: u32| -> Option<u32> {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid …": comm may hold spaces, so read after its ')'.
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        };
        let mut found = BTreeSet::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.trim() != name {
                continue;
            }
            let mut p = pid;
            while let Some(parent) = parent_of(p).filter(|&pp| pp > 1) {
                if parent == ancestor {
                    found.insert(pid);
                    break;
                }
                p = parent;
            }
        }
        found
    }

    fn append(path: &Path, line: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        writeln!(f, "{line}").unwrap();
    }

    /// inotify instances this user may still open (`fs.inotify.max_user_instances` minus
    /// those open): cargo-lambda's watch opens one per function instance, also with
    /// `--ignore-changes`, so a running test stack (45 functions, up to 8 instances each)
    /// can use up the default 128, and then no watcher sees a change.
    fn free_inotify_instances() -> i64 {
        let max: i64 = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_instances")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(128);
        let uid = |dir: &Path| {
            std::fs::read_to_string(dir.join("status"))
                .ok()?
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))?
                .split_whitespace()
                .next()?
                .parse::<u32>()
                .ok()
        };
        let me = uid(Path::new("/proc/self"));
        let mut open = 0;
        for proc in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            if uid(&proc.path()) != me {
                continue;
            }
            for fd in std::fs::read_dir(proc.path().join("fd"))
                .into_iter()
                .flatten()
                .flatten()
            {
                if std::fs::read_link(fd.path())
                    .is_ok_and(|l| l.to_string_lossy() == "anon_inode:inotify")
                {
                    open += 1;
                }
            }
        }
        max - open
    }

    /// Ignored in the workspace run: `make test` runs it on its own (`cargo test -- --ignored
    /// hot_reload`) before its test stack starts, whose watchers could use up the inotify
    /// instances this test needs (see `free_inotify_instances`).
    #[tokio::test]
    #[ignore = "make test runs it before its test stack starts: needs free inotify instances"]
    async fn hot_reload_restarts_functions_for_their_sources_not_for_a_log_in_the_root() {
        let free = free_inotify_instances();
        assert!(
            free >= 2,
            "only {free} inotify instances left for this user (fs.inotify.max_user_instances): \
             cargo lambda watch could see no change; stop other stacks or raise the limit"
        );
        let root = crate::workspace_root();
        let binary = crate::debug_dir().join("api-default");
        assert!(
            binary.is_file() && root.join(".venv/bin/cargo-lambda").is_file(),
            "needs the built functions and .venv: `cargo build --workspace --bins --tests` \
             and `make lint` (or make test) first"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let tag = std::process::id();
        let env_file = std::env::temp_dir().join(format!("gymit-hot-reload-{tag}.env"));
        std::fs::write(&env_file, "GYMIT_HOT_RELOAD_TEST=1\n").unwrap();
        let log = root.join(format!("hot-reload-probe-{tag}.log"));
        let source = root
            .join("functions/api")
            .join(format!("hot-reload-probe-{tag}.txt"));
        let mut cleanup = Cleanup {
            files: vec![env_file.clone(), log.clone(), source.clone()],
            group: None,
        };
        let path = format!(
            "{}:{}",
            root.join(".venv/bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let watch = watch(&root, &path, port, &env_file, true, &Default::default()).unwrap();
        let group = watch.child.id().unwrap();
        cleanup.group = Some(group);
        super::super::readiness::wait_for_port(port, "cargo lambda watch", Duration::from_secs(60))
            .await
            .unwrap();

        let event = std::fs::read(root.join("events/api-default.json")).unwrap();
        let invoke = || async {
            reqwest::Client::new()
                .post(format!(
                    "http://127.0.0.1:{port}/2015-03-31/functions/api-default/invocations"
                ))
                .body(event.clone())
                .timeout(Duration::from_secs(60))
                .send()
                .await
                .unwrap()
                .status()
        };
        assert_eq!(invoke().await, 200);
        let running = instances(group, "api-default");
        assert!(
            !running.is_empty(),
            "no api-default instance under the watch"
        );

        // A log written line by line at the checkout's root, past watch's 3 s throttle.
        for i in 0..8 {
            append(&log, &format!("log line {i}"));
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        tokio::time::sleep(Duration::from_secs(4)).await;
        let after = instances(group, "api-default");
        assert!(
            running.is_subset(&after),
            "a file written at the checkout's root restarted the function: {running:?} → {after:?}"
        );
        assert_eq!(invoke().await, 200);

        // A file under functions/: the same instances are stopped and started again.
        append(&source, "a change to what builds the functions");
        let mut restarted = false;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if instances(group, "api-default").is_disjoint(&running) {
                restarted = true;
                break;
            }
        }
        assert!(
            restarted,
            "a file written under functions/ did not reload the function"
        );
        drop(cleanup);
    }
}
