//! What the notification tests share: fresh tables in the emulator (`AWS_ENDPOINT_URL`),
//! the state the route functions build, WebSocket proxy events as API Gateway sends them,
//! tournaments the service knows, and a look at every item of the connections table.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use std::{collections::BTreeMap, sync::Arc};

use aws_sdk_dynamodb::types::AttributeValue;
use gymit_notifications::{
    handlers::{connect, default, disconnect},
    store::ConnectionsStore,
    Notifications,
};
use gymit_shared::{dynamo::Item, identity::Role, jwt::Tokens, Request, Response};
use serde_json::{json, Value};

pub const SECRET: &str = "notifications-test-secret-notifications-test";
/// The source address of every WebSocket event the tests send (`requestContext.identity`).
pub const SOURCE_IP: &str = "203.0.113.7";

/// Fresh connections, tournaments and auth tables, and a client to look into them.
pub struct Tables {
    pub db: aws_sdk_dynamodb::Client,
    pub connections: String,
    pub auth: String,
}

impl Tables {
    pub async fn fresh() -> Self {
        let tables = gymit_local::testing::fresh_tables(&["ConnectionsTable", "AuthTable"]).await;
        Self {
            db: gymit_shared::aws::dynamodb().await,
            connections: tables["ConnectionsTable"].clone(),
            auth: tables["AuthTable"].clone(),
        }
    }

    /// A user of `role` with an auth record as the auth service stores it (active, not
    /// banned), and a fresh access token; returns the user id and the token.
    pub async fn user(&self, role: Role) -> (String, String) {
        let (user_id, token) = token(role);
        self.put_account(&user_id, role, true, false, 0).await;
        (user_id, token)
    }

    /// Writes (or overwrites) the auth record of `user_id` with the given state.
    pub async fn put_account(
        &self,
        user_id: &str,
        role: Role,
        active: bool,
        banned: bool,
        tokens_valid_after_ms: i64,
    ) {
        // The whole record, as the auth service stores it: its authorizer reads it.
        let account = gymit_auth::domain::Account {
            id: user_id.to_string(),
            email: "someone@example.com".into(),
            full_name: "Someone".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA".into(),
            role,
            is_approved: true,
            is_banned: banned,
            is_active: active,
            is_root_admin: false,
            created_at: "2026-11-24T10:00:00Z".into(),
            updated_at: "2026-11-24T10:00:00Z".into(),
            tokens_valid_after_ms,
            profile_version: 1,
        };
        let mut item = gymit_shared::dynamo::to_item(&account).expect("an item");
        item.insert("pk".into(), AttributeValue::S(format!("USER#{user_id}")));
        item.insert("sk".into(), AttributeValue::S("ACCOUNT".into()));
        self.db
            .put_item()
            .table_name(&self.auth)
            .set_item(Some(item))
            .send()
            .await
            .expect("account put");
    }

    /// The anonymous slots of `address` by slot number: the connection holding each, and
    /// its whole item (expired ones included: TTL removes them lazily).
    pub async fn anonymous_slots(&self, address: &str) -> BTreeMap<i64, Item> {
        let out = self
            .db
            .query()
            .table_name(&self.connections)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("SOURCE#{address}")))
            .consistent_read(true)
            .send()
            .await
            .expect("query");
        assert!(out.last_evaluated_key.is_none(), "one page is enough here");
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let sk = text(&item, "sk");
                let slot = sk
                    .strip_prefix("SLOT#")
                    .and_then(|k| k.parse().ok())
                    .unwrap_or_else(|| panic!("not a slot: {sk}"));
                (slot, item)
            })
            .collect()
    }

    /// The connections holding a slot of `address`, sorted.
    pub async fn slot_holders(&self, address: &str) -> Vec<String> {
        let mut holders: Vec<String> = self
            .anonymous_slots(address)
            .await
            .values()
            .map(|slot| text(slot, "connection_id"))
            .collect();
        holders.sort();
        holders
    }

    /// A store over these tables, as `store_from_env` builds it.
    pub async fn store(&self) -> ConnectionsStore {
        ConnectionsStore::new(
            gymit_shared::aws::dynamodb().await,
            self.connections.clone(),
        )
    }

    /// The state of the three route functions, as `Notifications::from_env` builds it.
    pub async fn notifications(&self) -> Arc<Notifications> {
        self.notifications_with_cap(gymit_notifications::DEFAULT_ANONYMOUS_PER_SOURCE)
            .await
    }

    /// The same with another cap of anonymous connections per source address.
    pub async fn notifications_with_cap(&self, anonymous_per_source: i64) -> Arc<Notifications> {
        Arc::new(Notifications {
            store: self.store().await,
            tokens: Tokens::new(SECRET),
            accounts: gymit_notifications::accounts::Accounts::new(
                self.authorizer().await,
                "auth-authorizer".into(),
            ),
            anonymous_per_source,
            per_account: gymit_notifications::DEFAULT_CONNECTIONS_PER_ACCOUNT,
        })
    }

    /// The state with a cap of connections per account.
    pub async fn notifications_with_account_cap(&self, per_account: i64) -> Arc<Notifications> {
        let mut state = self
            .notifications_with_cap(gymit_notifications::DEFAULT_ANONYMOUS_PER_SOURCE)
            .await;
        Arc::get_mut(&mut state)
            .expect("not shared yet")
            .per_account = per_account;
        state
    }

    /// The connections holding a slot of account `user_id`, sorted.
    pub async fn account_slot_holders(&self, user_id: &str) -> Vec<String> {
        let out = self
            .db
            .query()
            .table_name(&self.connections)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(format!("ACCOUNT#{user_id}")))
            .consistent_read(true)
            .send()
            .await
            .expect("query");
        let mut holders: Vec<String> = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|slot| text(slot, "connection_id"))
            .collect();
        holders.sort();
        holders
    }

    /// A Lambda client whose Invoke API is the auth service's real authorizer over this
    /// test's auth table (what `$connect` asks about a token's account).
    pub async fn authorizer(&self) -> aws_sdk_lambda::Client {
        use axum::{extract::State, routing::post, Router};
        let authorizer = Arc::new(gymit_auth::handlers::authorizer::Authorizer {
            store: gymit_auth::store::AuthStore::new(self.db.clone(), self.auth.clone()),
            tokens: Tokens::new(SECRET),
        });
        let app = Router::new()
            .route(
                "/2015-03-31/functions/auth-authorizer/invocations",
                post(
                    |State(a): State<Arc<gymit_auth::handlers::authorizer::Authorizer>>,
                     body: String| async move {
                        // Read as the authorizer's runtime reads it: a payload it could not
                        // decode would fail the invocation.
                        let event = serde_json::from_str(&body)
                            .expect("$connect sends the authorizer a request it can read");
                        let answer = gymit_auth::handlers::authorizer::handle(&a, event)
                            .await
                            .expect("the auth table answers");
                        answer.to_string()
                    },
                ),
            )
            .with_state(authorizer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let sdk = gymit_shared::aws::sdk_config().await;
        aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&sdk)
                .endpoint_url(format!("http://{addr}"))
                .build(),
        )
    }

    /// A tournament the service knows, as the fan-out records it from the tournament's
    /// `tournament.created` event.
    pub async fn tournament(&self) -> String {
        let id = uuid::Uuid::now_v7().to_string();
        self.store()
            .await
            .remember_tournament(&id)
            .await
            .expect("tournament known");
        id
    }

    /// Every connection and subscription item of the connections table by (pk, sk): not
    /// the anonymous slots, nor the known tournaments.
    pub async fn items(&self) -> BTreeMap<(String, String), Item> {
        let mut all = BTreeMap::new();
        let mut start = None;
        loop {
            let out = self
                .db
                .scan()
                .table_name(&self.connections)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            // Connections and subscriptions; the anonymous and account slots are read on
            // their own (`anonymous_slots`, `account_slot_holders`), and the known
            // tournaments are the tests' setup.
            for item in out.items.unwrap_or_default() {
                let pk = text(&item, "pk");
                if pk.starts_with("SOURCE#")
                    || pk.starts_with("ACCOUNT#")
                    || text(&item, "sk") == "#KNOWN"
                {
                    continue;
                }
                all.insert((text(&item, "pk"), text(&item, "sk")), item);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return all;
            }
        }
    }

    /// The (pk, sk) of every item of the connections table, sorted.
    pub async fn keys(&self) -> Vec<(String, String)> {
        self.items().await.into_keys().collect()
    }
}

pub fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .unwrap_or_else(|| panic!("item without {name}: {item:?}"))
        .clone()
}

pub fn number(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("item without number {name}: {item:?}"))
}

/// The three items one subscription of `conn` to `tid` consists of, with the connection's.
pub fn subscribed_keys(conn: &str, tids: &[&str]) -> Vec<(String, String)> {
    let mut keys = vec![(format!("CONN#{conn}"), "#META".to_string())];
    for t in tids {
        keys.push((format!("CONN#{conn}"), format!("SUB#{t}")));
        keys.push((format!("SUB#{t}"), format!("CONN#{conn}")));
    }
    keys.sort();
    keys
}

/// A connection id like API Gateway's (16 characters, base64 with padding).
pub fn connection_id() -> String {
    let random = uuid::Uuid::now_v7().simple().to_string();
    format!("{}Q=", &random[random.len() - 14..])
}

/// A fresh access token for a new user of `role`; returns the user id and the token.
pub fn token(role: Role) -> (String, String) {
    let user_id = uuid::Uuid::now_v7().to_string();
    let (token, _) = Tokens::new(SECRET)
        .issue(&user_id, "someone@example.com", role, true)
        .expect("token");
    (user_id, token)
}

/// An `APIGatewayWebsocketProxyRequest` as API Gateway sends it to a route's function.
pub fn websocket_event(
    event_type: &str,
    route: &str,
    connection_id: &str,
    query: Option<Value>,
    body: Option<&str>,
) -> Request {
    let now = gymit_shared::time::now().timestamp_millis();
    let request_id = uuid::Uuid::now_v7().to_string();
    let mut event = json!({
        "headers": { "Host": "abc123.execute-api.us-east-1.amazonaws.com" },
        "multiValueHeaders": { "Host": ["abc123.execute-api.us-east-1.amazonaws.com"] },
        "requestContext": {
            "routeKey": route,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": "09/Mar/2026:10:00:00 +0000",
            "messageDirection": "IN",
            "stage": "ws",
            "connectedAt": now - 1000,
            "requestTimeEpoch": now,
            "identity": { "sourceIp": SOURCE_IP, "userAgent": "notifications-test" },
            "requestId": request_id,
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "connectionId": connection_id,
            "apiId": "abc123",
        },
        "isBase64Encoded": false,
    });
    match event_type {
        "MESSAGE" => {
            event["requestContext"]["messageId"] = json!(uuid::Uuid::now_v7().simple().to_string());
        }
        "DISCONNECT" => {
            event["requestContext"]["disconnectStatusCode"] = json!(1000);
            event["requestContext"]["disconnectReason"] = json!("Client-side close frame");
        }
        _ => {}
    }
    if let Some(q) = query {
        let multi: serde_json::Map<String, Value> = q
            .as_object()
            .expect("query is an object")
            .iter()
            .map(|(k, v)| (k.clone(), json!([v])))
            .collect();
        event["queryStringParameters"] = q;
        event["multiValueQueryStringParameters"] = Value::Object(multi);
    }
    if let Some(b) = body {
        event["body"] = json!(b);
    }
    lambda_http::request::from_str(&event.to_string()).expect("a WebSocket proxy event")
}

fn status_and_body(response: Response) -> (u16, Value) {
    let body = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
    (response.status().as_u16(), body)
}

/// `$connect` (`notifications-connect`) with `?token=` when given.
pub async fn connect(state: &Arc<Notifications>, conn: &str, token: Option<&str>) -> (u16, Value) {
    let query = token.map(|t| json!({ "token": t }));
    let req = websocket_event("CONNECT", "$connect", conn, query, None);
    let response =
        gymit_shared::http::handle("notifications-connect", state.clone(), req, connect::handle)
            .await;
    status_and_body(response)
}

/// `$default` (`notifications-default`) with one client message; the status and the reply.
pub async fn send(state: &Arc<Notifications>, conn: &str, message: &str) -> (u16, Value) {
    let req = websocket_event("MESSAGE", "$default", conn, None, Some(message));
    let response =
        gymit_shared::http::handle("notifications-default", state.clone(), req, default::handle)
            .await;
    status_and_body(response)
}

/// Sends `message` and returns the reply, which is always a 200 (the route response).
pub async fn reply(state: &Arc<Notifications>, conn: &str, message: Value) -> Value {
    let (status, reply) = send(state, conn, &message.to_string()).await;
    assert_eq!(
        status, 200,
        "$default answers every message with 200: {reply}"
    );
    reply
}

pub async fn subscribe(state: &Arc<Notifications>, conn: &str, tid: &str) -> Value {
    reply(
        state,
        conn,
        json!({ "action": "subscribe", "tournament_id": tid }),
    )
    .await
}

/// `$disconnect` (`notifications-disconnect`).
pub async fn disconnect(state: &Arc<Notifications>, conn: &str) -> (u16, Value) {
    let req = websocket_event("DISCONNECT", "$disconnect", conn, None, None);
    let response = gymit_shared::http::handle(
        "notifications-disconnect",
        state.clone(),
        req,
        disconnect::handle,
    )
    .await;
    status_and_body(response)
}
