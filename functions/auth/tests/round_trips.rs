//! DynamoDB round trips per auth route (DESIGN.md "Data": one or two a route), counted by
//! an SDK interceptor (`gymit_local::testing::RoundTrips`) on the client the functions'
//! state uses, while each route answers on its success path; the exact requests are
//! asserted, so a regression fails (`cargo test -p gymit-auth --test round_trips --
//! --nocapture` prints the table). Registration's invoke of `users-create` (Lambda, not
//! DynamoDB) goes to an in-test Invoke API and is not counted.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use axum::{extract::Path, http::HeaderMap, routing::post, Router};
use gymit_auth::{
    handlers::{
        authorizer::{self, Authorizer},
        bootstrap_admin::{self, RootAdmin},
        login, logout, me, password, refresh, register,
    },
    profiles::Profiles,
    store::AuthStore,
    Auth, Registration,
};
use gymit_local::testing::{Budget, RoundTrips};
use gymit_shared::{jwt::Tokens, Request};
use serde_json::{json, Value};

const SECRET: &str = "round-trips-test-secret-round-trips-test";
const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a whole new passphrase";

/// The function that serves each route (template.yaml), whose policy must allow its requests.
const FUNCTIONS: [(&str, &str); 8] = [
    ("register", "AuthRegisterFunction"),
    ("login", "AuthLoginFunction"),
    ("authorizer", "AuthAuthorizerFunction"),
    ("me", "AuthMeFunction"),
    ("refresh", "AuthRefreshFunction"),
    ("password", "AuthPasswordFunction"),
    ("logout", "AuthLogoutFunction"),
    ("bootstrap-admin", "AuthBootstrapAdminFunction"),
];

/// `users-create`'s Invoke API, answering every invocation with the profile it was given;
/// returns its endpoint and how many invocations it received.
async fn users_create() -> (String, Arc<Mutex<usize>>) {
    let calls = Arc::new(Mutex::new(0));
    let counter = calls.clone();
    let app = Router::new().route(
        "/2015-03-31/functions/{function}/invocations",
        post(move |Path(_): Path<String>, body: String| {
            let counter = counter.clone();
            async move {
                *counter.lock().unwrap() += 1;
                let payload: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                let mut headers = HeaderMap::new();
                headers.insert("content-type", "application/json".parse().unwrap());
                (headers, json!({ "user": payload["user"] }).to_string())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), calls)
}

/// An HTTP API payload 2.0 event, read by lambda_http as the runtime does.
fn event(method: &str, path: &str, body: Option<Value>, bearer: Option<&str>) -> Request {
    let mut headers = json!({"host": "127.0.0.1", "content-type": "application/json"});
    if let Some(t) = bearer {
        headers["authorization"] = json!(format!("Bearer {t}"));
    }
    let mut e = json!({
        "version": "2.0", "routeKey": format!("{method} {path}"), "rawPath": path,
        "rawQueryString": "", "headers": headers, "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
            "domainPrefix": "127",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "round-trips-test"},
            "requestId": uuid::Uuid::now_v7().to_string(),
            "routeKey": format!("{method} {path}"), "stage": "$default",
            "time": "01/Dec/2026:10:00:00 +0000", "timeEpoch": 1795514400000u64
        }
    });
    if let Some(b) = body {
        e["body"] = json!(b.to_string());
    }
    lambda_http::request::from_str(&e.to_string()).expect("a payload 2.0 event")
}

/// Runs one route's handler as the binaries do; status and JSON body (Null when empty).
async fn call<S, F, Fut>(state: &Arc<S>, handler: F, req: Request) -> (u16, Value)
where
    F: Fn(Arc<S>, Request, gymit_shared::Ctx) -> Fut,
    Fut: std::future::Future<Output = Result<gymit_shared::Response, gymit_shared::ApiError>>,
{
    let response = gymit_shared::http::handle("auth-test", state.clone(), req, handler).await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

/// The authorizer's request for a bearer token, from the sample event the gateway sends.
fn authorizer_request(token: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut sample: Value =
        serde_json::from_str(include_str!("../../../events/auth-authorizer.json"))
            .expect("the sample event");
    let bearer = format!("Bearer {token}");
    sample["headers"]["authorization"] = json!(bearer);
    sample["identitySource"] = json!([bearer]);
    serde_json::from_value(sample).expect("an authorizer request (payload 2.0)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_route_sends_exactly_its_listed_requests() {
    let tables = gymit_local::testing::fresh_tables(&["AuthTable"]).await;
    let trips = RoundTrips::new();
    let store = AuthStore::new(
        trips.patient_client(&gymit_shared::aws::sdk_config().await),
        tables["AuthTable"].clone(),
    );
    let tokens = Tokens::new(SECRET);
    let auth = Arc::new(Auth {
        store: store.clone(),
        tokens: tokens.clone(),
    });
    let (endpoint, invocations) = users_create().await;
    let sdk = gymit_shared::aws::sdk_config().await;
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&sdk)
            .endpoint_url(&endpoint)
            .build(),
    );
    let registration = Arc::new(Registration {
        store: store.clone(),
        profiles: Profiles::new(lambda, "users-create".into()),
    });
    let authorizer = Authorizer {
        store: store.clone(),
        tokens: tokens.clone(),
    };
    // No auth route is over the budget of two.
    let mut table = Budget::new(&[]).checking_iam(&trips, &FUNCTIONS);

    // The account and its email item in one transaction, then users-create (not DynamoDB).
    let email = "grace@example.com";
    let body = json!({ "email": email, "password": PASSWORD, "full_name": "Grace Hopper" });
    let ((status, answer), ops) = trips
        .during(call(
            &registration,
            register::handle,
            event("POST", "/api/auth/register", Some(body), None),
        ))
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(*invocations.lock().unwrap(), 1, "users-create was invoked");
    table.expect(
        "register (+ invoke users-create)",
        &ops,
        &["TransactWriteItems"],
    );

    // The attempt's reservation on the email's login item returns the account; then the
    // cleared failures and the refresh token in one transaction.
    let credentials = json!({ "email": email, "password": PASSWORD });
    let ((status, session), ops) = trips
        .during(call(
            &auth,
            login::handle,
            event("POST", "/api/auth/login", Some(credentials), None),
        ))
        .await;
    assert_eq!(status, 200, "{session}");
    table.expect("login", &ops, &["UpdateItem", "TransactWriteItems"]);
    let access = session["access_token"].as_str().unwrap().to_string();
    let refresh_token = session["refresh_token"].as_str().unwrap().to_string();

    let (answer, ops) = trips
        .during(authorizer::handle(&authorizer, authorizer_request(&access)))
        .await;
    let answer = answer.expect("the table is reachable");
    assert_eq!(answer["context"]["verdict"], "allow", "{answer}");
    // The account and whether the token's session has ended, in one batch.
    table.expect("authorizer", &ops, &["BatchGetItem"]);

    let ((status, answer), ops) = trips
        .during(call(
            &auth,
            me::handle,
            event("GET", "/api/auth/me", None, Some(&access)),
        ))
        .await;
    assert_eq!(status, 200, "{answer}");
    table.expect("me", &ops, &["GetItem"]);

    // The token, the account and the family's revocation (one batch: the token names the
    // ids), then the rotation.
    let ((status, rotated), ops) = trips
        .during(call(
            &auth,
            refresh::handle,
            event(
                "POST",
                "/api/auth/refresh",
                Some(json!({ "refresh_token": refresh_token })),
                None,
            ),
        ))
        .await;
    assert_eq!(status, 200, "{rotated}");
    table.expect("refresh", &ops, &["BatchGetItem", "TransactWriteItems"]);
    let access = rotated["access_token"].as_str().unwrap().to_string();
    let refresh_token = rotated["refresh_token"].as_str().unwrap().to_string();

    // The reservation returns the account; the new hash, the revocation and the cleared
    // failures in one transaction.
    let change = json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD });
    let ((status, answer), ops) = trips
        .during(call(
            &auth,
            password::handle,
            event("POST", "/api/auth/password", Some(change), Some(&access)),
        ))
        .await;
    assert_eq!(status, 204, "{answer}");
    table.expect("password", &ops, &["UpdateItem", "TransactWriteItems"]);

    let ((status, answer), ops) = trips
        .during(call(
            &Arc::new(store.clone()),
            logout::handle,
            event(
                "POST",
                "/api/auth/logout",
                Some(json!({ "refresh_token": refresh_token })),
                None,
            ),
        ))
        .await;
    assert_eq!(status, 204, "{answer}");
    table.expect("logout", &ops, &["GetItem", "PutItem"]);

    // No route: the operator's (or `make dev`'s) invoke; then users-create (not DynamoDB).
    let root = RootAdmin {
        email: "root@example.com".into(),
        password: PASSWORD.into(),
    };
    let (answer, ops) = trips
        .during(bootstrap_admin::handle(&registration, &root))
        .await;
    let answer = answer.expect("the root admin is created");
    assert_eq!(answer["created"], true, "{answer}");
    table.expect(
        "bootstrap-admin (first run, + invoke users-create)",
        &ops,
        &["GetItem", "TransactWriteItems"],
    );
    let (answer, ops) = trips
        .during(bootstrap_admin::handle(&registration, &root))
        .await;
    let answer = answer.expect("the root admin is found");
    assert_eq!(answer["created"], false, "{answer}");
    table.expect(
        "bootstrap-admin (again, + invoke users-create)",
        &ops,
        &["GetItem"],
    );
    assert_eq!(*invocations.lock().unwrap(), 3);
    assert_eq!(table.len(), 9, "every route");
}
