//! For the function crates' integration tests: fresh, uniquely named copies of the
//! template's tables in the emulator at `AWS_ENDPOINT_URL`, so tests run in parallel and
//! never see each other's data.

use std::collections::HashMap;

use crate::template::Template;

/// Creates a fresh copy of each named table (logical ids of template.yaml) and returns
/// logical id → table name. Panics with a clear message when no emulator is configured.
pub async fn fresh_tables(logical_ids: &[&str]) -> HashMap<String, String> {
    assert!(
        std::env::var("AWS_ENDPOINT_URL").is_ok(),
        "AWS_ENDPOINT_URL is not set: run the tests with `make test`, which starts the emulator"
    );
    let path = std::env::var("GYMIT_TEMPLATE")
        .map(Into::into)
        .unwrap_or_else(|_| crate::workspace_root().join("template.yaml"));
    let template = Template::load(&path).expect("template.yaml loads");
    let db = aws_sdk_dynamodb::Client::new(&crate::sdk_config().await);
    let mut names = HashMap::new();
    for (logical, _, props) in template.tables() {
        if !logical_ids.contains(&logical.as_str()) {
            continue;
        }
        let name = format!(
            "test-{}-{}",
            logical.to_lowercase(),
            uuid::Uuid::now_v7().simple()
        );
        crate::provision::create_table(&db, &name, &props)
            .await
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        names.insert(logical, name);
    }
    for id in logical_ids {
        assert!(names.contains_key(*id), "no table {id} in template.yaml");
    }
    names
}

/// Every record of `table`'s stream so far, as the Lambda event a DynamoDB event source
/// mapping delivers (the same conversion the local poller uses), checked against
/// `aws_lambda_events`' type for it.
pub async fn stream_batch(table: &str) -> serde_json::Value {
    use aws_sdk_dynamodbstreams::types::ShardIteratorType;
    let sdk = crate::sdk_config().await;
    let arn = aws_sdk_dynamodb::Client::new(&sdk)
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe table")
        .table
        .and_then(|t| t.latest_stream_arn)
        .unwrap_or_else(|| panic!("{table} has no stream (template.yaml)"));
    let streams = aws_sdk_dynamodbstreams::Client::new(&sdk);
    let shards = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .expect("describe stream")
        .stream_description
        .and_then(|d| d.shards)
        .unwrap_or_default();
    let mut records = Vec::new();
    for shard in shards {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().unwrap_or_default())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("shard iterator")
            .shard_iterator;
        while let Some(it) = iterator.take() {
            let out = streams
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .expect("get records");
            let page = out.records.unwrap_or_default();
            if page.is_empty() {
                break;
            }
            records.extend(page.iter().map(|r| crate::streams::record_json(r, &arn)));
            iterator = out.next_shard_iterator;
        }
    }
    let batch = serde_json::json!({ "Records": records });
    let parsed: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_value(batch.clone()).expect("a valid DynamoDB stream Lambda event");
    assert_eq!(parsed.records.len(), records.len());
    batch
}

/// What each path of a [`subscriber`] endpoint received: the SNS envelopes, in order.
pub type Inbox = std::sync::Arc<std::sync::Mutex<HashMap<String, Vec<serde_json::Value>>>>;

/// An HTTP endpoint for SNS subscriptions, `http://…/<name>` for any name; returns its base
/// URL and its inbox.
pub async fn subscriber() -> (String, Inbox) {
    use axum::extract::{Path, State};
    async fn receive(State(inbox): State<Inbox>, Path(name): Path<String>, body: String) {
        let envelope = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        inbox
            .lock()
            .expect("not poisoned")
            .entry(name)
            .or_default()
            .push(envelope);
    }
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route("/{name}", axum::routing::post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("bound");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), inbox)
}

pub async fn sns() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&crate::sdk_config().await)
}

/// A new topic named `<prefix>-<unique>`; returns its ARN.
pub async fn topic(sns: &aws_sdk_sns::Client, prefix: &str) -> String {
    sns.create_topic()
        .name(format!("{prefix}-{}", uuid::Uuid::now_v7().simple()))
        .send()
        .await
        .expect("topic created")
        .topic_arn
        .expect("topic arn")
}

/// An HTTP subscription of `endpoint` to `topic`, with an optional filter policy.
pub async fn subscribe(
    sns: &aws_sdk_sns::Client,
    topic: &str,
    endpoint: &str,
    filter: Option<serde_json::Value>,
) {
    let mut req = sns
        .subscribe()
        .topic_arn(topic)
        .protocol("http")
        .endpoint(endpoint)
        .return_subscription_arn(true);
    if let Some(f) = filter {
        req = req.attributes("FilterPolicy", f.to_string());
    }
    req.send().await.expect("subscribed");
}

/// DynamoDB round trips, counted by an SDK interceptor: install it on the client a
/// service's state uses, call a route, and read which operations went on the wire (each
/// attempt counts, as each is a round trip). The integration tests assert these counts
/// per route (DESIGN.md "Data": one or two round trips a route), so they cannot regress.
#[derive(Debug, Clone, Default)]
pub struct RoundTrips {
    log: std::sync::Arc<std::sync::Mutex<Vec<Sent>>>,
    /// The IAM actions of the requests the last `take` returned.
    taken_actions: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// One request sent: its operation and the IAM actions it needs.
type Sent = (String, Vec<String>);

impl RoundTrips {
    pub fn new() -> Self {
        Self::default()
    }

    /// `builder` with this counter installed.
    pub fn install(
        &self,
        builder: aws_sdk_dynamodb::config::Builder,
    ) -> aws_sdk_dynamodb::config::Builder {
        builder.interceptor(self.clone())
    }

    /// A client of `sdk` that counts here.
    pub fn client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(
            self.install(aws_sdk_dynamodb::config::Builder::from(sdk))
                .build(),
        )
    }

    /// A client of `sdk` (the functions' own SDK config) that counts here, with timeouts
    /// long enough that a busy emulator never makes the SDK send an attempt twice (each
    /// attempt would count).
    pub fn patient_client(&self, sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::from_conf(self.install(patient(sdk)).build())
    }

    /// The operations sent since the last `take`, oldest first, and forgets them.
    pub fn take(&self) -> Vec<String> {
        let sent = self
            .log
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        let mut actions: Vec<String> = sent.iter().flat_map(|(_, a)| a.clone()).collect();
        actions.sort();
        actions.dedup();
        if let Ok(mut taken) = self.taken_actions.lock() {
            *taken = actions;
        }
        sent.into_iter().map(|(op, _)| op).collect()
    }

    /// The IAM actions (`dynamodb:…`) the requests of the last `take` needed: a
    /// transaction needs each of its items' actions (`PutItem`, `UpdateItem`, …), not an
    /// action of its own.
    pub fn taken_actions(&self) -> Vec<String> {
        self.taken_actions
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// Runs `f` and returns its output with the operations it sent (and only those, as
    /// long as nothing else uses the counted client meanwhile).
    pub async fn during<F: std::future::Future>(&self, f: F) -> (F::Output, Vec<String>) {
        self.take();
        let out = f.await;
        (out, self.take())
    }
}

/// A service's round-trip table, route by route: each route sent exactly the requests the
/// test names, and at most two (DESIGN.md "Data") unless the route is listed as over that
/// budget, where it must still be over (so the list cannot go stale). Prints each row as
/// the README's table has it.
///
/// With `checking_iam`, each route's requests must also be allowed by the template policy
/// of the function that serves it: the local stack does not enforce IAM, so a request the
/// policy forgets would pass every local test and be refused (AccessDenied) on AWS.
#[derive(Debug)]
pub struct Budget {
    over: &'static [&'static str],
    routes: Vec<String>,
    iam: Option<Iam>,
}

#[derive(Debug)]
struct Iam {
    trips: RoundTrips,
    /// (route prefix, the function's logical id in template.yaml); the first match wins.
    functions: &'static [(&'static str, &'static str)],
    allowed: std::collections::BTreeMap<String, Vec<String>>,
}

impl Budget {
    pub fn new(over: &'static [&'static str]) -> Self {
        eprintln!("| route | round trips | DynamoDB requests |\n|---|---|---|");
        Self {
            over,
            routes: Vec::new(),
            iam: None,
        }
    }

    /// Also checks each route's requests (as `trips` saw them) against the template policy
    /// of its function: `functions` maps route prefixes to functions' logical ids.
    pub fn checking_iam(
        mut self,
        trips: &RoundTrips,
        functions: &'static [(&'static str, &'static str)],
    ) -> Self {
        self.iam = Some(Iam {
            trips: trips.clone(),
            functions,
            allowed: crate::template::Template::load(
                &crate::workspace_root().join("template.yaml"),
            )
            .expect("template.yaml")
            .dynamodb_actions(),
        });
        self
    }

    pub fn expect(&mut self, route: &str, ops: &[String], want: &[&str]) {
        let requests = if ops.is_empty() {
            "none".to_string()
        } else {
            ops.join(", ")
        };
        eprintln!("| {route} | {} | {requests} |", ops.len());
        self.routes.push(route.to_string());
        assert_eq!(ops, want, "{route}: the DynamoDB requests it sends");
        if let Some(iam) = &self.iam {
            let function = iam
                .functions
                .iter()
                .find(|(prefix, _)| route.starts_with(prefix))
                .map(|(_, f)| *f)
                .unwrap_or_else(|| panic!("{route}: name the function that serves it"));
            let allowed = iam
                .allowed
                .get(function)
                .unwrap_or_else(|| panic!("{function} is not a function of template.yaml"));
            for action in iam.trips.taken_actions() {
                assert!(
                    allowed.contains(&action),
                    "{route}: {function} sends a request needing {action}, which its template \
                     policy does not allow (AccessDenied on AWS); it allows {allowed:?}"
                );
            }
        }
        if self.over.contains(&route) {
            assert!(
                ops.len() > 2,
                "{route} is within the budget now: take it off the list of routes over it"
            );
        } else {
            assert!(ops.len() <= 2, "{route}: over the budget of two");
        }
    }

    /// How many routes were checked.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

/// `sdk`'s DynamoDB config with timeouts long enough that a busy emulator never makes the
/// SDK give up on (or resend) a request that is only slow.
pub fn patient(sdk: &aws_config::SdkConfig) -> aws_sdk_dynamodb::config::Builder {
    use std::time::Duration;
    let timeouts = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(60))
        .build();
    aws_sdk_dynamodb::config::Builder::from(sdk).timeout_config(timeouts)
}

impl aws_sdk_dynamodb::config::Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        // The JSON protocol names the operation in `X-Amz-Target: DynamoDB_20120810.<Op>`.
        let op = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("?")
            .to_string();
        let body = context.request().body().bytes().unwrap_or_default();
        let actions = iam_actions(&op, body);
        if let Ok(mut log) = self.log.lock() {
            log.push((op, actions));
        }
        Ok(())
    }
}

/// The IAM actions a DynamoDB request needs, from its operation and JSON body.
fn iam_actions(op: &str, body: &[u8]) -> Vec<String> {
    let items = |key: &str| -> Vec<serde_json::Value> {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|b| b.get(key).and_then(|i| i.as_array()).cloned())
            .unwrap_or_default()
    };
    let actions: Vec<&str> = match op {
        "TransactWriteItems" => items("TransactItems")
            .iter()
            .filter_map(|item| {
                let kind = item.as_object()?.keys().next()?;
                Some(match kind.as_str() {
                    "Put" => "PutItem",
                    "Update" => "UpdateItem",
                    "Delete" => "DeleteItem",
                    "ConditionCheck" => "ConditionCheckItem",
                    _ => "?",
                })
            })
            .collect(),
        "TransactGetItems" => vec!["GetItem"],
        other => vec![other],
    };
    actions
        .into_iter()
        .map(|a| format!("dynamodb:{a}"))
        .collect()
}
