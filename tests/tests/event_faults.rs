//! Events are never lost: with the user-events topic's subscriber endpoint unreachable, an
//! admin's ban is still committed, and its event reaches the auth service once the endpoint
//! is back (the outbox item stays on the table's stream, and the publisher's failed batch
//! is retried). Its own test binary: it takes the topic's only subscriber away, which no
//! other test running at the same time could tolerate.

use std::time::Duration;

use aws_sdk_sns::Client;
use gymit_e2e::{Stack, PASSWORD};
use serde_json::json;

const CONSUMER: &str = "/_local/sns/auth-sync-user";

/// The user-events topic's ARN and the consumer's subscription (ARN, endpoint).
async fn consumer_subscription(sns: &Client) -> (String, String, String) {
    let topics = sns.list_topics().send().await.expect("ListTopics");
    for topic in topics.topics() {
        let arn = topic.topic_arn().unwrap_or_default();
        if !arn.ends_with("-user-events") {
            continue;
        }
        let subs = sns
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .send()
            .await
            .expect("ListSubscriptionsByTopic");
        for sub in subs.subscriptions() {
            let endpoint = sub.endpoint().unwrap_or_default();
            if endpoint.ends_with(CONSUMER) {
                return (
                    arn.to_string(),
                    sub.subscription_arn().unwrap_or_default().to_string(),
                    endpoint.to_string(),
                );
            }
        }
    }
    panic!("no subscription of auth-sync-user to a user-events topic");
}

async fn subscribe(sns: &Client, topic: &str, endpoint: &str) -> String {
    sns.subscribe()
        .topic_arn(topic)
        .protocol("http")
        .endpoint(endpoint)
        .send()
        .await
        .expect("Subscribe")
        .subscription_arn()
        .unwrap_or_default()
        .to_string()
}

async fn unsubscribe(sns: &Client, subscription: &str) {
    sns.unsubscribe()
        .subscription_arn(subscription)
        .send()
        .await
        .expect("Unsubscribe");
}

#[tokio::test]
async fn a_ban_made_while_the_subscriber_is_down_arrives_when_it_is_back() {
    let s = Stack::get();
    let sns = Client::new(&gymit_shared::aws::sdk_config().await);
    let root = s.root().await;
    let u = s.user_with_role("outage", "member").await;

    // The endpoint goes down: deliveries go to a port nobody listens on.
    let (topic, live_sub, endpoint) = consumer_subscription(&sns).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead_sub = subscribe(
        &sns,
        &topic,
        &format!("http://127.0.0.1:{closed}{CONSUMER}"),
    )
    .await;
    unsubscribe(&sns, &live_sub).await;

    let ban = s
        .post(
            &format!("/api/users/{}/ban", u.id),
            Some(&root.access_token),
            json!({"reason": "outage test"}),
        )
        .await;
    assert_eq!(ban.status, 200, "the ban is committed: {ban:?}");
    let profile = s
        .get_json(&format!("/api/users/{}", u.id), Some(&root.access_token))
        .await;
    assert_eq!(profile.body["user"]["is_banned"], true, "{profile:?}");

    // Nothing reached the auth service: the banned member still logs in.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        s.login(&u.email, PASSWORD).await.status,
        200,
        "the event was delivered although its subscriber was down"
    );

    // The endpoint is back: the same event arrives, nothing was lost.
    subscribe(&sns, &topic, &endpoint).await;
    unsubscribe(&sns, &dead_sub).await;
    let took = s
        .eventually(|| async { s.login(&u.email, PASSWORD).await.status == 403 })
        .await;
    eprintln!("the ban reached the auth service {took:?} after the endpoint came back");
    let login = s.login(&u.email, PASSWORD).await;
    assert_eq!(login.problem_code(), "account_banned");
    // The member's existing token is refused too (once the gateway's cached authorizer
    // answer for it expires), as a banned account: 403 account_banned (API.md).
    s.eventually(|| async {
        let me = s.get_json("/api/users/me", Some(&u.access_token)).await;
        me.status == 403 && me.problem_code() == "account_banned"
    })
    .await;
}
