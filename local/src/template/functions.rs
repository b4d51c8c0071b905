//! The function model: each `AWS::Serverless::Function` with its binary, timeout,
//! asynchronous-invocation settings and event sources (HTTP API routes, SNS topics,
//! DynamoDB stream mappings).

use serde_json::Value as Json;

use serde_yaml::Value;

use super::Template;

#[derive(Debug, Clone)]
pub struct Function {
    pub logical: String,
    pub binary: String,
    pub timeout_secs: u64,
    pub routes: Vec<Route>,
    /// Logical ids of the SNS topics it subscribes to.
    pub topics: Vec<String>,
    /// The subscription's `FilterPolicy` (as JSON) by topic logical id, where it has one.
    pub topic_filters: std::collections::HashMap<String, String>,
    pub streams: Vec<StreamSource>,
    /// Asynchronous invocations (SNS): retries after the first attempt
    /// (`EventInvokeConfig.MaximumRetryAttempts`, Lambda's default 2) and the queue that
    /// gets the invocation record when they are exhausted.
    pub async_retries: u32,
    pub on_failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub authorized: bool,
}

#[derive(Debug, Clone)]
pub struct StreamSource {
    pub table: String,
    pub trim_horizon: bool,
    pub batch_size: usize,
    pub max_retries: u32,
    pub filters: Vec<Json>,
    pub bisect: bool,
    /// `MaximumRecordAgeInSeconds` (none when -1 or absent: records never expire).
    pub max_record_age_secs: Option<u64>,
    /// `FunctionResponseTypes: [ReportBatchItemFailures]`.
    pub report_item_failures: bool,
    /// The on-failure destination: a queue's name.
    pub on_failure: Option<String>,
}

impl Template {
    /// The DynamoDB actions each function's policies allow (`Statement` entries with
    /// `Effect: Allow`), by logical id: what IAM would let it send on AWS.
    pub fn dynamodb_actions(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let strings = |v: &Value| -> Vec<String> {
            match v {
                Value::String(s) => vec![s.clone()],
                Value::Sequence(seq) => seq
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            }
        };
        self.of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(logical, r)| {
                let mut actions: Vec<String> = r["Properties"]["Policies"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .flat_map(|policy| policy["Statement"].as_sequence().into_iter().flatten())
                    .filter(|statement| statement["Effect"].as_str() == Some("Allow"))
                    .flat_map(|statement| strings(&statement["Action"]))
                    .filter(|action| action.starts_with("dynamodb:"))
                    .collect();
                actions.sort();
                actions.dedup();
                (logical.to_string(), actions)
            })
            .collect()
    }

    pub fn functions(&self) -> Vec<Function> {
        let global_timeout = self.root["Globals"]["Function"]["Timeout"]
            .as_u64()
            .unwrap_or(3);
        self.of_type("AWS::Serverless::Function")
            .into_iter()
            .filter_map(|(logical, r)| {
                let binary = r["Metadata"]["BuildProperties"]["Binary"]
                    .as_str()?
                    .to_string();
                let mut f = Function {
                    logical: logical.to_string(),
                    binary,
                    timeout_secs: r["Properties"]["Timeout"]
                        .as_u64()
                        .unwrap_or(global_timeout),
                    routes: vec![],
                    topics: vec![],
                    topic_filters: Default::default(),
                    streams: vec![],
                    async_retries: r["Properties"]["EventInvokeConfig"]["MaximumRetryAttempts"]
                        .as_u64()
                        .unwrap_or(2) as u32,
                    on_failure: self.queue_name(
                        &r["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
                            ["Destination"],
                    ),
                };
                for (_, event) in r["Properties"]["Events"]
                    .as_mapping()
                    .into_iter()
                    .flat_map(|m| m.iter())
                {
                    let p = &event["Properties"];
                    match event["Type"].as_str() {
                        Some("HttpApi") => f.routes.push(Route {
                            method: p["Method"].as_str().unwrap_or("ANY").to_uppercase(),
                            path: p["Path"].as_str().unwrap_or("$default").to_string(),
                            authorized: self.has_default_authorizer()
                                && p["Auth"]["Authorizer"].as_str() != Some("NONE"),
                        }),
                        Some("SNS") => {
                            if let Some(t) = self.ref_target(&p["Topic"]) {
                                if p["FilterPolicy"].is_mapping() {
                                    if let Ok(policy) = serde_json::to_string(&p["FilterPolicy"]) {
                                        f.topic_filters.insert(t.clone(), policy);
                                    }
                                }
                                f.topics.push(t);
                            }
                        }
                        Some("DynamoDB") => {
                            if let Some(table) = self.getatt_target(&p["Stream"]) {
                                f.streams.push(StreamSource {
                                    table,
                                    trim_horizon: p["StartingPosition"].as_str()
                                        == Some("TRIM_HORIZON"),
                                    batch_size: p["BatchSize"].as_u64().unwrap_or(100) as usize,
                                    max_retries: p["MaximumRetryAttempts"].as_u64().unwrap_or(3)
                                        as u32,
                                    filters: p["FilterCriteria"]["Filters"]
                                        .as_sequence()
                                        .into_iter()
                                        .flatten()
                                        .filter_map(|f| {
                                            serde_json::from_str(f["Pattern"].as_str()?).ok()
                                        })
                                        .collect(),
                                    bisect: p["BisectBatchOnFunctionError"].as_bool() == Some(true),
                                    max_record_age_secs: p["MaximumRecordAgeInSeconds"].as_u64(),
                                    report_item_failures: p["FunctionResponseTypes"]
                                        .as_sequence()
                                        .is_some_and(|t| {
                                            t.iter().any(|v| {
                                                v.as_str() == Some("ReportBatchItemFailures")
                                            })
                                        }),
                                    on_failure: self.queue_name(
                                        &p["DestinationConfig"]["OnFailure"]["Destination"],
                                    ),
                                });
                            }
                        }
                        _ => {}
                    }
                }
                Some(f)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::T;
    use super::*;

    #[test]
    fn functions_carry_routes_topics_and_streams() {
        let t = Template::parse(T).unwrap();
        let f = t
            .functions()
            .into_iter()
            .find(|f| f.binary == "things-get")
            .unwrap();
        assert_eq!(f.timeout_secs, 3);
        assert_eq!(
            f.routes[0],
            Route {
                method: "GET".into(),
                path: "/things/{id}".into(),
                authorized: true
            }
        );
        assert!(!f.routes[1].authorized);
        assert_eq!(f.topics, vec!["Topic"]);
        assert_eq!(f.topic_filters["Topic"], r#"{"type":["thing.made"]}"#);
        assert_eq!(f.streams[0].table, "Table");
        assert_eq!(f.streams[0].batch_size, 5);
        assert!(f.streams[0].trim_horizon);
        assert_eq!(f.streams[0].filters[0]["eventName"][0], "INSERT");
        assert_eq!(t.authorizer_binary().as_deref(), Some("the-authorizer"));
    }
}
