//! SNS → Lambda. `gymit-local` subscribes an HTTP endpoint of its own,
//! `/_local/sns/<function>`, to each topic a function listens to; SNS's HTTP delivery
//! (moto sends the JSON envelope as `text/plain`, inside `Publish`) is answered at once and
//! turned into the SNS event Lambda would deliver, invoked asynchronously as Lambda does:
//! the first attempt, then `EventInvokeConfig.MaximumRetryAttempts` retries (2 by default;
//! Lambda waits about 1 and 2 minutes, the local stack 0.4 and 0.8 s so that tests do not
//! wait), then the template's on-failure destination (`crate::dlq`).
//!
//! Real SNS (e.g. LocalStack) first sends a `SubscriptionConfirmation`: it is confirmed by
//! visiting its `SubscribeURL`. The URL subscribed is the gateway's own, or
//! `GYMIT_PUBLIC_URL` when the emulator reaches the gateway at another address (a
//! container).

use std::{collections::HashMap, sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use serde_json::{json, Map, Value};

use crate::{invoke::Invoker, template::Template};

/// The Lambda SNS event for one HTTP notification's JSON envelope.
pub fn lambda_event(msg: &Value) -> Value {
    let attrs: Map<String, Value> = msg["MessageAttributes"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), json!({ "Type": v["Type"], "Value": v["Value"] })))
        .collect();
    json!({ "Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": format!("{}:local", msg["TopicArn"].as_str().unwrap_or_default()),
        "Sns": {
            "Type": "Notification",
            "MessageId": msg["MessageId"],
            "TopicArn": msg["TopicArn"],
            "Subject": msg.get("Subject").cloned().unwrap_or(Value::Null),
            "Message": msg["Message"],
            "Timestamp": msg["Timestamp"],
            "SignatureVersion": "1",
            "Signature": "local",
            "SigningCertUrl": "http://localhost/cert.pem",
            "UnsubscribeUrl": "http://localhost/unsubscribe",
            "MessageAttributes": attrs,
        }
    }]})
}

/// The SNS-fed functions and what invokes them: the state of `/_local/sns/{function}`.
pub struct Subscribers {
    invoker: Arc<Invoker>,
    functions: HashMap<String, AsyncFunction>,
}

impl Subscribers {
    pub fn new(template: &Template, invoker: Arc<Invoker>) -> Subscribers {
        Subscribers {
            invoker,
            functions: async_functions(template),
        }
    }
}

/// `POST /_local/sns/{function}`.
pub async fn notification(
    State(subscribers): State<Arc<Subscribers>>,
    Path(binary): Path<String>,
    body: Bytes,
) -> StatusCode {
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    match msg["Type"].as_str() {
        Some("Notification") => {}
        Some("SubscriptionConfirmation") => {
            let emulator = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
            confirm(subscribers.invoker.http(), &emulator, &msg).await;
            return StatusCode::OK;
        }
        _ => return StatusCode::OK,
    }
    let Some(function) = subscribers.functions.get(&binary).cloned() else {
        return StatusCode::NOT_FOUND;
    };
    let event = lambda_event(&msg);
    let id = msg["MessageId"].as_str().unwrap_or_default().to_string();
    tokio::spawn(async move {
        let attempts = function.retries + 1;
        let mut last_error = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let started = std::time::Instant::now();
            match subscribers.invoker.invoke(&binary, &event).await {
                Ok(_) => {
                    let ms = started.elapsed().as_millis() as u64;
                    tracing::info!(function = %binary, message_id = %id, ms, "sns delivered");
                    return;
                }
                Err((_, _, detail)) => {
                    tracing::warn!(function = %binary, message_id = %id, attempt = attempt + 1, %detail, "sns delivery failed");
                    last_error = detail;
                }
            }
        }
        crate::dlq::async_invoke_failed(
            &binary,
            function.on_failure.as_deref(),
            &event,
            &last_error,
            attempts,
        )
        .await;
    });
    StatusCode::OK
}

/// Confirms a subscription as a subscriber of real SNS does: by visiting `SubscribeURL`,
/// only when it points at the emulator this gateway uses. Whether it was confirmed.
pub async fn confirm(http: &reqwest::Client, emulator: &str, msg: &Value) -> bool {
    let url = msg["SubscribeURL"].as_str().unwrap_or_default();
    let host = |u: &str| {
        u.split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest).to_string())
    };
    if host(url).is_none() || host(url) != host(emulator) {
        tracing::warn!(%url, "not confirming a subscription that does not come from the emulator");
        return false;
    }
    match http.get(url).send().await {
        Ok(r) if r.status().is_success() => {
            tracing::info!(topic = %msg["TopicArn"], "sns subscription confirmed");
            true
        }
        Ok(r) => {
            tracing::warn!(status = %r.status(), "sns subscription confirmation refused");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "sns subscription confirmation failed");
            false
        }
    }
}

/// What it takes to invoke an SNS-fed function asynchronously.
#[derive(Debug, Clone)]
pub struct AsyncFunction {
    pub retries: u32,
    pub on_failure: Option<String>,
}

pub fn async_functions(template: &Template) -> HashMap<String, AsyncFunction> {
    template
        .functions()
        .into_iter()
        .filter(|f| !f.topics.is_empty())
        .map(|f| {
            (
                f.binary.clone(),
                AsyncFunction {
                    retries: f.async_retries,
                    on_failure: f.on_failure.clone(),
                },
            )
        })
        .collect()
}

/// Subscribes `<public url>/_local/sns/<function>` to each topic a function listens to,
/// removing stale subscriptions of earlier local gateways.
pub async fn subscribe(template: &Template, gateway_url: &str) -> Result<(), crate::Error> {
    let public = std::env::var("GYMIT_PUBLIC_URL").unwrap_or_else(|_| gateway_url.to_string());
    let public = public.trim_end_matches('/');
    let sns = aws_sdk_sns::Client::new(&crate::sdk_config().await);
    let topics: HashMap<String, String> = template.topics().into_iter().collect();
    for f in template.functions() {
        for topic in &f.topics {
            let Some(name) = topics.get(topic) else {
                continue;
            };
            let arn = template.topic_arn(name);
            let endpoint = format!("{public}/_local/sns/{}", f.binary);
            let existing = sns
                .list_subscriptions_by_topic()
                .topic_arn(&arn)
                .send()
                .await?;
            let mut present = false;
            for s in existing.subscriptions() {
                let e = s.endpoint().unwrap_or_default();
                if e == endpoint {
                    present = true;
                    // An earlier gateway's subscription takes the template's filter as it is now.
                    if let (Some(policy), Some(sub)) =
                        (f.topic_filters.get(topic), s.subscription_arn())
                    {
                        sns.set_subscription_attributes()
                            .subscription_arn(sub)
                            .attribute_name("FilterPolicy")
                            .attribute_value(policy)
                            .send()
                            .await?;
                    }
                } else if e.ends_with(&format!("/_local/sns/{}", f.binary)) {
                    if let Some(sub) = s.subscription_arn() {
                        let _ = sns.unsubscribe().subscription_arn(sub).send().await;
                    }
                }
            }
            // The template's FilterPolicy: SNS (moto too) then delivers only what matches.
            let policy = f.topic_filters.get(topic);
            if !present {
                let mut subscribe = sns
                    .subscribe()
                    .topic_arn(&arn)
                    .protocol("http")
                    .endpoint(&endpoint);
                if let Some(policy) = policy {
                    subscribe = subscribe.attributes("FilterPolicy", policy);
                }
                subscribe.send().await?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test]
    async fn a_subscription_confirmation_from_the_emulator_is_confirmed_and_others_are_not() {
        let visits = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = visits.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push(uri.to_string());
                "<ConfirmSubscriptionResponse/>"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let emulator = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let http = reqwest::Client::new();
        let msg = |url: String| json!({"Type": "SubscriptionConfirmation", "TopicArn": "arn:t", "SubscribeURL": url});

        let own = format!("{emulator}/?Action=ConfirmSubscription&TopicArn=arn:t&Token=abc");
        assert!(confirm(&http, &emulator, &msg(own)).await);
        assert!(
            !confirm(
                &http,
                &emulator,
                &msg("http://169.254.169.254/latest".into())
            )
            .await
        );
        assert!(!confirm(&http, &emulator, &msg("not a url".into())).await);
        assert_eq!(
            *visits.lock().unwrap(),
            vec!["/?Action=ConfirmSubscription&TopicArn=arn:t&Token=abc".to_string()]
        );
    }
}
