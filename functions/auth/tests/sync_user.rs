//! `auth-sync-user` against a real DynamoDB emulator (the one `AWS_ENDPOINT_URL` names; `make
//! test` starts it): the handler the binary runs, fed SNS Lambda events that carry the user
//! service's event envelope, applied to an auth record in a fresh table of its own.

use aws_lambda_events::event::sns::SnsEvent;
use gymit_auth::{domain::Account, handlers::sync_user, store::AuthStore};
use gymit_shared::{events::Event, identity::Role, user::User};
use serde_json::{json, Value};

async fn store() -> AuthStore {
    let tables = gymit_local::testing::fresh_tables(&["AuthTable"]).await;
    AuthStore::new(
        gymit_shared::aws::dynamodb().await,
        tables["AuthTable"].clone(),
    )
}

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$not-checked-by-these-tests";

async fn registered(store: &AuthStore, email: &str) -> Account {
    let account = Account::new(email.into(), "Ada Lovelace".into(), HASH.into());
    store
        .create_account(&account)
        .await
        .expect("account created");
    account
}

async fn stored(store: &AuthStore, id: &str) -> Account {
    store
        .account(id)
        .await
        .expect("account read")
        .expect("account exists")
}

/// The profile as the user service would have it at some version.
fn profile(account: &Account, second: u32) -> User {
    let mut user = account.to_user();
    user.updated_at = format!("2026-11-24T10:00:{second:02}Z");
    user
}

/// The event the user service publishes for a profile at `version` (the shape of
/// `gymit_users::handlers::admin::user_event`).
fn user_event(event_type: &str, user: &User, version: i64) -> Event {
    Event::new(
        event_type,
        "user_id",
        &user.id,
        json!({ "user": user, "version": version }),
    )
}

fn sns_record(message: &str, event_type: &str) -> Value {
    json!({
        "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:us-east-1:123456789012:gymit-user-events:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        "EventSource": "aws:sns",
        "Sns": {
            "Type": "Notification",
            "MessageId": uuid::Uuid::now_v7().to_string(),
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:gymit-user-events",
            "Message": message,
            "Timestamp": "2026-11-24T10:00:00.000Z",
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem",
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "MessageAttributes": { "type": { "Type": "String", "Value": event_type } }
        }
    })
}

/// An SNS Lambda event delivering these messages, read the way the runtime reads it.
fn sns_batch(records: Vec<Value>) -> SnsEvent {
    let n = records.len();
    let parsed: SnsEvent = serde_json::from_value(json!({ "Records": records }))
        .expect("the test sends a valid SNS Lambda event");
    assert_eq!(parsed.records.len(), n);
    parsed
}

fn sns_event(events: &[&Event]) -> SnsEvent {
    sns_batch(
        events
            .iter()
            .map(|e| sns_record(&e.message().to_string(), &e.event_type))
            .collect(),
    )
}

/// How many events `auth-sync-user` applied for this SNS event.
async fn deliver(store: &AuthStore, events: &[&Event]) -> usize {
    sync_user::handle(store, sns_event(events))
        .await
        .expect("the invocation succeeds")
}

/// What the auth service keeps of an account's state (the account has no `PartialEq`).
fn state(a: &Account) -> (User, i64, String, i64) {
    (
        a.to_user(),
        a.profile_version,
        a.password_hash.clone(),
        a.tokens_valid_after_ms,
    )
}

#[tokio::test]
async fn each_user_event_changes_the_auth_record() {
    let store = store().await;
    let account = registered(&store, "ada@example.com").await;
    assert_eq!(account.profile_version, 0);
    let mut user = profile(&account, 1);

    user.is_approved = true;
    assert_eq!(
        deliver(&store, &[&user_event("user.approved", &user, 2)]).await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert!(a.is_approved);
    assert_eq!(a.profile_version, 2);
    assert_eq!(a.updated_at, user.updated_at);
    assert!(!a.is_banned && a.is_active && a.role == Role::Member);

    user = profile(&a, 2);
    user.is_banned = true;
    assert_eq!(
        deliver(&store, &[&user_event("user.banned", &user, 3)]).await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert!(a.is_banned);
    assert!(a.is_approved, "a ban keeps the approval");
    assert_eq!(
        (a.profile_version, a.updated_at.as_str()),
        (3, "2026-11-24T10:00:02Z")
    );

    user = profile(&a, 3);
    user.is_banned = false;
    assert_eq!(
        deliver(&store, &[&user_event("user.unbanned", &user, 4)]).await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert!(!a.is_banned);
    assert_eq!(a.profile_version, 4);

    user = profile(&a, 4);
    user.role = Role::Trainer;
    assert_eq!(
        deliver(&store, &[&user_event("user.role_changed", &user, 5)]).await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert_eq!(a.role, Role::Trainer);
    assert_eq!(a.profile_version, 5);

    user = profile(&a, 5);
    user.full_name = "Augusta Ada King".into();
    assert_eq!(
        deliver(&store, &[&user_event("user.profile_updated", &user, 6)]).await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert_eq!(a.full_name, "Augusta Ada King");

    user = profile(&a, 6);
    user.is_active = false;
    assert_eq!(
        deliver(&store, &[&user_event("user.deactivated", &user, 7)]).await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert!(!a.is_active);
    assert_eq!(a.profile_version, 7);
    assert_eq!(a.updated_at, "2026-11-24T10:00:06Z");

    // What the events do not carry stays as it was: the password, the token cut-off, the
    // identity, and the email item that logins go through.
    assert_eq!(a.password_hash, HASH);
    assert_eq!(a.tokens_valid_after_ms, account.tokens_valid_after_ms);
    assert_eq!(
        (a.email.as_str(), a.created_at.as_str(), a.is_root_admin),
        (account.email.as_str(), account.created_at.as_str(), false)
    );
    let by_email = store
        .account_by_email("ada@example.com")
        .await
        .unwrap()
        .expect("the email still leads to the account");
    assert_eq!(by_email.id, account.id);
    // Login reads the copy on the email's login item: it followed every event.
    assert_eq!(state(&by_email), state(&a));
}

#[tokio::test]
async fn a_duplicate_delivery_is_a_no_op() {
    let store = store().await;
    let account = registered(&store, "dup@example.com").await;
    let mut user = profile(&account, 1);
    user.is_approved = true;
    let approved = user_event("user.approved", &user, 2);

    assert_eq!(deliver(&store, &[&approved]).await, 1);
    let after_first = state(&stored(&store, &account.id).await);

    // The same event again (SNS delivers at least once), alone and twice in one batch.
    assert_eq!(deliver(&store, &[&approved]).await, 0);
    assert_eq!(deliver(&store, &[&approved, &approved]).await, 0);
    assert_eq!(state(&stored(&store, &account.id).await), after_first);

    // Another event id for a version the record already reflects changes nothing either:
    // the version, not the event id, decides.
    let mut other = user.clone();
    other.is_banned = true;
    other.updated_at = "2026-11-24T10:00:09Z".into();
    let same_version = user_event("user.banned", &other, 2);
    assert_ne!(same_version.event_id, approved.event_id);
    assert_eq!(deliver(&store, &[&same_version]).await, 0);
    let a = stored(&store, &account.id).await;
    assert!(!a.is_banned);
    assert_eq!(state(&a), after_first);
}

#[tokio::test]
async fn an_older_event_arriving_late_is_ignored() {
    let store = store().await;
    let account = registered(&store, "late@example.com").await;

    // v2 approved, v3 banned, v4 trainer: v4 arrives first.
    let mut v2 = profile(&account, 2);
    v2.is_approved = true;
    let mut v3 = v2.clone();
    v3.is_banned = true;
    v3.updated_at = "2026-11-24T10:00:03Z".into();
    let mut v4 = v3.clone();
    v4.role = Role::Trainer;
    v4.updated_at = "2026-11-24T10:00:04Z".into();

    assert_eq!(
        deliver(&store, &[&user_event("user.role_changed", &v4, 4)]).await,
        1
    );
    let newest = state(&stored(&store, &account.id).await);
    assert_eq!(newest.1, 4);

    // The older ones, late, one by one and then in one batch: nothing moves back.
    assert_eq!(
        deliver(&store, &[&user_event("user.banned", &v3, 3)]).await,
        0
    );
    assert_eq!(
        deliver(&store, &[&user_event("user.approved", &v2, 2)]).await,
        0
    );
    let mut unbanned_v3 = v2.clone();
    unbanned_v3.updated_at = "2026-11-24T10:00:03Z".into();
    assert_eq!(
        deliver(
            &store,
            &[
                &user_event("user.unbanned", &unbanned_v3, 3),
                &user_event("user.approved", &v2, 2)
            ]
        )
        .await,
        0
    );
    let a = stored(&store, &account.id).await;
    assert_eq!(state(&a), newest);
    assert!(a.is_banned && a.role == Role::Trainer);

    // A batch mixing a stale event with a newer one applies only the newer one, in order.
    let mut v5 = v4.clone();
    v5.is_banned = false;
    v5.updated_at = "2026-11-24T10:00:05Z".into();
    assert_eq!(
        deliver(
            &store,
            &[
                &user_event("user.approved", &v2, 2),
                &user_event("user.unbanned", &v5, 5),
                &user_event("user.banned", &v3, 3),
            ]
        )
        .await,
        1
    );
    let a = stored(&store, &account.id).await;
    assert!(!a.is_banned, "the stale ban after the unban was ignored");
    assert_eq!(a.profile_version, 5);
}

#[tokio::test]
async fn events_it_does_not_apply_change_nothing() {
    let store = store().await;
    let account = registered(&store, "other@example.com").await;
    let before = state(&stored(&store, &account.id).await);

    // An account this table does not have: no record appears.
    let mut stranger = profile(&account, 1);
    stranger.id = uuid::Uuid::now_v7().to_string();
    stranger.is_approved = true;
    assert_eq!(
        deliver(&store, &[&user_event("user.approved", &stranger, 2)]).await,
        0
    );
    assert!(store.account(&stranger.id).await.unwrap().is_none());

    // An event type auth-sync-user does not handle, even with a newer version.
    let mut user = profile(&account, 1);
    user.is_approved = true;
    assert_eq!(
        deliver(&store, &[&user_event("user.created", &user, 9)]).await,
        0
    );

    // An envelope without a version, or without a user.
    let no_version = Event::new(
        "user.approved",
        "user_id",
        &account.id,
        json!({ "user": user }),
    );
    let no_user = Event::new(
        "user.banned",
        "user_id",
        &account.id,
        json!({ "version": 9 }),
    );
    assert_eq!(deliver(&store, &[&no_version, &no_user]).await, 0);

    // A record whose message is not a GymIT event at all.
    let batch = sns_batch(vec![sns_record("Hello\r\nworld!", "user.approved")]);
    assert_eq!(sync_user::handle(&store, batch).await, Ok(0));

    assert_eq!(state(&stored(&store, &account.id).await), before);
}

#[tokio::test]
async fn a_store_failure_fails_the_invocation_so_it_is_retried() {
    let store = store().await;
    let account = registered(&store, "retry@example.com").await;
    let mut user = profile(&account, 1);
    user.is_approved = true;
    let event = user_event("user.approved", &user, 2);

    let missing = AuthStore::new(
        store.db().clone(),
        format!("test-missing-{}", uuid::Uuid::now_v7().simple()),
    );
    let result = sync_user::handle(&missing, sns_event(&[&event])).await;
    assert!(result.is_err(), "expected an error, got {result:?}");

    // The retried delivery then applies it.
    assert_eq!(deliver(&store, &[&event]).await, 1);
    assert!(stored(&store, &account.id).await.is_approved);
}
