//! What the tournament integration tests share: a fresh tournaments table in the emulator
//! (`AWS_ENDPOINT_URL`) per test, the people who call the API (known to the service as
//! members, through the same `user.*` events the user service publishes), every HTTP route with its
//! handler, called through the same per-invocation wrapper the binaries run
//! (`gymit_shared::http::handle`), and views of what the table holds: its items, its
//! outbox events.

#![allow(dead_code)] // each test file uses its own part of this module

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use aws_sdk_dynamodb::Client;
use gymit_local::testing::RoundTrips;
use gymit_shared::{
    cursor::CursorKey,
    dynamo::Item,
    events::{Event, SnsEvent},
    identity::Role,
    jwt::Tokens,
    keys::Keys,
    user::User,
    Request, Response,
};
use gymit_tournaments::{
    handlers::{
        bracket, bulk, cancel, check_in, create, disqualify, drop, get, join, list,
        participant_remove, participants_list, results, standings, start, sync_user, update,
        waitlist_leave, waitlist_list,
    },
    store::TournamentsStore,
    Tournaments,
};
use lambda_http::{Body, RequestExt};
use serde_json::{json, Value};

pub const SECRET: &str = "tournaments-test-secret-tournaments-test";

/// One test's world: the functions' state on fresh tables.
#[derive(Clone)]
pub struct Env {
    pub state: Arc<Tournaments>,
    /// The tests' own client (not counted).
    pub db: Client,
    /// The DynamoDB requests of the functions' state.
    pub trips: RoundTrips,
}

/// Someone who calls the API.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub approved: bool,
}

impl Person {
    /// An approved account (not stored anywhere yet).
    pub fn new(name: &str, role: Role) -> Self {
        let id = uuid::Uuid::now_v7().to_string();
        Self {
            email: format!(
                "{}.{}@example.com",
                name.to_lowercase().replace(' ', "."),
                &id[24..]
            ),
            id,
            name: name.into(),
            role,
            approved: true,
        }
    }

    pub fn unapproved(mut self) -> Self {
        self.approved = false;
        self
    }
}

/// `p` as the user service announces them (`user.*` events carry the whole user).
pub fn user_of(p: &Person, active: bool, banned: bool) -> User {
    User {
        id: p.id.clone(),
        email: p.email.clone(),
        full_name: p.name.clone(),
        role: p.role,
        is_approved: p.approved,
        is_banned: banned,
        is_active: active,
        is_root_admin: false,
        created_at: "2026-11-24T10:00:00Z".into(),
        updated_at: "2026-11-24T10:00:00Z".into(),
    }
}

/// An SNS delivery of user events, as `tournaments-sync-user` receives it (read the way
/// the runtime reads it).
pub fn user_events(events: &[(&str, &User, i64)]) -> SnsEvent {
    let records: Vec<Value> = events
        .iter()
        .map(|(event_type, user, version)| {
            let e = Event::new(
                event_type,
                "user_id",
                &user.id,
                json!({ "user": user, "version": version }),
            );
            json!({
                "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:gymit-user-events:2bcfbf39",
                "EventSource": "aws:sns",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": uuid::Uuid::now_v7().to_string(),
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:gymit-user-events",
                    "Message": e.message().to_string(),
                    "Timestamp": "2026-11-24T10:00:00.000Z",
                    "SignatureVersion": "1",
                    "Signature": "EXAMPLE",
                    "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
                    "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": { "type": { "Type": "String", "Value": event_type } }
                }
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("a valid SNS Lambda event")
}

/// Every HTTP route of the tournament service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Create,
    List,
    Get,
    Update,
    Cancel,
    Join,
    Participants,
    RemoveParticipant,
    Start,
    Bracket,
    Report,
    Correct,
    Disqualify,
    Drop,
    Standings,
    CheckIn,
    CheckInParticipant,
    Waitlist,
    LeaveWaitlist,
    Bulk,
}

impl Route {
    fn method_and_path(self) -> (&'static str, &'static str) {
        match self {
            Route::Create => ("POST", "/api/tournaments"),
            Route::List => ("GET", "/api/tournaments"),
            Route::Get => ("GET", "/api/tournaments/{id}"),
            Route::Update => ("PATCH", "/api/tournaments/{id}"),
            Route::Cancel => ("DELETE", "/api/tournaments/{id}"),
            Route::Join => ("POST", "/api/tournaments/{id}/participants"),
            Route::Participants => ("GET", "/api/tournaments/{id}/participants"),
            Route::RemoveParticipant => (
                "DELETE",
                "/api/tournaments/{id}/participants/{participant_id}",
            ),
            Route::Start => ("POST", "/api/tournaments/{id}/start"),
            Route::Bracket => ("GET", "/api/tournaments/{id}/bracket"),
            Route::Report => ("POST", "/api/tournaments/{id}/matches/{match_id}/result"),
            Route::Correct => ("PUT", "/api/tournaments/{id}/matches/{match_id}/result"),
            Route::Disqualify => (
                "POST",
                "/api/tournaments/{id}/participants/{participant_id}/disqualify",
            ),
            Route::Drop => (
                "POST",
                "/api/tournaments/{id}/participants/{participant_id}/drop",
            ),
            Route::Standings => ("GET", "/api/tournaments/{id}/standings"),
            Route::CheckIn => ("POST", "/api/tournaments/{id}/check-in"),
            Route::CheckInParticipant => (
                "POST",
                "/api/tournaments/{id}/participants/{participant_id}/check-in",
            ),
            Route::Waitlist => ("GET", "/api/tournaments/{id}/waitlist"),
            Route::LeaveWaitlist => ("DELETE", "/api/tournaments/{id}/waitlist/{user_id}"),
            Route::Bulk => ("POST", "/api/tournaments/{id}/participants/bulk"),
        }
    }
}

/// A request as API Gateway hands it to the function: `ids` fill the path's parameters in
/// order (`{id}`, then `{participant_id}` or `{match_id}`).
pub fn request(
    route: Route,
    ids: &[&str],
    bearer: Option<&str>,
    body: Option<&Value>,
    query: &[(&str, &str)],
) -> Request {
    let (method, template) = route.method_and_path();
    let names: Vec<&str> = template
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    assert_eq!(names.len(), ids.len(), "{route:?} takes {names:?}");
    let mut path = template.to_string();
    let mut params = HashMap::new();
    for (name, value) in names.iter().zip(ids) {
        path = path.replace(&format!("{{{name}}}"), value);
        params.insert(name.to_string(), value.to_string());
    }
    let mut builder = lambda_http::http::Request::builder()
        .method(method)
        .uri(path);
    if let Some(t) = bearer {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let query: HashMap<String, String> = query
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    builder
        .body(body.map_or(Body::Empty, |b| Body::Text(b.to_string())))
        .expect("a valid request")
        .with_path_parameters(params)
        .with_query_string_parameters(query)
}

/// An item's string attribute.
pub fn string(item: &Item, key: &str) -> String {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("item without {key}: {item:?}"))
        .clone()
}

/// An outbox event item of the table, as stored.
#[derive(Debug, Clone)]
pub struct EventItem {
    pub event_id: String,
    pub event_type: String,
    pub entity: (String, String),
    pub data: Value,
}

pub type Snapshot = BTreeMap<(String, String), Item>;

/// The default body of a create.
pub fn tournament_body(overrides: Value) -> Value {
    let mut body = json!({
        "name": "Winter Cup",
        "start_date": "2026-12-01T10:00:00Z",
        "max_participants": 8,
        "tournament_type": "single_elimination",
    });
    for (k, v) in overrides.as_object().expect("overrides are an object") {
        body[k] = v.clone();
    }
    body
}

/// The match `id` of a `bracket` object.
pub fn match_of<'a>(bracket: &'a Value, id: &str) -> &'a Value {
    bracket["matches"]
        .as_array()
        .expect("a bracket lists matches")
        .iter()
        .find(|m| m["id"] == id)
        .unwrap_or_else(|| panic!("no match {id} in {bracket}"))
}

pub fn ids_of(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| i["id"].as_str().expect("an id").to_string())
        .collect()
}

impl Env {
    /// A fresh table and the functions' state on it.
    pub async fn new() -> Self {
        let tables = gymit_local::testing::fresh_tables(&["TournamentsTable"]).await;
        let table = tables["TournamentsTable"].clone();
        let trips = RoundTrips::new();
        // Longer timeouts than the functions': the emulator answers one request at a time
        // and this machine may be busy; the tests are about the service, not its speed.
        let sdk = gymit_shared::aws::sdk_config().await;
        let counted = trips.patient_client(&sdk);
        let state = Tournaments::new(
            TournamentsStore::new(counted, table),
            Keys::given(Some(Tokens::new(SECRET)), Some(CursorKey::derive(SECRET))),
        );
        Self {
            db: Client::from_conf(gymit_local::testing::patient(&sdk).build()),
            state: Arc::new(state),
            trips,
        }
    }

    /// The store on the tests' own client (its requests are not counted).
    pub fn uncounted(&self) -> TournamentsStore {
        TournamentsStore::new(self.db.clone(), self.state.store.table().to_string())
    }

    /// Makes `p` a member the service knows, as `tournaments-sync-user` does on the user
    /// service's `user.created` event.
    pub async fn put_profile(&self, p: &Person, active: bool, banned: bool) {
        let user = user_of(p, active, banned);
        let applied = sync_user::handle(
            &self.uncounted(),
            user_events(&[("user.created", &user, 1)]),
        )
        .await
        .expect("the user event applies");
        assert_eq!(applied, 1);
    }

    /// An approved, active user the service knows.
    pub async fn person(&self, name: &str, role: Role) -> Person {
        let p = Person::new(name, role);
        self.put_profile(&p, true, false).await;
        p
    }

    pub async fn member(&self, name: &str) -> Person {
        self.person(name, Role::Member).await
    }

    pub async fn trainer(&self, name: &str) -> Person {
        self.person(name, Role::Trainer).await
    }

    pub async fn admin(&self, name: &str) -> Person {
        self.person(name, Role::Admin).await
    }

    /// Many known members.
    pub async fn members(&self, prefix: &str, n: usize) -> Vec<Person> {
        let people: Vec<Person> = (0..n)
            .map(|i| Person::new(&format!("{prefix} {i}"), Role::Member))
            .collect();
        let store = self.uncounted();
        for chunk in people.chunks(25) {
            let users: Vec<User> = chunk.iter().map(|p| user_of(p, true, false)).collect();
            let events: Vec<(&str, &User, i64)> =
                users.iter().map(|u| ("user.created", u, 1)).collect();
            sync_user::handle(&store, user_events(&events))
                .await
                .expect("the user events apply");
        }
        people
    }

    pub fn token(&self, p: &Person) -> String {
        self.state
            .keys
            .tokens()
            .expect("the test state holds the token keys")
            .issue(&p.id, &p.email, p.role, p.approved)
            .expect("token")
            .0
    }

    /// Calls `route` like `call`, and lists the DynamoDB operations it sent.
    pub async fn counted(
        &self,
        route: Route,
        ids: &[&str],
        caller: Option<&Person>,
        body: Option<Value>,
    ) -> ((u16, Value), Vec<String>) {
        self.trips.during(self.call(route, ids, caller, body)).await
    }

    /// Calls `route` as `caller` (None: anonymous); status and JSON body (Null when empty).
    pub async fn call(
        &self,
        route: Route,
        ids: &[&str],
        caller: Option<&Person>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_with_query(route, ids, caller, body, &[]).await
    }

    pub async fn call_with_query(
        &self,
        route: Route,
        ids: &[&str],
        caller: Option<&Person>,
        body: Option<Value>,
        query: &[(&str, &str)],
    ) -> (u16, Value) {
        let token = caller.map(|c| self.token(c));
        let req = request(route, ids, token.as_deref(), body.as_ref(), query);
        let s = self.state.clone();
        use gymit_shared::http::handle;
        let response: Response = match route {
            Route::Create => handle("tournaments-create", s, req, create::handle).await,
            Route::List => handle("tournaments-list", s, req, list::handle).await,
            Route::Get => handle("tournaments-get", s, req, get::handle).await,
            Route::Update => handle("tournaments-update", s, req, update::handle).await,
            Route::Cancel => handle("tournaments-cancel", s, req, cancel::handle).await,
            Route::Join => handle("tournaments-join", s, req, join::handle).await,
            Route::Participants => {
                handle(
                    "tournaments-participants-list",
                    s,
                    req,
                    participants_list::handle,
                )
                .await
            }
            Route::RemoveParticipant => {
                handle(
                    "tournaments-participant-remove",
                    s,
                    req,
                    participant_remove::handle,
                )
                .await
            }
            Route::Start => handle("tournaments-start", s, req, start::handle).await,
            Route::Bracket => handle("tournaments-bracket", s, req, bracket::handle).await,
            Route::Report => handle("tournaments-result-report", s, req, results::report).await,
            Route::Correct => handle("tournaments-result-correct", s, req, results::correct).await,
            Route::Disqualify => handle("tournaments-disqualify", s, req, disqualify::handle).await,
            Route::Drop => handle("tournaments-drop", s, req, drop::handle).await,
            Route::Standings => handle("tournaments-standings", s, req, standings::handle).await,
            Route::CheckIn => handle("tournaments-check-in", s, req, check_in::myself).await,
            Route::CheckInParticipant => {
                handle(
                    "tournaments-participant-check-in",
                    s,
                    req,
                    check_in::participant,
                )
                .await
            }
            Route::Waitlist => {
                handle("tournaments-waitlist-list", s, req, waitlist_list::handle).await
            }
            Route::LeaveWaitlist => {
                handle("tournaments-waitlist-leave", s, req, waitlist_leave::handle).await
            }
            Route::Bulk => handle("tournaments-participants-bulk", s, req, bulk::handle).await,
        };
        let status = response.status().as_u16();
        if status >= 400 {
            assert_eq!(
                response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("application/problem+json"),
                "{route:?}: an error is problem+json"
            );
        }
        let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        (status, body)
    }

    /// Every item of the tournaments table.
    pub async fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        let mut start = None;
        loop {
            let page = self
                .db
                .scan()
                .table_name(self.state.store.table())
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .expect("scan");
            // The members the test set up are not what a route wrote.
            for item in page.items.unwrap_or_default() {
                if !string(&item, "pk").starts_with("MEMBER#") {
                    out.insert((string(&item, "pk"), string(&item, "sk")), item);
                }
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        out
    }

    /// Every outbox event of the table, oldest first.
    pub async fn events(&self) -> Vec<EventItem> {
        events_of(&self.snapshot().await)
    }

    /// Calls `route` and checks that it is refused with `status` and `code` and that the
    /// table holds exactly what it held before (no state change, no event).
    pub async fn refused(
        &self,
        route: Route,
        ids: &[&str],
        caller: Option<&Person>,
        body: Option<Value>,
        expected: (u16, &str),
    ) -> Value {
        self.refused_with_query(route, ids, caller, body, &[], expected)
            .await
    }

    pub async fn refused_with_query(
        &self,
        route: Route,
        ids: &[&str],
        caller: Option<&Person>,
        body: Option<Value>,
        query: &[(&str, &str)],
        (status, code): (u16, &str),
    ) -> Value {
        let before = self.snapshot().await;
        let (got, answer) = self
            .call_with_query(route, ids, caller, body.clone(), query)
            .await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{route:?} {ids:?} {query:?} as {:?} with {body:?}: {answer}",
            caller.map(|c| (&c.name, c.role))
        );
        assert_eq!(answer["status"], status, "problem+json carries the status");
        let after = self.snapshot().await;
        assert!(
            before == after,
            "{route:?} was refused ({code}) but changed the table: {:?}",
            diff(&before, &after)
        );
        answer
    }

    /// Calls `route`, checks the status, and that exactly the outbox events `types` (in
    /// any order) were written, each about tournament `ids[0]` (or the created one).
    /// Returns the answer and the new events.
    pub async fn accepted(
        &self,
        route: Route,
        ids: &[&str],
        caller: Option<&Person>,
        body: Option<Value>,
        status: u16,
        types: &[&str],
    ) -> (Value, Vec<EventItem>) {
        let before = self.events().await;
        let (got, answer) = self.call(route, ids, caller, body.clone()).await;
        assert_eq!(got, status, "{route:?} {ids:?} with {body:?}: {answer}");
        let new: Vec<EventItem> = self
            .events()
            .await
            .into_iter()
            .filter(|e| !before.iter().any(|b| b.event_id == e.event_id))
            .collect();
        let mut got_types: Vec<&str> = new.iter().map(|e| e.event_type.as_str()).collect();
        let mut want: Vec<&str> = types.to_vec();
        got_types.sort_unstable();
        want.sort_unstable();
        assert_eq!(got_types, want, "{route:?}: the events written");
        let tournament_id = ids
            .first()
            .map(|s| s.to_string())
            .unwrap_or_else(|| answer["tournament"]["id"].as_str().unwrap_or("").into());
        for e in &new {
            assert_eq!(
                e.entity,
                ("tournament_id".to_string(), tournament_id.clone()),
                "{e:?}"
            );
        }
        (answer, new)
    }

    /// Creates a tournament as `owner` with the defaults of `tournament_body`.
    pub async fn create(&self, owner: &Person, overrides: Value) -> Value {
        let (status, answer) = self
            .call(
                Route::Create,
                &[],
                Some(owner),
                Some(tournament_body(overrides)),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["tournament"].clone()
    }

    /// The owner adds a participant without an account.
    pub async fn add(&self, owner: &Person, tournament_id: &str, name: &str) -> Value {
        let (status, answer) = self
            .call(
                Route::Join,
                &[tournament_id],
                Some(owner),
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, 201, "{answer}");
        answer["participant"].clone()
    }

    /// A tournament with `names` added in that order (so seeded in it).
    pub async fn with_participants(
        &self,
        owner: &Person,
        overrides: Value,
        names: &[&str],
    ) -> (String, Vec<Value>) {
        let t = self.create(owner, overrides).await;
        let id = t["id"].as_str().unwrap().to_string();
        let mut ps = Vec::new();
        for n in names {
            ps.push(self.add(owner, &id, n).await);
        }
        (id, ps)
    }

    /// Starts tournament `id` as `owner`; returns the bracket.
    pub async fn start(&self, owner: &Person, id: &str) -> Value {
        let (status, answer) = self.call(Route::Start, &[id], Some(owner), None).await;
        assert_eq!(status, 200, "{answer}");
        answer["bracket"].clone()
    }

    /// The bracket as anyone reads it.
    pub async fn bracket(&self, id: &str) -> Value {
        let (status, answer) = self.call(Route::Bracket, &[id], None, None).await;
        assert_eq!(status, 200, "{answer}");
        answer["bracket"].clone()
    }

    /// The participants as anyone reads them.
    pub async fn participants(&self, id: &str) -> Vec<Value> {
        let (status, answer) = self.call(Route::Participants, &[id], None, None).await;
        assert_eq!(status, 200, "{answer}");
        answer["items"].as_array().expect("items").clone()
    }

    /// Reports `winner` on `match_id` as `owner`.
    pub async fn report(
        &self,
        owner: &Person,
        id: &str,
        match_id: &str,
        winner: &str,
        score: &str,
    ) -> Value {
        let (status, answer) = self
            .call(
                Route::Report,
                &[id, match_id],
                Some(owner),
                Some(json!({ "winner_id": winner, "score": score })),
            )
            .await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// The stored tournament, as the store reads it.
    pub async fn stored(&self, id: &str) -> gymit_tournaments::store::Loaded {
        self.state
            .store
            .load(id)
            .await
            .expect("load")
            .expect("the tournament exists")
    }
}

pub fn events_of(snapshot: &Snapshot) -> Vec<EventItem> {
    let mut events: Vec<EventItem> = snapshot
        .values()
        .filter(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("EVENT"))
        .map(|i| {
            assert_eq!(string(i, "kind"), "event", "the stream filter needs kind");
            assert_eq!(string(i, "pk"), format!("EVENT#{}", string(i, "event_id")));
            let expires: i64 = i
                .get("expires_at")
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .expect("an event item expires");
            assert!(expires > gymit_shared::time::epoch_seconds());
            EventItem {
                event_id: string(i, "event_id"),
                event_type: string(i, "type"),
                entity: (string(i, "entity_key"), string(i, "entity_id")),
                data: serde_json::from_str(&string(i, "data")).expect("data is JSON"),
            }
        })
        .collect();
    events.sort_by(|a, b| a.event_id.cmp(&b.event_id)); // UUID v7: time ordered
    events
}

/// The keys that differ between two snapshots.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in after {
        match before.get(k) {
            None => out.push(format!("added {k:?}")),
            Some(old) if old != v => out.push(format!("changed {k:?}: {old:?} -> {v:?}")),
            _ => {}
        }
    }
    for k in before.keys() {
        if !after.contains_key(k) {
            out.push(format!("removed {k:?}"));
        }
    }
    out
}

/// Runs a test whose one future calls every route in turn on a runtime whose threads have
/// 16 MiB stacks: a debug build of that future outgrows the test thread's 2 MiB (the
/// functions themselves each run one route and stay far below it).
pub fn on_large_stacks<F>(body: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .thread_stack_size(16 << 20)
        .enable_all()
        .build()
        .expect("a test runtime")
        .block_on(async { tokio::spawn(body).await.expect("the test's body") })
}
