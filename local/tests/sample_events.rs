//! Every function of template.yaml has a sample event in events/ (`make events`) that is the
//! event its source delivers: it reads as the aws_lambda_events type the runtime hands the
//! function, and it is the kind of event (route, stream, topic) the template wires to it.

use std::path::PathBuf;

use aws_lambda_events::{
    apigw::{ApiGatewayV2httpRequest, ApiGatewayWebsocketProxyRequest},
    dynamodb::Event as StreamEvent,
    sns::SnsEvent,
};
use gymit_local::template::Template;
use serde_json::Value;

fn sample(binary: &str) -> Value {
    let path: PathBuf = gymit_local::workspace_root()
        .join("events")
        .join(format!("{binary}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run `make events`)", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_function_has_a_sample_of_the_event_its_source_delivers() {
    let template = Template::load(&gymit_local::workspace_root().join("template.yaml")).unwrap();
    let websocket = template.websocket_api().expect("a WebSocket API");
    for f in template.functions() {
        let event = sample(&f.binary);
        if let Some(route) = f.routes.first() {
            let e: ApiGatewayV2httpRequest = serde_json::from_value(event)
                .unwrap_or_else(|e| panic!("{}: not an HTTP API event: {e}", f.binary));
            assert_eq!(
                e.route_key.as_deref(),
                Some(format!("{} {}", route.method, route.path).as_str()),
                "{}",
                f.binary
            );
        } else if let Some(route) = websocket.routes.iter().find(|r| r.binary == f.binary) {
            let e: ApiGatewayWebsocketProxyRequest = serde_json::from_value(event)
                .unwrap_or_else(|e| panic!("{}: not a WebSocket event: {e}", f.binary));
            assert_eq!(
                e.request_context.route_key.as_deref(),
                Some(route.key.as_str()),
                "{}",
                f.binary
            );
            assert!(e.request_context.connection_id.is_some(), "{}", f.binary);
        } else if !f.streams.is_empty() {
            let e: StreamEvent = serde_json::from_value(event)
                .unwrap_or_else(|e| panic!("{}: not a DynamoDB stream event: {e}", f.binary));
            assert!(!e.records.is_empty(), "{}", f.binary);
            for r in &e.records {
                let image = serde_json::to_value(&r.change.new_image).unwrap();
                let filter = &f.streams[0].filters;
                assert!(
                    filter.is_empty() || image.get("kind").is_some(),
                    "{}: a record the FilterCriteria would drop",
                    f.binary
                );
            }
        } else if !f.topics.is_empty() {
            let e: SnsEvent = serde_json::from_value(event)
                .unwrap_or_else(|e| panic!("{}: not an SNS event: {e}", f.binary));
            let message: Value = serde_json::from_str(&e.records[0].sns.message)
                .unwrap_or_else(|e| panic!("{}: the message is not JSON: {e}", f.binary));
            assert!(message["event_id"].is_string(), "{}", f.binary);
            assert!(
                e.records[0].sns.message_attributes.contains_key("type"),
                "{}",
                f.binary
            );
        } else {
            assert!(
                event.is_object(),
                "{}: a direct invocation payload",
                f.binary
            );
        }
    }
}
