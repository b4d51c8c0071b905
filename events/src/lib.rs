//! The sample events of `events/`: one per function of `template.yaml`, named after its
//! binary, holding the event that the function's source delivers (events/README.md).
//!
//! The envelopes follow the template (each route, the authorizer, the WebSocket routes, the
//! streams and topics); what they carry comes from the services' own types and code, never
//! from a copy of their shapes:
//! - `users-create` gets the user that `auth-register` makes of a new `Account`;
//! - the stream samples hold the outbox item (`Event::to_item`) of the events the services
//!   write: a ban through `Change` and `user_event` (users), a result reported through the
//!   bracket engine and `match_completed` (tournaments);
//! - the SNS samples carry `Event::message` of the same events, the body the outbox
//!   publisher sends, with the attributes it sets;
//! - HTTP samples carry the context `auth-authorizer` answers for a valid token.
//!
//! A change in those types changes the samples: `tests/sample_events.rs` then fails until
//! `make events` writes them again, and it feeds every sample to its function's handler.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use chrono::{DateTime, SecondsFormat, Utc};
use gymit_auth::domain::Account;
use gymit_local::template::{Function, Route, StreamSource, Template, WebSocketRoute, ACCOUNT};
use gymit_shared::{
    events::Event,
    identity::{Role, Verdict},
    user::User,
};
use gymit_tournaments::bracket::{generate, Format, GrandFinal, Kind};
use gymit_users::domain::{Change, Profile};
use serde_json::{json, Map, Value};

/// The stack and region the samples name (whatever `GYMIT_STACK` or `AWS_REGION` say).
pub const STACK: &str = "gymit";
pub const REGION: &str = "us-east-1";

pub const USER_ID: &str = "0193a5b0-7c1e-7000-8000-000000000001";
pub const ADMIN_ID: &str = "0193a5b0-7c1e-7000-8000-000000000002";
pub const TRAINER_ID: &str = "0193a5b0-7c1e-7000-8000-000000000003";
pub const TOURNAMENT_ID: &str = "0193a5b0-7c1e-7000-8000-000000000071";
/// The sample tournament's participants in seed order; the first is the one the samples
/// name (`{participant_id}`, the winner of the reported match).
pub const PARTICIPANTS: [&str; 4] = [
    "0193a5b0-7c1e-7000-8000-0000000000aa",
    "0193a5b0-7c1e-7000-8000-0000000000ab",
    "0193a5b0-7c1e-7000-8000-0000000000ac",
    "0193a5b0-7c1e-7000-8000-0000000000ad",
];
pub const PARTICIPANT_ID: &str = PARTICIPANTS[0];
pub const CONNECTION_ID: &str = "ZmFrZS1jb25uLWlk";
/// Another spectator's connection (the fan-out shard's sample posts to both).
pub const SECOND_CONNECTION_ID: &str = "c2Vjb25kLWNvbm4h";
pub const CORRELATION_ID: &str = "sample-correlation-id";
/// Where an access token goes: events/README.md says how to get one.
pub const TOKEN_PLACEHOLDER: &str = "<access token: see events/README.md>";
pub const USER_EVENT_ID: &str = "0193a5b0-7c1e-7000-8000-00000000e001";
pub const TOURNAMENT_EVENT_ID: &str = "0193a5b0-7c1e-7000-8000-00000000e002";
/// When things happen: the account is created (and requests arrive) at `CREATED`, it is
/// banned at `BANNED`, the first match's result is reported at `RESULT_REPORTED`.
pub const CREATED: &str = "2026-11-24T10:00:00Z";
pub const BANNED: &str = "2026-11-24T10:05:00Z";
pub const RESULT_REPORTED: &str = "2026-11-24T10:30:00Z";
pub const BAN_REASON: &str = "no-show";
pub const SCORE: &str = "21-19,18-21,21-15";
/// The request `api-default` gets in its sample: a path that exists, with a method it lacks.
pub const UNROUTED: (&str, &str) = ("PUT", "/api/users/me");
/// The route the authorizer's sample authorizes.
pub const AUTHORIZED: (&str, &str) = ("GET", "/api/auth/me");

/// Who calls a route behind the authorizer: what `auth-authorizer` puts in the context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: &'static str,
    pub email: &'static str,
    pub role: Role,
    pub approved: bool,
}

pub const MEMBER: Caller = Caller {
    user_id: USER_ID,
    email: "ana@example.com",
    role: Role::Member,
    approved: true,
};
pub const ADMIN: Caller = Caller {
    user_id: ADMIN_ID,
    email: "admin@example.com",
    role: Role::Admin,
    approved: true,
};
pub const TRAINER: Caller = Caller {
    user_id: TRAINER_ID,
    email: "coach@example.com",
    role: Role::Trainer,
    approved: true,
};

/// The caller of a route's sample: the role the route asks for (API.md).
pub fn caller_of(binary: &str) -> Caller {
    match binary {
        "users-list" | "users-approve" | "users-ban" | "users-unban" | "users-set-role"
        | "users-delete" => ADMIN,
        "tournaments-create"
        | "tournaments-update"
        | "tournaments-cancel"
        | "tournaments-start"
        | "tournaments-result-report"
        | "tournaments-result-correct"
        | "tournaments-disqualify"
        | "tournaments-drop"
        | "tournaments-participant-check-in"
        | "tournaments-participants-bulk" => TRAINER,
        _ => MEMBER,
    }
}

/// The context `auth-authorizer` answers for a valid token of `caller`.
pub fn authorizer_context(caller: &Caller) -> Value {
    json!({
        "verdict": Verdict::Allow.as_str(),
        "user_id": caller.user_id,
        "email": caller.email,
        "role": caller.role.as_str(),
        "approved": caller.approved,
    })
}

/// The body of a route's sample request, if it sends one.
pub fn body_of(binary: &str) -> Option<Value> {
    let refresh = "cmVmcmVzaC10b2tlbi1zYW1wbGUtcmVmcmVzaC10b2tlbg";
    Some(match binary {
        "auth-register" => {
            json!({"email": "ana@example.com", "password": "correct horse battery", "full_name": "Ana Lopez"})
        }
        "auth-login" => json!({"email": "ana@example.com", "password": "correct horse battery"}),
        "auth-refresh" | "auth-logout" => json!({ "refresh_token": refresh }),
        "auth-password" => {
            json!({"current_password": "correct horse battery", "new_password": "a new long passphrase"})
        }
        "auth-password-reset" => json!({"email": "ana@example.com"}),
        "auth-password-reset-confirm" => json!({
            "code": "YW5hQGV4YW1wbGUuY29t.cmVzZXQtY29kZS1zYW1wbGUtcmVzZXQtY29kZS1zYW1wbGU",
            "new_password": "a new long passphrase",
        }),
        "users-me-update" => json!({"full_name": "Ana María López"}),
        "users-ban" => json!({ "reason": BAN_REASON }),
        "users-set-role" => json!({"role": Role::Trainer.as_str()}),
        "tournaments-create" => json!({
            "name": "Spring Open",
            "start_date": "2027-03-01T10:00:00Z",
            "max_participants": 16,
            "tournament_type": "double_elimination",
            "grand_final": "double",
        }),
        "tournaments-update" => json!({"description": "Bring your own racket."}),
        "tournaments-join" => json!({}),
        "tournaments-start" => json!({"seeding": "by_seed"}),
        "tournaments-participants-bulk" => json!({
            "items": [{"name": "Bo Chen"}, {"name": "Ana Lopez", "user_id": USER_ID}],
        }),
        "tournaments-result-report" => json!({ "winner_id": PARTICIPANT_ID, "score": SCORE }),
        "tournaments-result-correct" => {
            json!({ "winner_id": PARTICIPANT_ID, "score": "21-17,21-15" })
        }
        _ => return None,
    })
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("a fixed RFC 3339 time")
        .with_timezone(&Utc)
}

/// API Gateway's `requestContext.time`.
fn request_time(rfc3339: &str) -> String {
    at(rfc3339).format("%d/%b/%Y:%H:%M:%S %z").to_string()
}

fn epoch_ms(rfc3339: &str) -> i64 {
    at(rfc3339).timestamp_millis()
}

/// An event as written at `when`, with a fixed id (`Event::new` takes both from the clock).
fn fixed(mut event: Event, id: &str, when: &str) -> Event {
    event.event_id = id.to_string();
    event.occurred_at = at(when).to_rfc3339_opts(SecondsFormat::Millis, true);
    event
}

// ------------------------------------------------------------------ domain values

/// The user of the sample registration, as `auth-register` hands it to the user service:
/// a new `Account` (member, not approved yet) made a `User`.
pub fn registered_user() -> User {
    let body = body_of("auth-register").expect("a registration body");
    let mut account = Account::new(
        body["email"].as_str().unwrap_or_default().to_string(),
        body["full_name"].as_str().unwrap_or_default().to_string(),
        String::new(),
    );
    account.id = USER_ID.to_string();
    account.created_at = CREATED.to_string();
    account.updated_at = CREATED.to_string();
    account.to_user()
}

/// What `users-create` is invoked with for the sample registration (`Profiles::create`).
pub fn users_create_payload() -> Value {
    json!({ "user": registered_user(), "correlation_id": CORRELATION_ID })
}

/// What `notifications-fanout` hands `notifications-fanout-shard` for a part of the sample
/// result's recipients: the frame every subscriber receives, and the connections of the part.
pub fn fanout_shard_payload() -> Value {
    let (_, event) = played_match();
    let job = gymit_notifications::shards::ShardJob {
        event_id: event.event_id.clone(),
        frame: gymit_notifications::messages::event_frame(&event).to_string(),
        connection_ids: vec![CONNECTION_ID.to_string(), SECOND_CONNECTION_ID.to_string()],
    };
    serde_json::to_value(job).expect("a shard job is JSON")
}

/// `user.banned` as `users-ban` writes it: the registered user's profile, approved
/// (version 2), then banned (version 3) by an admin.
pub fn user_event() -> Event {
    let mut profile = Profile {
        user: registered_user(),
        ban_reason: None,
        version: 1,
    };
    Change::Approve.apply(&mut profile);
    profile.version = 2;
    let ban = Change::Ban {
        reason: Some(BAN_REASON.to_string()),
    };
    ban.apply(&mut profile);
    profile.version = 3;
    profile.user.updated_at = BANNED.to_string();
    fixed(
        gymit_users::handlers::admin::user_event(ban.event_type(), &profile),
        USER_EVENT_ID,
        BANNED,
    )
}

/// The first result of the sample tournament (double elimination, the four participants in
/// seed order): the first seed wins their first-round match. The match's id, and the
/// `match.completed` event that `tournaments-result-report` writes for it.
pub fn played_match() -> (String, Event) {
    let seeds: Vec<String> = PARTICIPANTS.iter().map(|p| p.to_string()).collect();
    let format = Format {
        kind: Kind::DoubleElimination,
        third_place_match: false,
        grand_final: GrandFinal::Double,
        stages: gymit_tournaments::bracket::Stages::NONE,
    };
    let before = generate(format, &seeds);
    let id = before
        .ready()
        .find(|m| m.has(PARTICIPANT_ID))
        .expect("the first seed plays in round one")
        .id
        .clone();
    let mut after = before.clone();
    after
        .report(&id, Some(PARTICIPANT_ID), SCORE)
        .expect("a ready match takes a result");
    let m = after.get(&id).expect("the reported match");
    let updated: Vec<_> = after
        .changed_since(&before)
        .into_iter()
        .filter(|u| u.id != m.id)
        .collect();
    let data = gymit_tournaments::handlers::match_completed(m, &updated);
    let event = gymit_tournaments::handlers::event("match.completed", TOURNAMENT_ID, data);
    (id, fixed(event, TOURNAMENT_EVENT_ID, RESULT_REPORTED))
}

/// The outbox item of `event` as a stream image (DynamoDB JSON), expiring as long after the
/// event as `Event::to_item` makes it expire after now.
pub fn outbox_image(event: &Event) -> Value {
    let now = Utc::now().timestamp();
    let item = event.to_item();
    let mut image = serde_json::to_value(serde_dynamo::Item::from(item)).expect("an item");
    let expires = image["expires_at"]["N"]
        .as_str()
        .and_then(|n| n.parse::<i64>().ok())
        .expect("an outbox item expires");
    // To the minute: the clock may have ticked between the two readings.
    let ttl = (expires - now + 30) / 60 * 60;
    let written = at(&event.occurred_at).timestamp();
    image["expires_at"] = json!({ "N": (written + ttl).to_string() });
    image
}

// ------------------------------------------------------------------ envelopes

/// Where a function's events come from, as the template wires it.
#[derive(Debug, Clone)]
pub enum Source {
    /// An HTTP API route (`$default` included).
    Http(Route),
    /// The HTTP API's Lambda authorizer.
    Authorizer,
    /// A WebSocket API route, and the API's stage.
    WebSocket(WebSocketRoute, String),
    /// A DynamoDB stream: the table's logical id and the mapping.
    Stream(StreamSource),
    /// An SNS topic (logical id).
    Topic(String),
    /// Invoked directly (the Lambda Invoke API or the operator).
    Direct,
}

pub fn source_of(template: &Template, f: &Function) -> Source {
    if let Some(route) = f.routes.first() {
        return Source::Http(route.clone());
    }
    if template.authorizer_binary().as_deref() == Some(f.binary.as_str()) {
        return Source::Authorizer;
    }
    if let Some(api) = template.websocket_api() {
        if let Some(route) = api.routes.iter().find(|r| r.binary == f.binary) {
            return Source::WebSocket(route.clone(), api.stage.clone());
        }
    }
    if let Some(stream) = f.streams.first() {
        return Source::Stream(stream.clone());
    }
    if let Some(topic) = f.topics.first() {
        return Source::Topic(topic.clone());
    }
    Source::Direct
}

fn request_context(method: &str, path: &str, route_key: &str, request_id: &str) -> Value {
    json!({
        "accountId": ACCOUNT,
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "127",
        "http": {
            "method": method,
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": "curl/8.5.0",
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": request_time(CREATED),
        "timeEpoch": epoch_ms(CREATED),
    })
}

fn base_headers() -> Map<String, Value> {
    let mut h = Map::new();
    h.insert("accept".into(), json!("application/json"));
    h.insert("host".into(), json!("127.0.0.1:8000"));
    h.insert("user-agent".into(), json!("curl/8.5.0"));
    h.insert("x-correlation-id".into(), json!(CORRELATION_ID));
    h
}

fn bearer() -> String {
    format!("Bearer {TOKEN_PLACEHOLDER}")
}

/// The value of each `{param}` of a route path in the samples.
fn path_parameters(path: &str, match_id: &str) -> Result<BTreeMap<String, String>, String> {
    let mut params = BTreeMap::new();
    for segment in path.split('/') {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        let value = match name {
            "id" if path.starts_with("/api/users/") => USER_ID,
            "id" if path.starts_with("/api/tournaments/") => TOURNAMENT_ID,
            "participant_id" => PARTICIPANT_ID,
            "user_id" => USER_ID,
            "match_id" => match_id,
            other => {
                return Err(format!(
                    "no sample value for the path parameter {{{other}}}"
                ))
            }
        };
        params.insert(name.to_string(), value.to_string());
    }
    Ok(params)
}

/// An HTTP API payload 2.0 request for `route` (for `$default`, the `UNROUTED` request).
fn http_event(binary: &str, route: &Route, match_id: &str) -> Result<Value, String> {
    let (method, raw_path, route_key, params) = if route.path == "$default" {
        let (m, p) = UNROUTED;
        (m.to_string(), p.to_string(), "$default".to_string(), None)
    } else {
        let params = path_parameters(&route.path, match_id)?;
        let mut raw = route.path.clone();
        for (k, v) in &params {
            raw = raw.replace(&format!("{{{k}}}"), v);
        }
        let key = format!("{} {}", route.method, route.path);
        (route.method.clone(), raw, key, Some(params))
    };
    let body = body_of(binary);
    let mut headers = base_headers();
    if body.is_some() {
        headers.insert("content-type".into(), json!("application/json"));
    }
    let mut context = request_context(&method, &raw_path, &route_key, &format!("sample-{binary}"));
    if route.authorized {
        headers.insert("authorization".into(), json!(bearer()));
        context["authorizer"] = json!({ "lambda": authorizer_context(&caller_of(binary)) });
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": false,
    });
    if let Some(params) = params.filter(|p| !p.is_empty()) {
        event["pathParameters"] = json!(params);
    }
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    Ok(event)
}

/// The HTTP API's Lambda authorizer request (payload 2.0) for `AUTHORIZED`.
fn authorizer_event() -> Value {
    let (method, path) = AUTHORIZED;
    let route_key = format!("{method} {path}");
    let mut headers = base_headers();
    headers.insert("authorization".into(), json!(bearer()));
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": format!("arn:aws:execute-api:{REGION}:{ACCOUNT}:local/$default/{method}{path}"),
        "identitySource": [bearer()],
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": request_context(method, path, &route_key, "sample-authorizer"),
    })
}

/// A WebSocket API proxy request, as API Gateway (and gymit-local) send it: `$connect` with
/// the token in the query, `$default` with a subscription, `$disconnect` after the client
/// closed the socket.
fn websocket_event(route_key: &str, stage: &str) -> Result<Value, String> {
    let (event_type, name) = match route_key {
        "$connect" => ("CONNECT", "connect"),
        "$disconnect" => ("DISCONNECT", "disconnect"),
        "$default" => ("MESSAGE", "default"),
        other => return Err(format!("no sample for the WebSocket route {other}")),
    };
    let mut context = json!({
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": format!("sample-{name}"),
        "requestTime": request_time(CREATED),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": epoch_ms(CREATED),
        "requestTimeEpoch": epoch_ms(CREATED) + 1500,
        "identity": { "sourceIp": "127.0.0.1", "userAgent": "Mozilla/5.0" },
        "requestId": format!("sample-{name}"),
        "domainName": "127.0.0.1:8000",
        "connectionId": CONNECTION_ID,
        "apiId": "local",
    });
    let mut event = json!({ "isBase64Encoded": false });
    match event_type {
        "CONNECT" => {
            let headers = json!({
                "Host": "127.0.0.1:8000",
                "Sec-WebSocket-Key": "c2FtcGxlLXdlYnNvY2tldA==",
                "Sec-WebSocket-Version": "13",
                "User-Agent": "Mozilla/5.0",
            });
            let multi: Map<String, Value> = headers
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), json!([v])))
                .collect();
            event["headers"] = headers;
            event["multiValueHeaders"] = Value::Object(multi);
            event["queryStringParameters"] = json!({ "token": TOKEN_PLACEHOLDER });
            event["multiValueQueryStringParameters"] = json!({ "token": [TOKEN_PLACEHOLDER] });
        }
        "DISCONNECT" => {
            context["disconnectStatusCode"] = json!(1000);
            context["disconnectReason"] = json!("Client closed the connection");
        }
        _ => {
            context["messageId"] = json!("c2FtcGxlLW1lc3NhZ2U=");
            event["body"] =
                json!(json!({"action": "subscribe", "tournament_id": TOURNAMENT_ID}).to_string());
        }
    }
    event["requestContext"] = context;
    Ok(event)
}

/// A stream batch of one record: the insert of `event`'s outbox item into `table`.
fn stream_event(table: &str, event: &Event) -> Value {
    let image = outbox_image(event);
    let keys = json!({ "pk": image["pk"], "sk": image["sk"] });
    let size = image.to_string().len();
    json!({ "Records": [{
        "eventID": "c81e728d9d4c2f636f067f89cc14862c",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {
            "ApproximateCreationDateTime": at(&event.occurred_at).timestamp(),
            "Keys": keys,
            "NewImage": image,
            "SequenceNumber": "100000000000000000001",
            "SizeBytes": size,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}/stream/2026-11-24T10:00:00.000"),
    }]})
}

/// One SNS notification of `event` on `topic_arn`: the message and attributes the outbox
/// publisher (`shared::events::publish_stream_batch`) sends.
fn sns_event(topic_arn: &str, event: &Event) -> Value {
    let attribute = |v: &str| json!({ "Type": "String", "Value": v });
    let mut attributes = Map::new();
    attributes.insert("type".into(), attribute(&event.event_type));
    attributes.insert(event.entity.0.clone(), attribute(&event.entity.1));
    let subscription = format!("{topic_arn}:0193a5b0-7c1e-7000-8000-000000005001");
    json!({ "Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription,
        "Sns": {
            "Type": "Notification",
            "MessageId": "0193a5b0-7c1e-7000-8000-000000006001",
            "TopicArn": topic_arn,
            "Subject": null,
            "Message": event.message().to_string(),
            "Timestamp": event.occurred_at,
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": format!("https://sns.{REGION}.amazonaws.com/SimpleNotificationService-example.pem"),
            "UnsubscribeUrl": format!("https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription}"),
            "MessageAttributes": attributes,
        },
    }]})
}

/// The event a table's stream or a topic carries in the samples, by logical id.
fn event_of(logical: &str, user: &Event, tournament: &Event) -> Result<Event, String> {
    match logical {
        "UsersTable" | "UserEventsTopic" => Ok(user.clone()),
        "TournamentsTable" | "TournamentEventsTopic" => Ok(tournament.clone()),
        other => Err(format!("no sample event for what {other} carries")),
    }
}

/// The payload of a function invoked directly.
fn direct_event(binary: &str) -> Result<Value, String> {
    match binary {
        // The operator's (or `make dev`'s) invocation: the function reads no input.
        "auth-bootstrap-admin" => Ok(json!({})),
        "users-create" => Ok(users_create_payload()),
        "notifications-fanout-shard" => Ok(fanout_shard_payload()),
        other => Err(format!(
            "no sample payload for {other}, which is invoked directly"
        )),
    }
}

// ------------------------------------------------------------------ all of them

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf()
}

/// `events/`, where the samples live.
pub fn events_dir() -> PathBuf {
    root().join("events")
}

/// template.yaml, naming `STACK` in `REGION`.
pub fn template() -> Result<Template, String> {
    let path = root().join("template.yaml");
    let mut t = Template::load(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    t.stack = STACK.to_string();
    t.region = REGION.to_string();
    Ok(t)
}

/// Every function's sample, by binary; `Err` names the functions without one.
pub fn samples(template: &Template) -> Result<BTreeMap<String, Value>, String> {
    let tables: BTreeMap<String, String> = template
        .tables()
        .into_iter()
        .map(|(logical, name, _)| (logical, name))
        .collect();
    let topics: BTreeMap<String, String> = template.topics().into_iter().collect();
    let (match_id, tournament) = played_match();
    let user = user_event();
    let mut out = BTreeMap::new();
    let mut missing = Vec::new();
    for f in template.functions() {
        let event = match source_of(template, &f) {
            Source::Http(route) => http_event(&f.binary, &route, &match_id),
            Source::Authorizer => Ok(authorizer_event()),
            Source::WebSocket(route, stage) => websocket_event(&route.key, &stage),
            Source::Stream(stream) => event_of(&stream.table, &user, &tournament).and_then(|e| {
                let table = tables
                    .get(&stream.table)
                    .ok_or_else(|| format!("no table {}", stream.table))?;
                Ok(stream_event(table, &e))
            }),
            Source::Topic(topic) => event_of(&topic, &user, &tournament).and_then(|e| {
                let name = topics
                    .get(&topic)
                    .ok_or_else(|| format!("no topic {topic}"))?;
                Ok(sns_event(&template.topic_arn(name), &e))
            }),
            Source::Direct => direct_event(&f.binary),
        };
        match event {
            Ok(event) => {
                out.insert(f.binary, event);
            }
            Err(why) => missing.push(format!("{}: {why}", f.binary)),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(format!("no sample event for:\n  {}", missing.join("\n  ")))
    }
}

/// A sample as its file holds it.
pub fn render(event: &Value) -> String {
    let mut text = serde_json::to_string_pretty(event).expect("JSON");
    text.push('\n');
    text
}

fn sample_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if let Some(binary) = name.strip_suffix(".json") {
            names.push(binary.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Writes every sample into `dir` and removes the samples of functions that are gone;
/// returns the names of the files it changed.
pub fn write(dir: &Path, samples: &BTreeMap<String, Value>) -> std::io::Result<Vec<String>> {
    let mut changed = Vec::new();
    for binary in sample_files(dir)? {
        if !samples.contains_key(&binary) {
            std::fs::remove_file(dir.join(format!("{binary}.json")))?;
            changed.push(format!("{binary}.json (removed)"));
        }
    }
    for (binary, event) in samples {
        let path = dir.join(format!("{binary}.json"));
        let text = render(event);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
            changed.push(format!("{binary}.json"));
        }
    }
    Ok(changed)
}

/// What differs between `dir` and `samples`: missing, different or extra files.
pub fn stale(dir: &Path, samples: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for binary in sample_files(dir).unwrap_or_default() {
        if !samples.contains_key(&binary) {
            out.push(format!(
                "{binary}.json: no function of template.yaml has this binary"
            ));
        }
    }
    for (binary, event) in samples {
        let path = dir.join(format!("{binary}.json"));
        match std::fs::read_to_string(&path) {
            Err(e) => out.push(format!("{binary}.json: {e}")),
            Ok(text) if text != render(event) => out.push(format!("{binary}.json: differs")),
            Ok(_) => {}
        }
    }
    out
}
