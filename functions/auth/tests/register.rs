//! `auth-register` in process against a real DynamoDB emulator (`AWS_ENDPOINT_URL`, see
//! `make test`), with the user service's Invoke endpoint (what `AWS_ENDPOINT_URL_LAMBDA`
//! points at) either closed, failing, or answering: a registration either completes, or
//! leaves neither the account nor its email item behind.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::post,
    Router,
};
use gymit_auth::{handlers::register, profiles::Profiles, store::AuthStore, Registration};
use gymit_shared::{Request, Response};
use lambda_http::Body;
use serde_json::{json, Value};

const CORRELATION_ID: &str = "register-test-correlation";

async fn fresh_store() -> AuthStore {
    let tables = gymit_local::testing::fresh_tables(&["AuthTable"]).await;
    AuthStore::new(
        gymit_shared::aws::dynamodb().await,
        tables["AuthTable"].clone(),
    )
}

/// The function's state as `Registration::from_env` builds it, with the Lambda client's
/// endpoint set explicitly (tests run in parallel, so not through `AWS_ENDPOINT_URL_LAMBDA`).
async fn registration(store: &AuthStore, lambda_endpoint: &str) -> Arc<Registration> {
    let sdk = gymit_shared::aws::sdk_config().await;
    let lambda = aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(&sdk)
            .endpoint_url(lambda_endpoint)
            .build(),
    );
    Arc::new(Registration {
        store: store.clone(),
        profiles: Profiles::new(lambda, "users-create".into()),
    })
}

fn register_request(email: &str) -> Request {
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/api/auth/register")
        .header("content-type", "application/json")
        .header("x-correlation-id", CORRELATION_ID)
        .body(Body::Text(
            json!({
                "email": email,
                "password": "correct horse battery staple",
                "full_name": "Grace Hopper",
            })
            .to_string(),
        ))
        .expect("a valid request")
}

async fn register(state: &Arc<Registration>, email: &str) -> (u16, Value, Response) {
    let response = gymit_shared::http::handle(
        "auth-register",
        state.clone(),
        register_request(email),
        register::handle,
    )
    .await;
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body, response)
}

/// Every item of the (fresh) auth table.
async fn items(store: &AuthStore) -> Vec<gymit_shared::dynamo::Item> {
    store
        .db()
        .scan()
        .table_name(store.table())
        .consistent_read(true)
        .send()
        .await
        .expect("scan")
        .items
        .unwrap_or_default()
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[derive(Clone, Copy)]
enum Answer {
    /// `users-create` returns its result.
    Created,
    /// `users-create` failed (the Invoke API's 200 with `X-Amz-Function-Error`).
    FunctionError,
}

#[derive(Clone)]
struct Stub {
    answer: Answer,
    calls: Arc<Mutex<Vec<(String, Value)>>>,
}

async fn invocation(
    State(stub): State<Stub>,
    Path(function): Path<String>,
    body: String,
) -> impl IntoResponse {
    let payload: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    stub.calls.lock().unwrap().push((function, payload.clone()));
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    match stub.answer {
        Answer::Created => (
            StatusCode::OK,
            headers,
            json!({ "user": payload["user"] }).to_string(),
        ),
        Answer::FunctionError => {
            headers.insert("x-amz-function-error", "Unhandled".parse().unwrap());
            (
                StatusCode::OK,
                headers,
                json!({ "errorType": "&str", "errorMessage": "the profile could not be stored" })
                    .to_string(),
            )
        }
    }
}

/// The Lambda Invoke API of a `users-create` that answers as told; returns its endpoint and
/// the invocations it received (function name, payload).
async fn users_create(answer: Answer) -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/2015-03-31/functions/{function}/invocations",
            post(invocation),
        )
        .with_state(Stub {
            answer,
            calls: calls.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), calls)
}

fn assert_dependency_unavailable(status: u16, body: &Value, response: &Response) {
    assert_eq!(status, 503, "body: {body}");
    assert_eq!(body["code"], "dependency_unavailable", "body: {body}");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn an_unreachable_user_service_leaves_no_account_behind() {
    let store = fresh_store().await;
    let state = registration(&store, &format!("http://127.0.0.1:{}", closed_port())).await;

    let (status, body, response) = register(&state, "grace@example.com").await;
    assert_dependency_unavailable(status, &body, &response);

    assert!(
        items(&store).await.is_empty(),
        "neither the account nor its email item may stay"
    );
    assert!(store
        .account_by_email("grace@example.com")
        .await
        .unwrap()
        .is_none());

    // The email is free again: once the user service answers, the same email registers.
    let (endpoint, calls) = users_create(Answer::Created).await;
    let state = registration(&store, &endpoint).await;
    let (status, body, _) = register(&state, "grace@example.com").await;
    assert_eq!(status, 201, "body: {body}");
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert_eq!(items(&store).await.len(), 2);
}

#[tokio::test]
async fn a_failing_users_create_is_retried_then_compensated() {
    let (endpoint, calls) = users_create(Answer::FunctionError).await;
    let store = fresh_store().await;
    let state = registration(&store, &endpoint).await;

    let (status, body, response) = register(&state, "Hopper@Example.com").await;
    assert_dependency_unavailable(status, &body, &response);

    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 3, "the profile client tries three times");
    for (function, payload) in &calls {
        assert_eq!(function, "users-create");
        assert_eq!(payload["user"]["email"], "hopper@example.com");
        assert_eq!(payload["correlation_id"], CORRELATION_ID);
    }
    assert_eq!(calls[0].1["user"]["id"], calls[2].1["user"]["id"]);
    assert!(items(&store).await.is_empty());
}

#[tokio::test]
async fn a_reachable_user_service_completes_the_registration() {
    let (endpoint, calls) = users_create(Answer::Created).await;
    let store = fresh_store().await;
    let state = registration(&store, &endpoint).await;

    let (status, body, _) = register(&state, "Grace@Example.com").await;
    assert_eq!(status, 201, "body: {body}");
    let user = &body["user"];
    assert_eq!(user["email"], "grace@example.com");
    assert_eq!(user["full_name"], "Grace Hopper");
    assert_eq!(user["role"], "member");
    assert_eq!(user["is_approved"], false);
    assert_eq!(user["is_root_admin"], false);
    let id = user["id"].as_str().expect("an id").to_string();

    // The user service was asked for exactly this user.
    {
        let calls = calls.lock().unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].1["user"], *user);
        assert_eq!(calls[0].1["correlation_id"], CORRELATION_ID);
    }

    // The account and its email item, and the password only as an argon2id hash.
    assert_eq!(items(&store).await.len(), 2);
    let account = store
        .account_by_email("grace@example.com")
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(account.id, id);
    assert!(account.password_hash.starts_with("$argon2id$"));
    assert!(gymit_auth::domain::verify_password(
        "correct horse battery staple",
        &account.password_hash
    ));

    // The same email again (differently cased): 409, and the user service is not asked.
    let (status, body, _) = register(&state, "GRACE@example.com").await;
    assert_eq!(status, 409, "body: {body}");
    assert_eq!(body["code"], "email_taken");
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert_eq!(items(&store).await.len(), 2);
}
