//! Cold-start peer: the SDK configured from the environment and one DynamoDB GetItem per
//! invocation, with nothing of GymIT's in between (no telemetry, no routing, no validation).
//! The budget of `make bench`: a GymIT function starts within 1.3x of this.

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    let table = std::env::var("PEER_TABLE").unwrap_or_else(|_| "peer".into());
    lambda_runtime::run(service_fn(move |_event: LambdaEvent<Value>| {
        let (db, table) = (db.clone(), table.clone());
        async move {
            let out = db
                .get_item()
                .table_name(table)
                .key("pk", AttributeValue::S("PEER".into()))
                .key("sk", AttributeValue::S("PEER".into()))
                .send()
                .await?;
            Ok::<Value, Error>(json!({ "statusCode": 200, "found": out.item.is_some() }))
        }
    }))
    .await
}
