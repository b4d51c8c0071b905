//! Every sample of `events/` is what `make events` writes today, reads as the event type the
//! Lambda runtime hands its function, and makes the function do what the event asks: each
//! is fed to its binary's handler, with the state its `main` builds, pointed at AWS
//! endpoints that are closed (no stack, no network) or, for SNS and Lambda Invoke, at a
//! recorder in this process.
//!
//! A function whose table is closed cannot finish: what the test asserts is how far the
//! sample got, which a stale sample would not. An HTTP request passes the token check, the
//! authorizer's context, the path and the body and reaches its table (503
//! `dependency_unavailable`); a stream record is an outbox event that the publisher
//! publishes as exactly the message of the topic samples; a topic sample decodes into the
//! user or tournament event its consumer applies, and the consumer goes to its table to
//! apply it (an event it ignores would succeed instead).

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region, SdkConfig};
use aws_lambda_events::{
    apigw::{
        ApiGatewayV2CustomAuthorizerV2Request, ApiGatewayV2httpRequest,
        ApiGatewayWebsocketProxyRequest,
    },
    dynamodb::Event as StreamEvent,
    sns::SnsEvent,
};
use axum::{
    extract::State,
    http::{header::CONTENT_TYPE, Uri},
    response::IntoResponse,
    routing::post,
    Form, Router,
};
use gymit_auth::{
    handlers::{
        authorizer::{self, Authorizer},
        bootstrap_admin::{self, Bootstrap, RootAdmin},
        login, logout, me, password, password_reset, password_reset_confirm, refresh, register,
        sync_user,
    },
    mail::Mailer,
    profiles::Profiles,
    store::AuthStore,
    Auth, PasswordReset, Registration,
};
use gymit_local::template::{Function, Template};
use gymit_notifications::{
    accounts::Accounts,
    handlers::{connect, default, disconnect, fanout},
    messages::{self, Action},
    store::ConnectionsStore,
    Connections, Notifications,
};
use gymit_sample_events::{self as samples, Source};
use gymit_shared::{
    cursor::CursorKey,
    events::{sns_messages, Event, Publisher},
    health::Health,
    identity::Role,
    jwt::Tokens,
    keys::Keys,
    user::User,
    Request, Response,
};
use gymit_tournaments::{store::TournamentsStore, Tournaments};
use gymit_users::{handlers::create::NewProfile, store::UsersStore, Users};
use lambda_http::{request::RequestContext, RequestExt};
use serde_json::{json, Value};

const SECRET: &str = "sample-events-test-secret-sample-events-test-secret";

fn template() -> Template {
    samples::template().unwrap_or_else(|e| panic!("{e}"))
}

/// The functions the template wires to `kind` of source, with their source.
fn functions_of(t: &Template, kind: fn(&Source) -> bool) -> Vec<(Function, Source)> {
    t.functions()
        .into_iter()
        .map(|f| {
            let source = samples::source_of(t, &f);
            (f, source)
        })
        .filter(|(_, s)| kind(s))
        .collect()
}

fn sample_text(binary: &str) -> String {
    let path = samples::events_dir().join(format!("{binary}.json"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `make events`)", path.display()))
}

fn sample(binary: &str) -> Value {
    serde_json::from_str(&sample_text(binary)).unwrap_or_else(|e| panic!("{binary}: {e}"))
}

// ------------------------------------------------------------------ AWS, offline

/// Static credentials, one attempt per call, short timeouts: a closed endpoint fails at once.
async fn sdk() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(samples::REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "sample",
            "sample",
            None,
            None,
            "sample-events",
        ))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(Duration::from_secs(5))
                .build(),
        )
        .load()
        .await
}

/// An endpoint nothing listens on.
fn closed() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn dynamodb(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .endpoint_url(closed())
            .build(),
    )
}

/// One request the recorder received: its path, and its form fields (SNS) or its body
/// (Lambda, as `payload`).
type Received = (String, Vec<(String, String)>);

#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<Received>>>);

impl Recorded {
    fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.0.lock().expect("not poisoned"))
    }
}

const PUBLISH_RESPONSE: &str = r#"<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful><member><Id>0</Id><MessageId>0193a5b0-7c1e-7000-8000-000000006001</MessageId></member></Successful><Failed/></PublishBatchResult><ResponseMetadata><RequestId>sample</RequestId></ResponseMetadata></PublishBatchResponse>"#;

/// SNS (`PublishBatch` of one message, query protocol) and Lambda `Invoke`, answering success and keeping
/// what was sent.
async fn recorder() -> (String, Recorded) {
    async fn sns(
        State(r): State<Recorded>,
        Form(fields): Form<Vec<(String, String)>>,
    ) -> impl IntoResponse {
        r.0.lock()
            .expect("not poisoned")
            .push(("/".to_string(), fields));
        ([(CONTENT_TYPE, "text/xml")], PUBLISH_RESPONSE)
    }
    async fn invoke(State(r): State<Recorded>, uri: Uri, body: String) -> impl IntoResponse {
        r.0.lock()
            .expect("not poisoned")
            .push((uri.path().to_string(), vec![("payload".to_string(), body)]));
        ([(CONTENT_TYPE, "application/json")], r#"{"user":{}}"#)
    }
    let recorded = Recorded::default();
    let app = Router::new()
        .route("/", post(sns))
        .route("/2015-03-31/functions/{name}/invocations", post(invoke))
        .with_state(recorded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, recorded)
}

/// The state each binary's `main` builds (`from_env`), on closed endpoints.
struct States {
    auth: Arc<Auth>,
    registration: Arc<Registration>,
    password_reset: Arc<PasswordReset>,
    users: Arc<Users>,
    tournaments: Arc<Tournaments>,
    notifications: Arc<Notifications>,
    connections: Arc<Connections>,
    db: aws_sdk_dynamodb::Client,
    tokens: Tokens,
}

impl States {
    async fn new() -> States {
        let sdk = sdk().await;
        let db = dynamodb(&sdk);
        let tokens = Tokens::new(SECRET);
        let auth = || Auth {
            store: AuthStore::new(db.clone(), "gymit-auth".into()),
            tokens: tokens.clone(),
        };
        let lambda = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&sdk)
                .endpoint_url(closed())
                .build(),
        );
        let store = || ConnectionsStore::new(db.clone(), "gymit-connections".into());
        States {
            auth: Arc::new(auth()),
            registration: Arc::new(Registration {
                store: auth().store,
                profiles: Profiles::new(lambda.clone(), "users-create".into()),
            }),
            password_reset: Arc::new(PasswordReset {
                store: auth().store,
                mailer: Mailer::new(
                    aws_sdk_sesv2::Client::new(&sdk),
                    "no-reply@gymit.example".into(),
                ),
                web_app_url: "https://gymit.example".into(),
            }),
            users: Arc::new(Users {
                store: UsersStore::new(db.clone(), "gymit-users".into()),
                keys: Keys::given(Some(tokens.clone()), Some(CursorKey::derive(SECRET))),
            }),
            tournaments: Arc::new(Tournaments::new(
                TournamentsStore::new(db.clone(), "gymit-tournaments".into()),
                Keys::given(Some(tokens.clone()), Some(CursorKey::derive(SECRET))),
            )),
            notifications: Arc::new(Notifications {
                store: store(),
                tokens: tokens.clone(),
                accounts: Accounts::new(lambda.clone(), "auth-authorizer".into()),
                anonymous_per_source: gymit_notifications::DEFAULT_ANONYMOUS_PER_SOURCE,
                per_account: gymit_notifications::DEFAULT_CONNECTIONS_PER_ACCOUNT,
            }),
            connections: Arc::new(Connections { store: store() }),
            db,
            tokens,
        }
    }

    fn health(&self, service: &'static str) -> Arc<Health> {
        Arc::new(Health {
            service,
            db: self.db.clone(),
            table: format!("gymit-{service}"),
        })
    }

    /// A valid access token for the caller an authorizer context names.
    fn token_for(&self, context: &Value) -> String {
        let role = context["role"]
            .as_str()
            .and_then(Role::parse)
            .expect("a role in the context");
        self.tokens
            .issue(
                context["user_id"].as_str().expect("a user id"),
                context["email"].as_str().expect("an email"),
                role,
                context["approved"].as_bool().expect("approval"),
            )
            .expect("a token")
            .0
    }
}

/// One invocation of an HTTP or WebSocket function, as its `main` runs it.
async fn answer(binary: &str, req: Request, s: &States) -> Response {
    use gymit_shared::http::handle;
    use gymit_tournaments::handlers as t;
    use gymit_users::handlers as u;
    let name: &'static str = Box::leak(binary.to_string().into_boxed_str());
    match binary {
        "api-default" => handle(name, Arc::new(()), req, gymit_api::handle).await,
        "auth-healthz" => {
            let handler = gymit_auth::handlers::healthz::handle;
            handle(name, s.health("auth"), req, handler).await
        }
        "auth-login" => handle(name, s.auth.clone(), req, login::handle).await,
        "auth-logout" => handle(name, Arc::new(s.auth.store.clone()), req, logout::handle).await,
        "auth-me" => handle(name, s.auth.clone(), req, me::handle).await,
        "auth-password" => handle(name, s.auth.clone(), req, password::handle).await,
        "auth-password-reset" => {
            handle(name, s.password_reset.clone(), req, password_reset::handle).await
        }
        "auth-password-reset-confirm" => {
            let store = Arc::new(s.auth.store.clone());
            handle(name, store, req, password_reset_confirm::handle).await
        }
        "auth-refresh" => handle(name, s.auth.clone(), req, refresh::handle).await,
        "auth-register" => handle(name, s.registration.clone(), req, register::handle).await,
        "users-healthz" => handle(name, s.health("users"), req, u::healthz::handle).await,
        "users-approve" => handle(name, s.users.clone(), req, u::approve::handle).await,
        "users-ban" => handle(name, s.users.clone(), req, u::ban::handle).await,
        "users-delete" => handle(name, s.users.clone(), req, u::delete::handle).await,
        "users-get" => handle(name, s.users.clone(), req, u::get::handle).await,
        "users-list" => handle(name, s.users.clone(), req, u::list::handle).await,
        "users-me-get" => handle(name, s.users.clone(), req, u::me_get::handle).await,
        "users-me-update" => handle(name, s.users.clone(), req, u::me_update::handle).await,
        "users-set-role" => handle(name, s.users.clone(), req, u::set_role::handle).await,
        "users-unban" => handle(name, s.users.clone(), req, u::unban::handle).await,
        "tournaments-healthz" => {
            handle(name, s.health("tournaments"), req, t::healthz::handle).await
        }
        "tournaments-bracket" => handle(name, s.tournaments.clone(), req, t::bracket::handle).await,
        "tournaments-cancel" => handle(name, s.tournaments.clone(), req, t::cancel::handle).await,
        "tournaments-create" => handle(name, s.tournaments.clone(), req, t::create::handle).await,
        "tournaments-disqualify" => {
            handle(name, s.tournaments.clone(), req, t::disqualify::handle).await
        }
        "tournaments-drop" => handle(name, s.tournaments.clone(), req, t::drop::handle).await,
        "tournaments-check-in" => {
            handle(name, s.tournaments.clone(), req, t::check_in::myself).await
        }
        "tournaments-participant-check-in" => {
            handle(name, s.tournaments.clone(), req, t::check_in::participant).await
        }
        "tournaments-waitlist-list" => {
            let handler = t::waitlist_list::handle;
            handle(name, s.tournaments.clone(), req, handler).await
        }
        "tournaments-waitlist-leave" => {
            let handler = t::waitlist_leave::handle;
            handle(name, s.tournaments.clone(), req, handler).await
        }
        "tournaments-participants-bulk" => {
            handle(name, s.tournaments.clone(), req, t::bulk::handle).await
        }
        "tournaments-get" => handle(name, s.tournaments.clone(), req, t::get::handle).await,
        "tournaments-join" => handle(name, s.tournaments.clone(), req, t::join::handle).await,
        "tournaments-list" => handle(name, s.tournaments.clone(), req, t::list::handle).await,
        "tournaments-participant-remove" => {
            let handler = t::participant_remove::handle;
            handle(name, s.tournaments.clone(), req, handler).await
        }
        "tournaments-participants-list" => {
            let handler = t::participants_list::handle;
            handle(name, s.tournaments.clone(), req, handler).await
        }
        "tournaments-result-correct" => {
            handle(name, s.tournaments.clone(), req, t::results::correct).await
        }
        "tournaments-result-report" => {
            handle(name, s.tournaments.clone(), req, t::results::report).await
        }
        "tournaments-standings" => {
            handle(name, s.tournaments.clone(), req, t::standings::handle).await
        }
        "tournaments-start" => handle(name, s.tournaments.clone(), req, t::start::handle).await,
        "tournaments-update" => handle(name, s.tournaments.clone(), req, t::update::handle).await,
        "notifications-healthz" => {
            let handler = gymit_notifications::handlers::healthz::handle;
            handle(name, s.health("notifications"), req, handler).await
        }
        "notifications-connect" => {
            handle(name, s.notifications.clone(), req, connect::handle).await
        }
        "notifications-default" => {
            let handler = default::handle::<Connections>;
            handle(name, s.connections.clone(), req, handler).await
        }
        "notifications-disconnect" => {
            let handler = disconnect::handle::<Connections>;
            handle(name, s.connections.clone(), req, handler).await
        }
        other => panic!(
            "{other}: a function this test cannot run yet: add it to `answer`, as its main runs it"
        ),
    }
}

fn status_and_body(r: &Response) -> (u16, Value) {
    let body = serde_json::from_slice(r.body().as_ref()).unwrap_or(Value::Null);
    (r.status().as_u16(), body)
}

fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

// ------------------------------------------------------------------ the tests

#[test]
fn every_function_has_a_sample_and_it_is_what_make_events_writes() {
    let t = template();
    let built = samples::samples(&t).unwrap_or_else(|e| panic!("{e}"));
    let functions: BTreeSet<String> = t.functions().into_iter().map(|f| f.binary).collect();
    assert!(!functions.is_empty(), "template.yaml lists functions");
    assert_eq!(
        built.keys().cloned().collect::<BTreeSet<_>>(),
        functions,
        "one sample per function of template.yaml"
    );
    let stale = samples::stale(&samples::events_dir(), &built);
    assert!(
        stale.is_empty(),
        "events/ is not what `make events` writes now (run it):\n  {}",
        stale.join("\n  ")
    );
}

#[tokio::test]
async fn http_samples_pass_every_check_of_their_function_and_reach_its_table() {
    let t = template();
    let states = States::new().await;
    let http = functions_of(&t, |s| matches!(s, Source::Http(_)));
    assert!(!http.is_empty());
    for (f, source) in &http {
        let Source::Http(route) = source else {
            unreachable!()
        };
        let binary = f.binary.as_str();
        let text = sample_text(binary);
        let raw: ApiGatewayV2httpRequest = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{binary}: not an HTTP API payload 2.0 request: {e}"));
        let route_key = if route.path == "$default" {
            "$default".to_string()
        } else {
            format!("{} {}", route.method, route.path)
        };
        assert_eq!(
            raw.route_key.as_deref(),
            Some(route_key.as_str()),
            "{binary}"
        );
        let authorizer = raw
            .request_context
            .authorizer
            .as_ref()
            .map(|a| serde_json::to_value(&a.fields).expect("JSON"));
        assert_eq!(
            authorizer.is_some(),
            route.authorized,
            "{binary}: an authorizer context exactly on the routes behind the authorizer"
        );
        let req = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{binary}: lambda_http cannot read it: {e}"));
        assert!(
            matches!(
                req.request_context_ref(),
                Some(RequestContext::ApiGatewayV2(_))
            ),
            "{binary}: lambda_http reads it as an HTTP API request"
        );

        let text = match &authorizer {
            Some(context) => {
                // As written, the token is a placeholder: the function itself refuses it.
                let r = answer(binary, req, &states).await;
                let (status, body) = status_and_body(&r);
                assert_eq!(
                    (status, &body["code"]),
                    (401, &json!("unauthenticated")),
                    "{binary}"
                );
                assert_eq!(context["verdict"], "allow", "{binary}");
                text.replace(samples::TOKEN_PLACEHOLDER, &states.token_for(context))
            }
            None => {
                assert!(!text.contains(samples::TOKEN_PLACEHOLDER), "{binary}");
                text
            }
        };
        let req = lambda_http::request::from_str(&text).expect("still a request");
        let r = answer(binary, req, &states).await;
        let (status, body) = status_and_body(&r);
        assert_eq!(
            header(&r, "x-correlation-id"),
            Some(samples::CORRELATION_ID),
            "{binary}"
        );
        assert_eq!(
            header(&r, "x-request-id"),
            raw.request_context.request_id.as_deref(),
            "{binary}"
        );
        match binary {
            "api-default" => {
                // PUT /api/users/me: the path exists with other methods.
                assert_eq!((status, &body["code"]), (405, &json!("method_not_allowed")));
                assert_eq!(header(&r, "allow"), Some("DELETE, GET, PATCH"));
            }
            b if b.ends_with("-healthz") => {
                let service = b.trim_end_matches("-healthz");
                assert_eq!(status, 503, "{binary}: {body}");
                assert_eq!(body["status"], "degraded", "{binary}");
                assert_eq!(body["service"], service, "{binary}");
            }
            _ => assert_eq!(
                (status, &body["code"]),
                (503, &json!("dependency_unavailable")),
                "{binary}: the sample should pass the token, context, path and body checks \
                 and reach the table, but got {body}"
            ),
        }
    }
    println!("{} HTTP samples fed to their functions", http.len());
}

#[tokio::test]
async fn the_authorizer_sample_is_read_for_its_token() {
    let t = template();
    let states = States::new().await;
    let functions = functions_of(&t, |s| matches!(s, Source::Authorizer));
    assert_eq!(functions.len(), 1, "one Lambda authorizer");
    let binary = functions[0].0.binary.as_str();
    let text = sample_text(binary);
    let raw: ApiGatewayV2CustomAuthorizerV2Request = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{binary}: not an authorizer request (payload 2.0): {e}"));
    let authorized: BTreeSet<String> = t
        .functions()
        .iter()
        .flat_map(|f| &f.routes)
        .filter(|r| r.authorized)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    let key = raw.route_key.clone().unwrap_or_default();
    assert!(
        authorized.contains(&key),
        "{binary}: {key} is behind the authorizer"
    );
    let bearer = raw
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    assert_eq!(
        raw.identity_source
            .as_deref()
            .map(|s| s.first().map(String::as_str)),
        Some(bearer)
    );

    let state = Authorizer {
        store: states.auth.store.clone(),
        tokens: states.tokens.clone(),
    };
    let answer = authorizer::handle(&state, raw.clone())
        .await
        .expect("a placeholder token needs no table");
    assert_eq!(
        answer,
        json!({"isAuthorized": true, "context": {"verdict": "unauthenticated"}})
    );
    let token = states.token_for(&samples::authorizer_context(&samples::MEMBER));
    let with_token: ApiGatewayV2CustomAuthorizerV2Request =
        serde_json::from_str(&text.replace(samples::TOKEN_PLACEHOLDER, &token))
            .expect("still an authorizer request");
    assert!(
        authorizer::handle(&state, with_token).await.is_err(),
        "with a valid token it reads the account (and fails closed when it cannot)"
    );
}

#[tokio::test]
async fn websocket_samples_are_the_connection_s_and_reach_its_table() {
    let t = template();
    let states = States::new().await;
    let functions = functions_of(&t, |s| matches!(s, Source::WebSocket(..)));
    assert!(!functions.is_empty());
    for (f, source) in &functions {
        let Source::WebSocket(route, stage) = source else {
            unreachable!()
        };
        let binary = f.binary.as_str();
        let text = sample_text(binary);
        let raw: ApiGatewayWebsocketProxyRequest = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{binary}: not a WebSocket API request: {e}"));
        let ctx = &raw.request_context;
        assert_eq!(
            ctx.route_key.as_deref(),
            Some(route.key.as_str()),
            "{binary}"
        );
        assert_eq!(ctx.stage.as_deref(), Some(stage.as_str()), "{binary}");
        let req = lambda_http::request::from_str(&text).expect("lambda_http reads it");
        assert!(
            matches!(
                req.request_context_ref(),
                Some(RequestContext::WebSocket(_))
            ),
            "{binary}: lambda_http reads it as a WebSocket request"
        );
        assert_eq!(
            gymit_notifications::handlers::connection_id(&req).expect("a connection"),
            samples::CONNECTION_ID
        );
        match binary {
            "notifications-connect" => {
                // The token in the query: as written a placeholder, refused.
                let (status, _) = status_and_body(&answer(binary, req, &states).await);
                assert_eq!(status, 401, "{binary}");
                let token = states.token_for(&samples::authorizer_context(&samples::MEMBER));
                let text = text.replace(samples::TOKEN_PLACEHOLDER, &token);
                let req = lambda_http::request::from_str(&text).expect("a request");
                let (status, body) = status_and_body(&answer(binary, req, &states).await);
                assert_eq!(
                    (status, &body["code"]),
                    (503, &json!("dependency_unavailable")),
                    "{binary}: a valid token, so it asks the auth service about the account"
                );
            }
            "notifications-default" => {
                assert_eq!(
                    messages::parse(req.body().as_ref()),
                    Ok(Action::Subscribe(samples::TOURNAMENT_ID.into()))
                );
                let (status, body) = status_and_body(&answer(binary, req, &states).await);
                // The route response: it went to look the tournament up.
                assert_eq!(status, 200);
                assert_eq!(body["type"], "error", "{body}");
                assert_eq!(body["code"], "dependency_unavailable", "{body}");
            }
            "notifications-disconnect" => {
                assert_eq!(ctx.event_type.as_deref(), Some("DISCONNECT"));
                let (status, body) = status_and_body(&answer(binary, req, &states).await);
                assert_eq!(
                    (status, &body["code"]),
                    (503, &json!("dependency_unavailable")),
                    "{binary}: it deletes the connection"
                );
            }
            other => panic!("{other}: a WebSocket route this test does not know"),
        }
    }
}

/// The topic sample that a topic's subscriber gets, by topic ARN.
fn topic_samples(t: &Template) -> BTreeMap<String, Value> {
    functions_of(t, |s| matches!(s, Source::Topic(_)))
        .into_iter()
        .map(|(f, _)| {
            let s = sample(&f.binary);
            let arn = s["Records"][0]["Sns"]["TopicArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (arn, s)
        })
        .collect()
}

/// What the user service announces in the samples: the ban of the sample user.
fn assert_is_the_ban(e: &Event) {
    assert_eq!(e.event_id, samples::USER_EVENT_ID);
    assert_eq!(e.event_type, "user.banned");
    assert_eq!(e.entity, ("user_id".into(), samples::USER_ID.into()));
    let user: User = serde_json::from_value(e.data["user"].clone()).expect("a user");
    assert_eq!(user.id, samples::USER_ID);
    assert!(user.is_banned && user.is_approved && user.is_active);
    assert_eq!(e.data["version"], 3);
}

/// What the tournament service announces in the samples: the first seed won their first
/// match, and the bracket moved them (and their opponent) on.
fn assert_is_the_result(e: &Event) {
    assert_eq!(e.event_id, samples::TOURNAMENT_EVENT_ID);
    assert_eq!(e.event_type, "match.completed");
    assert_eq!(
        e.entity,
        ("tournament_id".into(), samples::TOURNAMENT_ID.into())
    );
    let m = &e.data["match"];
    let (match_id, _) = samples::played_match();
    assert_eq!(m["id"], json!(match_id));
    assert_eq!(m["status"], "completed");
    assert_eq!(m["winner_id"], samples::PARTICIPANT_ID);
    assert_eq!(m["score"], samples::SCORE);
    let updated = e.data["updated_matches"].as_array().expect("a list");
    assert!(
        updated
            .iter()
            .any(|u| u["participant1_id"] == samples::PARTICIPANT_ID
                || u["participant2_id"] == samples::PARTICIPANT_ID),
        "the winner arrives in their next match: {updated:?}"
    );
    for field in ["next_match_id", "match_number", "bracket", "round"] {
        assert!(m.get(field).is_some(), "a match has {field}: {m}");
    }
}

#[tokio::test]
async fn stream_samples_are_outbox_events_that_the_publisher_sends_as_the_topic_samples() {
    let t = template();
    let topics: BTreeMap<String, String> = t.topics().into_iter().collect();
    let delivered = topic_samples(&t);
    let (url, recorded) = recorder().await;
    let sns = aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(&sdk().await)
            .endpoint_url(&url)
            .build(),
    );
    let functions = functions_of(&t, |s| matches!(s, Source::Stream(_)));
    assert!(!functions.is_empty());
    for (f, source) in &functions {
        let Source::Stream(stream) = source else {
            unreachable!()
        };
        let binary = f.binary.as_str();
        let value = sample(binary);
        let batch: StreamEvent = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{binary}: not a DynamoDB stream event: {e}"));
        assert_eq!(batch.records.len(), 1, "{binary}");
        let table = t
            .tables()
            .into_iter()
            .find(|(l, _, _)| *l == stream.table)
            .map(|(_, name, _)| name)
            .expect("the stream's table");
        let record = &value["Records"][0];
        assert!(
            record["eventSourceARN"]
                .as_str()
                .is_some_and(|a| a.contains(&format!(":table/{table}/stream/"))),
            "{binary}: from {table}'s stream"
        );
        for pattern in &stream.filters {
            assert!(
                gymit_local::streams::matches(pattern, record),
                "{binary}: the mapping's FilterCriteria would drop the record"
            );
        }
        let event = Event::from_stream_image(&batch.records[0].change.new_image)
            .unwrap_or_else(|| panic!("{binary}: the record is not an outbox event item"));
        let topic_logical = match binary {
            "users-publish-events" => {
                assert_is_the_ban(&event);
                "UserEventsTopic"
            }
            "tournaments-publish-events" => {
                assert_is_the_result(&event);
                "TournamentEventsTopic"
            }
            other => panic!("{other}: a stream consumer this test does not know"),
        };

        // Its function publishes it, as the message its topic's subscribers get.
        let topic_arn = t.topic_arn(&topics[topic_logical]);
        let publisher = Publisher {
            sns: sns.clone(),
            topic_arn: topic_arn.clone(),
        };
        let outcome = publisher.handle(batch).await.expect("an answer");
        assert_eq!(
            outcome,
            json!({"published": 1, "batchItemFailures": []}),
            "{binary}"
        );
        let sent = recorded.take();
        assert_eq!(sent.len(), 1, "{binary}: one PublishBatch");
        let all: BTreeMap<String, String> = sent[0].1.iter().cloned().collect();
        assert_eq!(all.get("Action").map(String::as_str), Some("PublishBatch"));
        assert_eq!(all.get("TopicArn"), Some(&topic_arn));
        // The one entry's fields, without their `PublishBatchRequestEntries.member.1.` prefix.
        let fields: BTreeMap<String, String> = all
            .iter()
            .filter_map(|(k, v)| {
                let field = k.strip_prefix("PublishBatchRequestEntries.member.1.")?;
                Some((field.to_string(), v.clone()))
            })
            .collect();
        assert!(
            !all.keys()
                .any(|k| k.starts_with("PublishBatchRequestEntries.member.2.")),
            "{binary}: one message"
        );
        let delivery = delivered
            .get(&topic_arn)
            .unwrap_or_else(|| panic!("{binary}: no topic sample of {topic_arn}"));
        let sns_sample = &delivery["Records"][0]["Sns"];
        assert_eq!(
            fields.get("Message").map(String::as_str),
            sns_sample["Message"].as_str(),
            "{binary}: the topic sample's message is what the publisher sends"
        );
        let mut attributes = BTreeMap::new();
        for i in 1.. {
            let entry = |k: &str| fields.get(&format!("MessageAttributes.entry.{i}.{k}"));
            let Some(name) = entry("Name") else { break };
            attributes.insert(
                name.clone(),
                json!({
                    "Type": entry("Value.DataType").expect("a data type"),
                    "Value": entry("Value.StringValue").expect("a value"),
                }),
            );
        }
        assert_eq!(
            json!(attributes),
            sns_sample["MessageAttributes"],
            "{binary}: the topic sample's attributes are what the publisher sets"
        );
    }
}

#[tokio::test]
async fn topic_samples_are_the_events_their_consumers_apply() {
    let t = template();
    let topics: BTreeMap<String, String> = t.topics().into_iter().collect();
    let states = States::new().await;
    let functions = functions_of(&t, |s| matches!(s, Source::Topic(_)));
    assert!(!functions.is_empty());
    for (f, source) in &functions {
        let Source::Topic(topic) = source else {
            unreachable!()
        };
        let binary = f.binary.as_str();
        let value = sample(binary);
        let parsed: SnsEvent = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("{binary}: not an SNS event: {e}"));
        assert_eq!(parsed.records.len(), 1, "{binary}");
        assert_eq!(parsed.records[0].sns.topic_arn, t.topic_arn(&topics[topic]));
        // What the consumer reads of it (shared::events::sns_messages, in its handler).
        let events = sns_messages(&parsed);
        assert_eq!(events.len(), 1, "{binary}: the message is a GymIT event");
        let e = &events[0];
        let attributes = &parsed.records[0].sns.message_attributes;
        assert_eq!(attributes["type"].value, e.event_type, "{binary}");
        assert_eq!(
            attributes[e.entity.0.as_str()].value,
            e.entity.1,
            "{binary}"
        );
        match binary {
            "tournaments-sync-user" => {
                assert_is_the_ban(e);
                // It goes on to apply the ban to the members projection: with the table
                // closed the invocation fails (so SNS retries it).
                let err = gymit_tournaments::handlers::sync_user::handle(
                    &states.tournaments.store,
                    parsed.clone(),
                )
                .await
                .expect_err("it applies the ban to the members projection");
                assert!(err.contains("store unavailable"), "{binary}: {err}");
            }
            "auth-sync-user" => {
                assert_is_the_ban(e);
                // It goes on to apply the ban to the auth record: with the table closed the
                // invocation fails (so SNS retries it); an event it skips would succeed.
                let err = sync_user::handle(&states.auth.store, parsed.clone())
                    .await
                    .expect_err("it applies the ban to the auth table");
                assert!(err.contains("store unavailable"), "{binary}: {err}");
            }
            "notifications-fanout" => {
                assert_is_the_result(e);
                // Subscribers of the tournament get this frame; the lobby does not.
                let frame = messages::event_frame(e);
                assert_eq!(frame["type"], "match.completed");
                assert_eq!(frame["tournament_id"], samples::TOURNAMENT_ID);
                assert_eq!(frame["data"]["match"]["winner_id"], samples::PARTICIPANT_ID);
                assert!(!messages::EventKind::of(&e.event_type).reaches_lobby());
                let state = fanout::Fanout {
                    poster: fanout::Poster {
                        store: ConnectionsStore::new(states.db.clone(), "gymit-connections".into()),
                        api: gymit_notifications::management::ConnectionsApi::from_client(
                            aws_sdk_apigatewaymanagement::Client::from_conf(
                                aws_sdk_apigatewaymanagement::config::Builder::from(&sdk().await)
                                    .endpoint_url(closed())
                                    .build(),
                            ),
                            Duration::from_secs(1),
                        ),
                        concurrency: 4,
                    },
                    shards: None,
                };
                let err = fanout::handle(&state, parsed.clone())
                    .await
                    .expect_err("it looks the tournament's subscribers up");
                assert!(err.contains("store unavailable"), "{binary}: {err}");
            }
            other => panic!("{other}: a topic consumer this test does not know"),
        }
    }
}

#[tokio::test]
async fn direct_invocation_samples_are_what_their_callers_send() {
    let t = template();
    let states = States::new().await;
    let functions = functions_of(&t, |s| matches!(s, Source::Direct));
    assert!(!functions.is_empty());
    for (f, _) in &functions {
        let binary = f.binary.as_str();
        let value = sample(binary);
        match binary {
            "users-create" => {
                let user: User = serde_json::from_value(value["user"].clone())
                    .unwrap_or_else(|e| panic!("{binary}: not a user: {e}"));
                assert_eq!(user.id, samples::USER_ID);
                assert!(!user.is_approved && !user.is_banned && user.is_active);
                assert_eq!(value["correlation_id"], samples::CORRELATION_ID);
                // Exactly what auth-register (Profiles::create) invokes it with.
                let (url, recorded) = recorder().await;
                let lambda = aws_sdk_lambda::Client::from_conf(
                    aws_sdk_lambda::config::Builder::from(&sdk().await)
                        .endpoint_url(&url)
                        .build(),
                );
                Profiles::new(lambda, binary.into())
                    .create(&user, samples::CORRELATION_ID)
                    .await
                    .expect("the recorder answers 200");
                let sent = recorded.take();
                assert_eq!(sent.len(), 1);
                assert_eq!(
                    sent[0].0,
                    format!("/2015-03-31/functions/{binary}/invocations")
                );
                let payload: Value = serde_json::from_str(&sent[0].1[0].1).expect("JSON");
                assert_eq!(payload, value, "{binary}: the caller's payload");
                // The function reads it and goes on to store the profile.
                let payload: NewProfile = serde_json::from_value(value)
                    .unwrap_or_else(|e| panic!("{binary}: not what the function reads: {e}"));
                let err = gymit_users::handlers::create::handle(&states.users, payload)
                    .await
                    .expect_err("it stores the profile");
                assert_eq!(err, "the profile could not be stored", "{binary}");
            }
            "auth-bootstrap-admin" => {
                // The operator sends nothing, and the function reads nothing of it.
                assert_eq!(value, json!({}));
                let _: Bootstrap = serde_json::from_value(value)
                    .unwrap_or_else(|e| panic!("{binary}: not what the function reads: {e}"));
                let root = RootAdmin {
                    email: "root@gymit.local".into(),
                    password: "gymit-root-admin-password".into(),
                };
                let err = bootstrap_admin::handle(&states.registration, &root)
                    .await
                    .expect_err("it looks the root admin up");
                assert!(err.contains("store unavailable"), "{binary}: {err}");
            }
            "notifications-fanout-shard" => {
                // The job the fan-out hands over: the sample result's frame, for two
                // connections; the shard posts it to each (here to a closed port: both fail).
                let job: gymit_notifications::shards::ShardJob =
                    serde_json::from_value(value.clone())
                        .unwrap_or_else(|e| panic!("{binary}: not what the function reads: {e}"));
                let (_, event) = samples::played_match();
                let frame: Value = serde_json::from_str(&job.frame).expect("a JSON frame");
                assert_eq!(frame, messages::event_frame(&event), "{binary}");
                assert_eq!(job.connection_ids.len(), 2, "{binary}");
                let poster = fanout::Poster {
                    store: ConnectionsStore::new(states.db.clone(), "gymit-connections".into()),
                    api: gymit_notifications::management::ConnectionsApi::from_client(
                        aws_sdk_apigatewaymanagement::Client::from_conf(
                            aws_sdk_apigatewaymanagement::config::Builder::from(&sdk().await)
                                .endpoint_url(closed())
                                .build(),
                        ),
                        Duration::from_millis(500),
                    ),
                    concurrency: 4,
                };
                let report =
                    gymit_notifications::handlers::fanout_shard::handle(&poster, job).await;
                assert_eq!(report.failed, 2, "{binary}: {report:?}");
            }
            other => panic!("{other}: a directly invoked function this test does not know"),
        }
    }
}
