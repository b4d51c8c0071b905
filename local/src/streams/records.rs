//! Stream records in the Lambda event shape (DynamoDB JSON images), their age, and the
//! filter criteria (EventBridge-style patterns) a mapping keeps records by.

use std::{
    collections::HashMap,
    time::{SystemTime, UNIX_EPOCH},
};

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Map, Value};

/// DynamoDB JSON of one attribute value.
fn attr_json(v: &AttributeValue) -> Value {
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::B(b) => json!({ "B": STANDARD.encode(b.as_ref()) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(attr_json).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": item_json(m) }),
        _ => Value::Null,
    }
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), attr_json(v)))
            .collect::<Map<_, _>>(),
    )
}

/// Whether a record matches an EventBridge-style pattern (exact values, `prefix`,
/// `exists`, nested objects), the subset Lambda filter criteria use.
pub fn matches(pattern: &Value, record: &Value) -> bool {
    let Some(fields) = pattern.as_object() else {
        return false;
    };
    fields.iter().all(|(key, want)| {
        let have = record.get(key);
        match want {
            Value::Object(_) => have.is_some_and(|h| matches(want, h)),
            Value::Array(options) => options.iter().any(|o| match o {
                Value::Object(m) if m.contains_key("exists") => {
                    m["exists"].as_bool() == Some(have.is_some())
                }
                Value::Object(m) if m.contains_key("prefix") => have
                    .and_then(Value::as_str)
                    .zip(m["prefix"].as_str())
                    .is_some_and(|(h, p)| h.starts_with(p)),
                scalar => have == Some(scalar),
            }),
            scalar => have == Some(scalar),
        }
    })
}

pub(crate) fn record_json(r: &Record, stream_arn: &str) -> Value {
    let d = r.dynamodb.as_ref();
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": d.and_then(|d| d.approximate_creation_date_time).map(|t| t.secs()).unwrap_or_default(),
        "SequenceNumber": d.and_then(|d| d.sequence_number.clone()),
        "SizeBytes": d.and_then(|d| d.size_bytes),
        "StreamViewType": d.and_then(|d| d.stream_view_type.as_ref()).map(|s| s.as_str().to_string()),
    });
    if let Some(keys) = d.and_then(|d| d.keys.as_ref()) {
        dynamodb["Keys"] = item_json(keys);
    }
    if let Some(img) = d.and_then(|d| d.new_image.as_ref()) {
        dynamodb["NewImage"] = item_json(img);
    }
    if let Some(img) = d.and_then(|d| d.old_image.as_ref()) {
        dynamodb["OldImage"] = item_json(img);
    }
    json!({
        "eventID": r.event_id,
        "eventName": r.event_name.as_ref().map(|e| e.as_str().to_string()),
        "eventVersion": r.event_version.clone().unwrap_or_else(|| "1.1".into()),
        "eventSource": "aws:dynamodb",
        "awsRegion": r.aws_region.clone().unwrap_or_else(|| "us-east-1".into()),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

pub(super) fn age_ms(created_secs: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as i64;
    (now - created_secs * 1000).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_patterns_match_like_lambda() {
        let record = json!({"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "event"}, "type": {"S": "user.banned"}}}});
        assert!(matches(
            &json!({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["event"]}}}}),
            &record
        ));
        assert!(!matches(&json!({"eventName": ["MODIFY"]}), &record));
        assert!(!matches(
            &json!({"dynamodb": {"NewImage": {"kind": {"S": ["profile"]}}}}),
            &record
        ));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "user."}]}}}}),
            &record
        ));
        assert!(matches(
            &json!({"dynamodb": {"NewImage": {"missing": [{"exists": false}]}}}),
            &record
        ));
        assert!(!matches(
            &json!({"dynamodb": {"NewImage": {"kind": [{"exists": false}]}}}),
            &record
        ));
    }
}
