//! `gymit-local provision`: creates every table (keys, GSIs, TTL, stream), topic, queue and
//! SES email identity of the template in the emulator, idempotently, and writes the functions' environment for
//! `cargo lambda watch --env-file`, with the local overrides (endpoints, credentials,
//! development secrets).

use std::{collections::BTreeMap, path::Path, time::Duration};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use serde_yaml::Value;

use crate::{
    template::{Template, DEV_ROOT_ADMIN_EMAIL},
    Error,
};

pub const DEV_JWT_SECRET: &str = "gymit-local-development-secret-not-for-production";
pub const DEV_CURSOR_SECRET: &str = "gymit-local-development-cursor-key-not-for-production";
pub const DEV_ROOT_ADMIN_PASSWORD: &str = "gymit-root-admin-password";

/// Creates `name` from the template's table properties unless it exists; waits until ACTIVE.
/// Returns whether it was created and the stream ARN, if any.
pub async fn create_table(
    db: &aws_sdk_dynamodb::Client,
    name: &str,
    props: &Value,
) -> Result<(bool, Option<String>), Error> {
    if let Ok(existing) = db.describe_table().table_name(name).send().await {
        let arn = existing.table.and_then(|t| t.latest_stream_arn);
        return Ok((false, arn));
    }
    let key = |v: &Value| -> Result<KeySchemaElement, Error> {
        Ok(KeySchemaElement::builder()
            .attribute_name(v["AttributeName"].as_str().unwrap_or_default())
            .key_type(if v["KeyType"].as_str() == Some("RANGE") {
                KeyType::Range
            } else {
                KeyType::Hash
            })
            .build()?)
    };
    let mut req = db
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for a in props["AttributeDefinitions"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let kind = match a["AttributeType"].as_str() {
            Some("N") => ScalarAttributeType::N,
            Some("B") => ScalarAttributeType::B,
            _ => ScalarAttributeType::S,
        };
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap_or_default())
                .attribute_type(kind)
                .build()?,
        );
    }
    for k in props["KeySchema"].as_sequence().into_iter().flatten() {
        req = req.key_schema(key(k)?);
    }
    for g in props["GlobalSecondaryIndexes"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        let mut gsi = GlobalSecondaryIndex::builder()
            .index_name(g["IndexName"].as_str().unwrap_or_default())
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            );
        for k in g["KeySchema"].as_sequence().into_iter().flatten() {
            gsi = gsi.key_schema(key(k)?);
        }
        req = req.global_secondary_indexes(gsi.build()?);
    }
    if let Some(view) = props["StreamSpecification"]["StreamViewType"].as_str() {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view))
                .build()?,
        );
    }
    req.send().await?;
    for _ in 0..100 {
        let t = db.describe_table().table_name(name).send().await?.table;
        if t.as_ref()
            .and_then(|t| t.table_status.as_ref())
            .map(|s| s.as_str())
            == Some("ACTIVE")
        {
            if let Some(ttl) = props["TimeToLiveSpecification"]["AttributeName"].as_str() {
                db.update_time_to_live()
                    .table_name(name)
                    .time_to_live_specification(
                        TimeToLiveSpecification::builder()
                            .attribute_name(ttl)
                            .enabled(true)
                            .build()?,
                    )
                    .send()
                    .await?;
            }
            return Ok((true, t.and_then(|t| t.latest_stream_arn)));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("table {name} did not become ACTIVE").into())
}

/// Creates every table and topic (idempotent) and records the real stream ARNs in the template.
pub async fn provision(template: &mut Template, quiet: bool) -> Result<(), Error> {
    let sdk = crate::sdk_config().await;
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    let sns = aws_sdk_sns::Client::new(&sdk);
    put_secrets(&sdk).await?;
    for (logical, name, props) in template.tables() {
        let (created, stream) = create_table(&db, &name, &props).await?;
        if let Some(arn) = stream {
            template.stream_arns.insert(logical.clone(), arn);
        }
        if !quiet {
            println!(
                "table {name}: {}",
                if created { "created" } else { "exists" }
            );
        }
    }
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    for (_, name) in template.queues() {
        // CreateQueue is idempotent by name (same attributes).
        sqs.create_queue().queue_name(&name).send().await?;
        if !quiet {
            println!("queue {name}: ready");
        }
    }
    for (_, name) in template.topics() {
        // CreateTopic is idempotent by name.
        sns.create_topic().name(&name).send().await?;
        if !quiet {
            println!("topic {name}: ready");
        }
    }
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    for (_, identity) in template.email_identities() {
        create_email_identity(&ses, &identity).await?;
        if !quiet {
            println!("email identity {identity}: ready");
        }
    }
    Ok(())
}

/// Creates (and, in the emulator, thereby verifies) the SES identity that functions send
/// mail from; one that exists already is left as it is.
pub async fn create_email_identity(
    ses: &aws_sdk_sesv2::Client,
    identity: &str,
) -> Result<(), Error> {
    match ses
        .create_email_identity()
        .email_identity(identity)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(crate::sdk_error(&e).into()),
    }
}

/// The template's secrets in the emulator (security: the functions read their keys from
/// Secrets Manager at cold start, locally through the same code path as on AWS, since
/// `JWT_SECRET_ARN`, `CURSOR_SECRET_ARN` and `ROOT_ADMIN_SECRET_ARN` resolve to the logical
/// ids here). Their values are the development ones that the environment also names
/// (`JWT_SECRET`, `CURSOR_SECRET`, `ROOT_ADMIN_PASSWORD`), so tests that sign their own
/// tokens agree. Idempotent.
pub async fn put_secrets(sdk: &aws_config::SdkConfig) -> Result<(), Error> {
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_string());
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let secrets = [
        (
            "JwtSecret",
            serde_json::json!({ "secret": var("JWT_SECRET", DEV_JWT_SECRET) }),
        ),
        (
            "CursorSecret",
            serde_json::json!({ "secret": var("CURSOR_SECRET", DEV_CURSOR_SECRET) }),
        ),
        (
            "RootAdminSecret",
            serde_json::json!({ "password": var("ROOT_ADMIN_PASSWORD", DEV_ROOT_ADMIN_PASSWORD) }),
        ),
    ];
    for (name, value) in secrets {
        let text = value.to_string();
        let created = client
            .create_secret()
            .name(name)
            .secret_string(&text)
            .send()
            .await;
        if created.is_err() {
            client
                .put_secret_value()
                .secret_id(name)
                .secret_string(&text)
                .send()
                .await?;
        }
    }
    Ok(())
}

/// The functions' environment: the template's variables plus the local overrides. A
/// function's Lambda Invoke calls (`auth-register` → `users-create`, `$connect` →
/// `auth-authorizer`) go to the gateway's Invoke API, which invokes through the same
/// `Invoker` as every other event source, so injected faults reach them too.
pub fn local_environment(
    template: &Template,
    endpoint: &str,
    gateway_url: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let mut env = template.environment()?;
    let var = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_string());
    let overrides = [
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ENDPOINT_URL_LAMBDA", gateway_url.to_string()),
        // The web app is served by the gateway: the reset email links there.
        ("WEB_APP_URL", gateway_url.to_string()),
        ("AWS_REGION", template.region.clone()),
        ("AWS_ACCESS_KEY_ID", var("AWS_ACCESS_KEY_ID", "test")),
        (
            "AWS_SECRET_ACCESS_KEY",
            var("AWS_SECRET_ACCESS_KEY", "test"),
        ),
        ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
        ("LOG_FORMAT", "text".to_string()),
        ("JWT_SECRET", var("JWT_SECRET", DEV_JWT_SECRET)),
        (
            "ROOT_ADMIN_EMAIL",
            var("ROOT_ADMIN_EMAIL", DEV_ROOT_ADMIN_EMAIL),
        ),
        (
            "ROOT_ADMIN_PASSWORD",
            var("ROOT_ADMIN_PASSWORD", DEV_ROOT_ADMIN_PASSWORD),
        ),
        // No CloudFront in front of the local gateway: nothing to verify (template.yaml
        // `OriginVerifySecret`).
        ("ORIGIN_VERIFY", String::new()),
        // The gateway serves the WebSocket API's `@connections` under its stage, as AWS does.
        (
            "WEBSOCKET_API_ENDPOINT",
            match template.websocket_api() {
                Some(api) => format!("{gateway_url}/{}", api.stage),
                None => gateway_url.to_string(),
            },
        ),
    ];
    for (k, v) in overrides {
        env.insert(k.to_string(), v);
    }
    // For measuring the fan-out with other shard sizes (docs/capacity.md), e.g. without
    // shards: `FANOUT_SHARD_SIZE=100000 make load`.
    if let Ok(size) = std::env::var("FANOUT_SHARD_SIZE") {
        env.insert("FANOUT_SHARD_SIZE".to_string(), size);
    }
    if let Some((k, _)) = env.iter().find(|(_, v)| v.contains("{{resolve:")) {
        return Err(format!("{k} refers to a secret that has no local value").into());
    }
    Ok(env)
}

pub fn write_env_file(path: &Path, env: &BTreeMap<String, String>) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(path, text)?;
    Ok(())
}
