//! Failed events (docs/local-stack.md, "Failed events"): an SNS event that its function keeps failing
//! ends in the function's dead-letter queue with its whole payload, and comes back with
//! `gymit-local replay <queue>`, the documented command. `auth-sync-user` is made to fail
//! (`POST /_local/faults`) three times, Lambda's first asynchronous attempt and its two
//! retries (`EventInvokeConfig.MaximumRetryAttempts: 2`), so a member's `user.banned`
//! lands in `AuthSyncUserDeadLetterQueue` (its `OnFailure` destination in template.yaml);
//! after the replay the ban reaches login (403 `account_banned`). Its own test binary:
//! for a moment the user-events topic's consumer fails (only for this member's events,
//! but no other test should have to think about it). Every wait is bounded (30 s), and
//! the faults are cleared however the test ends.

use std::{
    panic::AssertUnwindSafe,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use aws_sdk_sqs::Client;
use futures::FutureExt;
use gymit_e2e::{Stack, PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};

const FUNCTION: &str = "auth-sync-user";
const WAIT: Duration = Duration::from_secs(30);

/// The queue's name as `gymit-local` provisions it (`<stack>-<logical id>`).
fn queue_name() -> String {
    let stack = std::env::var("GYMIT_STACK").unwrap_or_else(|_| "gymit".into());
    format!("{stack}-AuthSyncUserDeadLetterQueue")
}

/// The `gymit-local` binary of this build (`target/debug/gymit-local`, next to `deps/`).
fn gymit_local() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|debug| debug.join("gymit-local"))
        .expect("a target directory");
    assert!(
        bin.is_file(),
        "{} is missing: run `cargo build --workspace --bins --tests` first",
        bin.display()
    );
    bin
}

/// The dead-letter records whose event is this member's `user.banned`, left in the queue
/// (received with a visibility timeout of 0, so they stay visible for the replay).
async fn ban_records(sqs: &Client, url: &str, user_id: &str) -> Vec<Value> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .visibility_timeout(0)
        .send()
        .await
        .expect("ReceiveMessage");
    out.messages()
        .iter()
        .filter_map(|m| serde_json::from_str::<Value>(m.body().unwrap_or_default()).ok())
        .filter(|record| {
            let message = record["requestPayload"]["Records"][0]["Sns"]["Message"]
                .as_str()
                .and_then(|m| serde_json::from_str::<Value>(m).ok())
                .unwrap_or_default();
            message["type"] == "user.banned" && message["user_id"] == user_id
        })
        .collect()
}

/// `gymit-local replay <queue> --lambda-url …`, as a developer runs it; its stdout.
async fn replay(queue: &str, lambda_url: &str) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let mut child = Command::new(gymit_local())
        .args(["replay", queue, "--lambda-url", lambda_url])
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gymit-local starts");
    let started = Instant::now();
    while child.try_wait().expect("waiting for gymit-local").is_none() {
        if started.elapsed() > WAIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gymit-local replay did not finish within {WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().expect("gymit-local's output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "gymit-local replay {queue}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn faults(s: &Stack) -> Value {
    let a = s.get_json("/_local/status", None).await;
    assert_eq!(a.status, 200, "{a:?}");
    a.body["faults"].clone()
}

#[tokio::test]
async fn a_ban_that_failed_three_times_waits_in_its_dead_letter_queue_until_replayed() {
    let s = Stack::get();
    let sqs = Client::new(&gymit_shared::aws::sdk_config().await);
    let queue = queue_name();
    let url = sqs
        .get_queue_url()
        .queue_name(&queue)
        .send()
        .await
        .expect("the dead-letter queue exists")
        .queue_url
        .expect("a queue URL");
    let root = s.root().await;
    let u = s.user_with_role("dead-letter", "member").await;

    // Only this machine may inject faults.
    let fault = json!({"function": FUNCTION, "failures": 3, "matching": u.id});
    let refused = s
        .send(
            Method::POST,
            "/_local/faults",
            None,
            Some(fault.clone()),
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(refused.status, 403, "{refused:?}");
    assert_eq!(faults(&s).await, json!([]));

    let set = s.post("/_local/faults", None, fault.clone()).await;
    assert_eq!(set.status, 200, "{set:?}");
    assert_eq!(faults(&s).await, json!([fault]));

    let outcome = AssertUnwindSafe(async {
        let ban = s
            .post(
                &format!("/api/users/{}/ban", u.id),
                Some(&root.access_token),
                json!({"reason": "dead-letter test"}),
            )
            .await;
        assert_eq!(ban.status, 200, "the ban is committed: {ban:?}");
        let banned = Instant::now();

        // Three failed attempts, then the on-failure destination, with the whole event.
        let record = loop {
            if let Some(r) = ban_records(&sqs, &url, &u.id).await.pop() {
                break r;
            }
            assert!(
                banned.elapsed() < WAIT,
                "no user.banned record in {queue} within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        eprintln!(
            "the ban reached {queue} {:?} after it was committed",
            banned.elapsed()
        );
        assert_eq!(record["requestContext"]["condition"], "RetriesExhausted");
        assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
        assert!(
            record["requestContext"]["functionArn"]
                .as_str()
                .is_some_and(|a| a.contains(&format!(":function:{FUNCTION}"))),
            "{record}"
        );
        assert!(
            record["responsePayload"]["errorMessage"]
                .as_str()
                .is_some_and(|e| e.contains("InjectedFault")),
            "{record}"
        );
        assert_eq!(
            record["requestPayload"]["Records"][0]["EventSource"],
            "aws:sns"
        );
        assert_eq!(
            faults(&s).await,
            json!([]),
            "the three failures are used up"
        );

        // Nothing reached the auth service: the banned member still logs in.
        let login = s.login(&u.email, PASSWORD).await;
        assert_eq!(login.status, 200, "the failed ban was applied: {login:?}");

        // The documented replay sends it back; the record leaves the queue.
        let replaying = Instant::now();
        let out = replay(&queue, &s.lambda_url).await;
        eprintln!(
            "gymit-local replay took {:?}: {}",
            replaying.elapsed(),
            out.trim()
        );
        assert!(out.contains("0 still failing"), "{out}");
        assert!(
            ban_records(&sqs, &url, &u.id).await.is_empty(),
            "the replayed record is still in {queue}"
        );

        let took = s
            .eventually(|| async { s.login(&u.email, PASSWORD).await.status == 403 })
            .await;
        eprintln!("after the replay the ban reached login in {took:?}");
        let login = s.login(&u.email, PASSWORD).await;
        assert_eq!(login.problem_code(), "account_banned");
    })
    .catch_unwind()
    .await;

    let cleared = s
        .send(Method::DELETE, "/_local/faults", None, None, &[])
        .await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(faults(&s).await, json!([]));
}
