//! The end-to-end harness: a client for the local stack that `gymit-local test-env` (what
//! `make test` runs) started on free ports, or for any stack named by `GYMIT_URL` (e.g. a
//! `make dev` in another terminal). Tests drive it exactly as a client would: over HTTP
//! through the gateway, and over WebSocket.

use std::time::Duration;

use reqwest::{header::HeaderMap, Method, StatusCode};
use serde_json::Value;

pub struct Stack {
    pub url: String,
    pub lambda_url: String,
    pub http: reqwest::Client,
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem's `code`, asserting the response is problem+json.
    pub fn problem_code(&self) -> &str {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "not a problem: {self:?}"
        );
        assert_eq!(self.body["status"], self.status.as_u16(), "{self:?}");
        assert!(self.body["request_id"].is_string(), "{self:?}");
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl Stack {
    /// The stack under test; fails loudly when none is configured rather than skipping.
    pub fn get() -> Stack {
        let url = std::env::var("GYMIT_URL").expect(
            "GYMIT_URL is not set: run the tests with `make test` (which starts a local stack) \
             or point GYMIT_URL at a running `make dev`",
        );
        let lambda_url =
            std::env::var("GYMIT_LAMBDA_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
        Stack {
            url: url.trim_end_matches('/').to_string(),
            lambda_url,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client"),
        }
    }

    /// The same stack, reached from another source address (`127.0.0.2`, say: any
    /// 127.0.0.0/8 address is this machine), which the gateway reports as `sourceIp`.
    pub fn from_address(&self, address: std::net::IpAddr) -> Stack {
        Stack {
            url: self.url.clone(),
            lambda_url: self.lambda_url.clone(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .local_address(address)
                .build()
                .expect("an HTTP client"),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.send().await.expect("the gateway answers");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, None, &[]).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(Method::POST, path, token, Some(body), &[]).await
    }

    /// Invokes a function directly through the Lambda Invoke API (cargo lambda watch).
    pub async fn invoke(&self, function: &str, payload: &Value) -> Value {
        let res = self
            .http
            .post(format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.lambda_url
            ))
            .json(payload)
            .send()
            .await
            .expect("the Lambda invoke API answers");
        res.json().await.unwrap_or(Value::Null)
    }
}

/// A unique email for a test user.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::now_v7().simple())
}

/// Median and 99th percentile of durations in milliseconds.
pub fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

/// A logged-in test user.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl Stack {
    pub async fn register(&self, email: &str) -> Answer {
        self.post(
            "/api/auth/register",
            None,
            serde_json::json!({"email": email, "password": PASSWORD, "full_name": "Test User"}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.post(
            "/api/auth/login",
            None,
            serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// Logs in and returns the session, asserting it works.
    pub async fn session(&self, email: &str, password: &str) -> Session {
        let a = self.login(email, password).await;
        assert_eq!(a.status, 200, "login of {email}: {a:?}");
        Session {
            id: a.body["user"]["id"].as_str().unwrap().to_string(),
            email: email.to_string(),
            password: password.to_string(),
            access_token: a.body["access_token"].as_str().unwrap().to_string(),
            refresh_token: a.body["refresh_token"].as_str().unwrap().to_string(),
        }
    }

    /// The root admin's session (local credentials from the environment).
    pub async fn root(&self) -> Session {
        let email = std::env::var("ROOT_ADMIN_EMAIL").unwrap_or_else(|_| "root@gymit.local".into());
        let password = std::env::var("ROOT_ADMIN_PASSWORD")
            .unwrap_or_else(|_| "gymit-root-admin-password".into());
        self.session(&email, &password).await
    }

    /// A new account, logged in (unapproved member).
    pub async fn new_user(&self, prefix: &str) -> Session {
        let email = unique_email(prefix);
        let r = self.register(&email).await;
        assert_eq!(r.status, 201, "register {email}: {r:?}");
        self.session(&email, PASSWORD).await
    }

    /// A new account that the root admin approved and gave `role`, logged in afresh so its
    /// token carries both (the auth record follows through the event path).
    pub async fn user_with_role(&self, prefix: &str, role: &str) -> Session {
        let user = self.new_user(prefix).await;
        let root = self.root().await;
        let a = self
            .post(
                &format!("/api/users/{}/approve", user.id),
                Some(&root.access_token),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(a.status, 200, "{a:?}");
        if role != "member" {
            let a = self
                .send(
                    Method::PUT,
                    &format!("/api/users/{}/role", user.id),
                    Some(&root.access_token),
                    Some(serde_json::json!({"role": role})),
                    &[],
                )
                .await;
            assert_eq!(a.status, 200, "{a:?}");
        }
        self.eventually(|| async {
            let me = self
                .get_json("/api/auth/me", Some(&user.access_token))
                .await;
            me.body["user"]["role"] == role && me.body["user"]["is_approved"] == true
        })
        .await;
        self.session(&user.email, PASSWORD).await
    }

    /// Polls `check` every 20 ms for up to 15 s (generous: tests that promise a latency
    /// assert the returned duration themselves); panics if it never holds.
    pub async fn eventually<F, Fut>(&self, check: F) -> Duration
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(15) {
            if check().await {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the condition did not hold within 15 s");
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::DELETE, path, token, None, &[]).await
    }
}

/// A token signed with the stack's own secret, for crafting bad claims.
pub fn sign(claims: &gymit_shared::jwt::Claims) -> String {
    let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET of the stack under test");
    gymit_shared::jwt::Tokens::new(&secret)
        .sign(claims)
        .expect("signing")
}

/// A WebSocket client of the live-updates API, as a browser tab would hold one.
pub struct Live {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// Frames read while waiting for another one, in arrival order.
    pending: std::collections::VecDeque<(std::time::Instant, Value)>,
}

/// What a refused WebSocket handshake answered.
#[derive(Debug)]
pub struct Refused {
    pub status: u16,
    pub body: String,
}

impl Stack {
    /// `ws://…/ws`, with `?token=` when given.
    pub fn ws_url(&self, token: Option<&str>) -> String {
        let base = format!("{}/ws", self.url.replacen("http", "ws", 1));
        match token {
            Some(t) => format!("{base}?token={t}"),
            None => base,
        }
    }

    /// Opens a connection; a refused handshake is `Err` with its status and body.
    pub async fn connect(&self, token: Option<&str>) -> Result<Live, Refused> {
        use tokio_tungstenite::tungstenite::Error;
        match tokio_tungstenite::connect_async(self.ws_url(token)).await {
            Ok((ws, _)) => Ok(Live {
                ws,
                pending: Default::default(),
            }),
            Err(Error::Http(res)) => Err(Refused {
                status: res.status().as_u16(),
                body: String::from_utf8_lossy(res.body().as_deref().unwrap_or_default())
                    .into_owned(),
            }),
            Err(e) => panic!("connecting to {}: {e}", self.ws_url(None)),
        }
    }

    /// `n` anonymous spectators subscribed to `tournament_id`, connected 32 at a time as a
    /// crowd opening a page would.
    pub async fn spectators(&self, n: usize, tournament_id: &str) -> Vec<Live> {
        use futures::StreamExt;
        futures::stream::iter(0..n)
            .map(|_| async {
                let mut live = self.connect(None).await.expect("a spectator connects");
                live.subscribe(tournament_id).await;
                live
            })
            .buffer_unordered(32)
            .collect()
            .await
    }
}

/// A tournament of `players` named participants (single elimination), created by `owner`;
/// returns its id.
pub async fn tournament_with(s: &Stack, owner: &Session, players: usize) -> String {
    let a = s
        .post(
            "/api/tournaments",
            Some(&owner.access_token),
            serde_json::json!({
                "name": format!("Live {}", uuid::Uuid::now_v7()),
                "start_date": "2027-05-01T09:00:00+02:00",
                "max_participants": players.max(2),
                "tournament_type": "single_elimination",
            }),
        )
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    let id = a.body["tournament"]["id"].as_str().unwrap().to_string();
    for i in 0..players {
        let a = s
            .post(
                &format!("/api/tournaments/{id}/participants"),
                Some(&owner.access_token),
                serde_json::json!({ "name": format!("Player {i}") }),
            )
            .await;
        assert_eq!(a.status, 201, "{a:?}");
    }
    id
}

/// Reports the first ready match of a started tournament (participant 1 wins); returns the
/// instant the HTTP response arrived and the match.
pub async fn report_first_ready(
    s: &Stack,
    owner: &Session,
    id: &str,
) -> (std::time::Instant, Value) {
    let bracket = s
        .get_json(&format!("/api/tournaments/{id}/bracket"), None)
        .await;
    let ready = bracket.body["bracket"]["matches"]
        .as_array()
        .expect("a bracket")
        .iter()
        .find(|m| m["status"] == "ready")
        .expect("a ready match")
        .clone();
    let a = s
        .post(
            &format!(
                "/api/tournaments/{id}/matches/{}/result",
                ready["id"].as_str().unwrap()
            ),
            Some(&owner.access_token),
            serde_json::json!({ "winner_id": ready["participant1_id"], "score": "2-0" }),
        )
        .await;
    assert_eq!(a.status, 200, "{a:?}");
    (std::time::Instant::now(), ready)
}

/// How long after `since` each connection received its next `kind` frame, and the frame,
/// all waited for at once, up to `within`; `None` for a connection that got none.
pub async fn receipts(
    lives: &mut [Live],
    kind: &str,
    since: std::time::Instant,
    within: Duration,
) -> Vec<Option<(Duration, Value)>> {
    futures::future::join_all(lives.iter_mut().map(|live| async move {
        let left = (since + within).saturating_duration_since(std::time::Instant::now());
        let (at, v) = live.next_where(left, |v| v["type"] == kind).await?;
        Some((at.saturating_duration_since(since), v))
    }))
    .await
}

impl Live {
    pub async fn send_text(&mut self, text: &str) {
        use futures::SinkExt;
        self.ws
            .send(tokio_tungstenite::tungstenite::Message::text(text))
            .await
            .expect("the connection is open");
    }

    pub async fn send(&mut self, message: Value) {
        self.send_text(&message.to_string()).await;
    }

    /// The next JSON frame (with when it arrived) within `within`; `None` if none came.
    /// Panics if the server closed the connection.
    pub async fn next(&mut self, within: Duration) -> Option<(std::time::Instant, Value)> {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        if let Some(frame) = self.pending.pop_front() {
            return Some(frame);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let v = serde_json::from_str(&t)
                        .unwrap_or_else(|_| panic!("a frame that is not JSON: {t}"));
                    return Some((std::time::Instant::now(), v));
                }
                Some(Ok(Message::Close(f))) => panic!("the server closed the connection: {f:?}"),
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("the connection failed: {e}"),
                None => panic!("the connection ended"),
            }
        }
    }

    /// The next frame that `wanted` accepts, within `within` (with when it arrived), or
    /// `None`; the frames passed over are kept, in order, for later calls.
    pub async fn next_where(
        &mut self,
        within: Duration,
        wanted: impl Fn(&Value) -> bool,
    ) -> Option<(std::time::Instant, Value)> {
        let deadline = std::time::Instant::now() + within;
        let mut skipped = Vec::new();
        let found = loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.next(left).await {
                Some((at, v)) if wanted(&v) => break Some((at, v)),
                Some(other) => skipped.push(other),
                None => break None,
            }
        };
        self.pending.extend(skipped);
        found
    }

    /// The next frame of type `kind` within `within` (with when it arrived); frames of
    /// other types are kept for later `next` calls.
    pub async fn wait_for(&mut self, kind: &str, within: Duration) -> (std::time::Instant, Value) {
        match self.next_where(within, |v| v["type"] == kind).await {
            Some(found) => found,
            None => {
                let seen: Vec<&Value> = self.pending.iter().map(|(_, v)| &v["type"]).collect();
                panic!("no {kind} within {within:?}; got {seen:?}")
            }
        }
    }

    /// Sends a message and returns the server's answer (the next non-event frame).
    pub async fn ask(&mut self, message: Value) -> Value {
        self.send(message).await;
        self.reply().await
    }

    /// The next frame that answers a message (not a tournament event).
    pub async fn reply(&mut self) -> Value {
        let mut events = Vec::new();
        let answer = loop {
            match self.next(Duration::from_secs(10)).await {
                Some((at, v)) if v.get("event_id").is_some() => events.push((at, v)),
                Some((_, v)) => break v,
                None => panic!("no answer within 10 s"),
            }
        };
        self.pending.extend(events);
        answer
    }

    pub async fn subscribe(&mut self, tournament_id: &str) {
        let a = self
            .ask(serde_json::json!({"action": "subscribe", "tournament_id": tournament_id}))
            .await;
        assert_eq!(a["type"], "subscribed", "{a}");
        assert_eq!(a["tournament_id"], tournament_id, "{a}");
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
