//! Reading `template.yaml`: resources, intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`,
//! `!Join`, long and short forms), and the pieces local emulation needs (functions with
//! their routes, topics and streams; tables; topics; the HTTP API's CORS and authorizer).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value as Json;
use serde_yaml::Value;

use crate::Error;

pub const ACCOUNT: &str = "123456789012";

pub struct Template {
    root: Value,
    pub stack: String,
    pub region: String,
    /// Real stream ARNs from the emulator, by table logical id (filled by provision).
    pub stream_arns: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Function {
    pub logical: String,
    pub binary: String,
    pub timeout_secs: u64,
    pub routes: Vec<Route>,
    /// Logical ids of the SNS topics it subscribes to.
    pub topics: Vec<String>,
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

/// The WebSocket API (`AWS::ApiGatewayV2::Api`, protocol WEBSOCKET) and its routes.
#[derive(Debug, Clone)]
pub struct WebSocketApi {
    /// E.g. `$request.body.action`.
    pub selection_expression: String,
    pub stage: String,
    pub routes: Vec<WebSocketRoute>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketRoute {
    /// `$connect`, `$disconnect`, `$default` or a value of the selection expression.
    pub key: String,
    pub binary: String,
    /// Whether the function's answer goes back on the socket (a route response exists).
    pub responds: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub allow_origins: Vec<String>,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age: Option<u64>,
}

fn tag_name(t: &serde_yaml::value::TaggedValue) -> String {
    t.tag.to_string().trim_start_matches('!').to_string()
}

/// The logical ids a value mentions through `Ref`, `GetAtt` or `${…}` in a `Sub`, in order.
fn references(v: &Value) -> Vec<String> {
    let (name, arg) = match v {
        Value::Tagged(t) => (tag_name(t), &t.value),
        Value::Mapping(m) if m.len() == 1 => {
            let (k, inner) = m.iter().next().expect("one entry");
            let k = k.as_str().unwrap_or_default();
            (k.strip_prefix("Fn::").unwrap_or(k).to_string(), inner)
        }
        Value::Sequence(s) => return s.iter().flat_map(references).collect(),
        _ => return vec![],
    };
    match (name.as_str(), arg) {
        // `!Ref Fn.Alias` is SAM's reference to a function's AutoPublishAlias alias.
        ("Ref", Value::String(s)) => vec![s.split('.').next().unwrap_or(s).to_string()],
        ("GetAtt", Value::String(s)) => vec![s.split('.').next().unwrap_or(s).to_string()],
        ("GetAtt", Value::Sequence(s)) => s
            .first()
            .and_then(|x| x.as_str())
            .map(str::to_string)
            .into_iter()
            .collect(),
        ("Sub", Value::String(text)) => text
            .split("${")
            .skip(1)
            .filter_map(|rest| rest.split_once('}'))
            .map(|(inner, _)| inner.split('.').next().unwrap_or(inner).to_string())
            .collect(),
        (_, arg) => references(arg),
    }
}

/// The local value of a required parameter (no `Default` in the template, so that a deploy
/// must name it): `GYMIT_PARAM_<Name>`, else the local stack's own value for it.
fn local_parameter(name: &str) -> Option<String> {
    if let Ok(v) = std::env::var(format!("GYMIT_PARAM_{name}")) {
        return Some(v);
    }
    match name {
        "RootAdminEmail" => Some(
            std::env::var("ROOT_ADMIN_EMAIL")
                .unwrap_or_else(|_| crate::provision::DEV_ROOT_ADMIN_EMAIL.to_string()),
        ),
        _ => None,
    }
}

impl Template {
    pub fn load(path: &std::path::Path) -> Result<Template, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template, Error> {
        let root: Value = serde_yaml::from_str(text)?;
        Ok(Template {
            root,
            stack: std::env::var("GYMIT_STACK").unwrap_or_else(|_| "gymit".into()),
            region: std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
            stream_arns: HashMap::new(),
        })
    }

    fn resources(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.root["Resources"]
            .as_mapping()
            .into_iter()
            .flat_map(|m| m.iter())
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    fn resource(&self, logical: &str) -> Option<&Value> {
        self.root["Resources"].get(logical)
    }

    fn of_type(&self, kind: &str) -> Vec<(&str, &Value)> {
        self.resources()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
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

    fn http_api(&self) -> Option<&Value> {
        self.of_type("AWS::Serverless::HttpApi")
            .first()
            .map(|(_, r)| *r)
    }

    fn has_default_authorizer(&self) -> bool {
        self.http_api()
            .map(|a| a["Properties"]["Auth"]["DefaultAuthorizer"].is_string())
            .unwrap_or(false)
    }

    /// The binary of the HTTP API's default Lambda authorizer.
    /// The authorizer's `ReauthorizeEvery` (seconds its answers are cached per identity
    /// source; 0 = no cache). API Gateway's default is 300.
    pub fn authorizer_ttl_secs(&self) -> u64 {
        let Some(api) = self.http_api().map(|a| &a["Properties"]["Auth"]) else {
            return 0;
        };
        let name = api["DefaultAuthorizer"].as_str().unwrap_or_default();
        api["Authorizers"][name]["Identity"]["ReauthorizeEvery"]
            .as_u64()
            .unwrap_or(300)
    }

    pub fn authorizer_binary(&self) -> Option<String> {
        let api = &self.http_api()?["Properties"]["Auth"];
        let name = api["DefaultAuthorizer"].as_str()?;
        let arn = &api["Authorizers"][name]["FunctionArn"];
        let target = self
            .getatt_target(arn)
            .or_else(|| references(arn).into_iter().next())?;
        self.resource(&target)?["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .map(str::to_string)
    }

    pub fn cors(&self) -> Option<Cors> {
        let c = &self.http_api()?["Properties"]["CorsConfiguration"];
        if c.is_null() {
            return None;
        }
        let list = |v: &Value| -> Vec<String> {
            v.as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|x| self.resolve(x).ok())
                .collect()
        };
        Some(Cors {
            allow_origins: list(&c["AllowOrigins"]),
            allow_methods: list(&c["AllowMethods"]),
            allow_headers: list(&c["AllowHeaders"]),
            expose_headers: list(&c["ExposeHeaders"]),
            max_age: c["MaxAge"].as_u64(),
        })
    }

    /// The WebSocket API, its stage, and each route's function (route → integration →
    /// the function named in the integration's URI).
    pub fn websocket_api(&self) -> Option<WebSocketApi> {
        let (api, props) = self
            .of_type("AWS::ApiGatewayV2::Api")
            .into_iter()
            .find(|(_, r)| r["Properties"]["ProtocolType"].as_str() == Some("WEBSOCKET"))
            .map(|(l, r)| (l.to_string(), &r["Properties"]))?;
        let of_api =
            |r: &Value| self.ref_target(&r["Properties"]["ApiId"]).as_deref() == Some(&api);
        let stage = self
            .of_type("AWS::ApiGatewayV2::Stage")
            .into_iter()
            .find(|(_, r)| of_api(r))
            .and_then(|(_, r)| self.resolve(&r["Properties"]["StageName"]).ok())
            .unwrap_or_else(|| "$default".into());
        let routes = self
            .of_type("AWS::ApiGatewayV2::Route")
            .into_iter()
            .filter(|(_, r)| of_api(r))
            .filter_map(|(_, r)| {
                let p = &r["Properties"];
                let integration = references(&p["Target"])
                    .into_iter()
                    .find(|l| self.resource(l).is_some())?;
                let uri = &self.resource(&integration)?["Properties"]["IntegrationUri"];
                let binary = references(uri).into_iter().find_map(|l| {
                    self.resource(&l)?["Metadata"]["BuildProperties"]["Binary"]
                        .as_str()
                        .map(str::to_string)
                })?;
                Some(WebSocketRoute {
                    key: p["RouteKey"].as_str()?.to_string(),
                    binary,
                    responds: p["RouteResponseSelectionExpression"].is_string(),
                })
            })
            .collect();
        Some(WebSocketApi {
            selection_expression: props["RouteSelectionExpression"]
                .as_str()
                .unwrap_or("$request.body.action")
                .to_string(),
            stage,
            routes,
        })
    }

    /// Tables: logical id, resolved name, and the properties.
    pub fn tables(&self) -> Vec<(String, String, Value)> {
        self.of_type("AWS::DynamoDB::Table")
            .into_iter()
            .map(|(l, r)| {
                let name = self.table_name(l, r);
                (l.to_string(), name, r["Properties"].clone())
            })
            .collect()
    }

    /// Queues (`AWS::SQS::Queue`): logical id and resolved name.
    pub fn queues(&self) -> Vec<(String, String)> {
        self.of_type("AWS::SQS::Queue")
            .into_iter()
            .map(|(l, r)| {
                let name = self
                    .resolve(&r["Properties"]["QueueName"])
                    .unwrap_or_else(|_| format!("{}-{l}", self.stack));
                (l.to_string(), name)
            })
            .collect()
    }

    /// The name of the queue a destination (`!GetAtt Queue.Arn`) points at.
    fn queue_name(&self, destination: &Value) -> Option<String> {
        let logical = self.getatt_target(destination)?;
        self.queues()
            .into_iter()
            .find(|(l, _)| *l == logical)
            .map(|(_, name)| name)
    }

    /// Topics: logical id and resolved name.
    pub fn topics(&self) -> Vec<(String, String)> {
        self.of_type("AWS::SNS::Topic")
            .into_iter()
            .map(|(l, r)| {
                let name = self
                    .resolve(&r["Properties"]["TopicName"])
                    .unwrap_or_else(|_| format!("{}-{l}", self.stack));
                (l.to_string(), name)
            })
            .collect()
    }

    pub fn topic_arn(&self, name: &str) -> String {
        format!("arn:aws:sns:{}:{ACCOUNT}:{name}", self.region)
    }

    /// Every function's environment (Globals merged under its own), resolved; a variable
    /// that two functions resolve differently is an error naming it.
    pub fn environment(&self) -> Result<BTreeMap<String, String>, Error> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        let globals = self.root["Globals"]["Function"]["Environment"]["Variables"].clone();
        for (logical, r) in self.of_type("AWS::Serverless::Function") {
            let mut vars = BTreeMap::new();
            for source in [&globals, &r["Properties"]["Environment"]["Variables"]] {
                for (k, v) in source.as_mapping().into_iter().flat_map(|m| m.iter()) {
                    if let Some(k) = k.as_str() {
                        vars.insert(
                            k.to_string(),
                            self.resolve(v)
                                .map_err(|e| format!("{logical}: {k}: {e}"))?,
                        );
                    }
                }
            }
            for (k, v) in vars {
                match out.get(&k) {
                    Some(existing) if *existing != v => {
                        return Err(format!("environment variable {k} resolves to {existing:?} and {v:?} (in {logical}): give them different names").into())
                    }
                    _ => {
                        out.insert(k, v);
                    }
                }
            }
        }
        Ok(out)
    }

    fn ref_target(&self, v: &Value) -> Option<String> {
        match v {
            Value::Tagged(t) if tag_name(t) == "Ref" => t.value.as_str().map(str::to_string),
            Value::Mapping(_) => v["Ref"].as_str().map(str::to_string),
            _ => None,
        }
    }

    fn getatt_target(&self, v: &Value) -> Option<String> {
        let inner = match v {
            Value::Tagged(t) if tag_name(t) == "GetAtt" => &t.value,
            Value::Mapping(_) if !v["Fn::GetAtt"].is_null() => &v["Fn::GetAtt"],
            _ => return None,
        };
        match inner {
            Value::String(s) => s.split('.').next().map(str::to_string),
            Value::Sequence(s) => s.first()?.as_str().map(str::to_string),
            _ => None,
        }
    }

    /// Resolves a value to a string, evaluating intrinsic functions.
    pub fn resolve(&self, v: &Value) -> Result<String, Error> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Tagged(t) => self.intrinsic(&tag_name(t), &t.value),
            Value::Mapping(m) if m.len() == 1 => {
                let (k, inner) = m.iter().next().expect("one entry");
                let k = k.as_str().unwrap_or_default();
                let name = if k == "Ref" {
                    "Ref"
                } else {
                    k.strip_prefix("Fn::").ok_or("unknown function")?
                };
                self.intrinsic(name, inner)
            }
            other => Err(format!("cannot resolve {other:?}").into()),
        }
    }

    fn intrinsic(&self, name: &str, arg: &Value) -> Result<String, Error> {
        match name {
            "Ref" => self.ref_value(arg.as_str().ok_or("!Ref needs a name")?),
            "GetAtt" => {
                let (res, attr) = match arg {
                    Value::String(s) => s
                        .split_once('.')
                        .ok_or("!GetAtt needs Resource.Attribute")?,
                    Value::Sequence(s) => (
                        s[0].as_str().unwrap_or_default(),
                        s[1].as_str().unwrap_or_default(),
                    ),
                    _ => return Err("bad !GetAtt".into()),
                };
                self.getatt(res, attr)
            }
            "Sub" => {
                let (text, vars) = match arg {
                    Value::String(s) => (s.clone(), None),
                    Value::Sequence(s) => (s[0].as_str().unwrap_or_default().to_string(), s.get(1)),
                    _ => return Err("bad !Sub".into()),
                };
                self.sub(&text, vars)
            }
            "Join" => {
                let s = arg.as_sequence().ok_or("bad !Join")?;
                let sep = s[0].as_str().unwrap_or_default();
                let parts = s[1].as_sequence().ok_or("bad !Join")?;
                Ok(parts
                    .iter()
                    .map(|p| self.resolve(p))
                    .collect::<Result<Vec<_>, _>>()?
                    .join(sep))
            }
            other => Err(format!("intrinsic {other} is not supported locally").into()),
        }
    }

    fn sub(&self, text: &str, vars: Option<&Value>) -> Result<String, Error> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find('}').ok_or("unclosed ${ in !Sub")? + start;
            let name = &rest[start + 2..end];
            let value = match vars.and_then(|v| v.get(name)) {
                Some(v) => self.resolve(v)?,
                None => match name.split_once('.') {
                    Some((res, attr)) if !name.starts_with("AWS::") => self.getatt(res, attr)?,
                    _ => self.ref_value(name)?,
                },
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// A table's name: its `TableName`, or when the template leaves naming to
    /// CloudFormation, `<stack>-<logical id without "Table", lower case>` (`AuthTable` →
    /// `gymit-auth`).
    fn table_name(&self, logical: &str, r: &Value) -> String {
        self.resolve(&r["Properties"]["TableName"])
            .unwrap_or_else(|_| {
                let base = logical.strip_suffix("Table").unwrap_or(logical);
                format!("{}-{}", self.stack, base.to_lowercase())
            })
    }

    fn ref_value(&self, name: &str) -> Result<String, Error> {
        // `!Ref Fn.Alias` (SAM, AutoPublishAlias): locally the function itself answers.
        if let Some(function) = name.strip_suffix(".Alias") {
            return self.ref_value(function);
        }
        match name {
            "AWS::StackName" => return Ok(self.stack.clone()),
            "AWS::Region" => return Ok(self.region.clone()),
            "AWS::AccountId" => return Ok(ACCOUNT.into()),
            "AWS::Partition" => return Ok("aws".into()),
            "AWS::URLSuffix" => return Ok("amazonaws.com".into()),
            _ => {}
        }
        if let Some(p) = self.root["Parameters"].get(name) {
            if p["Default"].is_null() {
                return local_parameter(name).ok_or_else(|| {
                    format!("parameter {name} has no Default: set GYMIT_PARAM_{name}").into()
                });
            }
            return self.resolve(&p["Default"]);
        }
        let r = self
            .resource(name)
            .ok_or_else(|| format!("!Ref to unknown {name}"))?;
        let props = &r["Properties"];
        Ok(match r["Type"].as_str().unwrap_or_default() {
            "AWS::DynamoDB::Table" => self.table_name(name, r),
            "AWS::SNS::Topic" => self.topic_arn(&self.resolve(&props["TopicName"])?),
            "AWS::ApiGatewayV2::Stage" => self.resolve(&props["StageName"])?,
            "AWS::Serverless::Function" => r["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or(name)
                .to_string(),
            _ => name.to_string(),
        })
    }

    fn getatt(&self, res: &str, attr: &str) -> Result<String, Error> {
        let r = self
            .resource(res)
            .ok_or_else(|| format!("!GetAtt of unknown {res}"))?;
        let kind = r["Type"].as_str().unwrap_or_default();
        let region = &self.region;
        Ok(match (kind, attr) {
            ("AWS::DynamoDB::Table", "Arn") => format!(
                "arn:aws:dynamodb:{region}:{ACCOUNT}:table/{}",
                self.ref_value(res)?
            ),
            ("AWS::DynamoDB::Table", "StreamArn") => {
                self.stream_arns.get(res).cloned().unwrap_or_else(|| {
                    format!(
                        "arn:aws:dynamodb:{region}:{ACCOUNT}:table/{}/stream/local",
                        self.ref_value(res).unwrap_or_default()
                    )
                })
            }
            ("AWS::SNS::Topic", "TopicName") => self.resolve(&r["Properties"]["TopicName"])?,
            ("AWS::SNS::Topic", "TopicArn") => self.ref_value(res)?,
            ("AWS::Serverless::Function", "Arn") => format!(
                "arn:aws:lambda:{region}:{ACCOUNT}:function:{}",
                self.ref_value(res)?
            ),
            _ => format!("{res}.{attr}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = r#"
Parameters:
  Stage: { Type: String, Default: prod }
Globals:
  Function:
    Timeout: 10
    Environment:
      Variables:
        TABLE: !Ref Table
        TOPIC: !Ref Topic
        URL: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}"
Resources:
  Api: { Type: AWS::Serverless::HttpApi, Properties: { Auth: { DefaultAuthorizer: A, Authorizers: { A: { FunctionArn: !GetAtt AuthFn.Arn } } } } }
  Table: { Type: AWS::DynamoDB::Table, Properties: { TableName: !Sub "${AWS::StackName}-things" } }
  Topic: { Type: AWS::SNS::Topic, Properties: { TopicName: { "Fn::Sub": "${AWS::StackName}-events" } } }
  AuthFn:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: the-authorizer } }
  Fn:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: things-get } }
    Properties:
      Timeout: 3
      Environment: { Variables: { SELF: !GetAtt Fn.Arn, OTHER: !Ref AuthFn } }
      Events:
        Get: { Type: HttpApi, Properties: { Path: "/things/{id}", Method: get } }
        Pub: { Type: HttpApi, Properties: { Path: /health, Method: GET, Auth: { Authorizer: NONE } } }
        S: { Type: SNS, Properties: { Topic: !Ref Topic } }
        D: { Type: DynamoDB, Properties: { Stream: !GetAtt Table.StreamArn, StartingPosition: TRIM_HORIZON, BatchSize: 5, FilterCriteria: { Filters: [ { Pattern: '{"eventName": ["INSERT"]}' } ] } } }
"#;

    #[test]
    fn intrinsics_resolve_to_local_names() {
        let t = Template::parse(T).unwrap();
        let env = t.environment().unwrap();
        assert_eq!(env["TABLE"], "gymit-things");
        assert_eq!(
            env["TOPIC"],
            "arn:aws:sns:us-east-1:123456789012:gymit-events"
        );
        assert_eq!(
            env["URL"],
            "https://Api.execute-api.us-east-1.amazonaws.com/prod"
        );
        assert_eq!(
            env["SELF"],
            "arn:aws:lambda:us-east-1:123456789012:function:things-get"
        );
        assert_eq!(env["OTHER"], "the-authorizer");
    }

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
        assert_eq!(f.streams[0].table, "Table");
        assert_eq!(f.streams[0].batch_size, 5);
        assert!(f.streams[0].trim_horizon);
        assert_eq!(f.streams[0].filters[0]["eventName"][0], "INSERT");
        assert_eq!(t.authorizer_binary().as_deref(), Some("the-authorizer"));
    }

    #[test]
    fn aliases_and_unnamed_tables_resolve_to_local_names() {
        let t = Template::parse(
            r#"
Resources:
  Api: { Type: AWS::Serverless::HttpApi, Properties: { Auth: { DefaultAuthorizer: A, Authorizers: { A: { FunctionArn: !Ref AuthFn.Alias } } } } }
  AuthTable: { Type: AWS::DynamoDB::Table, Properties: {} }
  AuthFn: { Type: AWS::Serverless::Function, Metadata: { BuildProperties: { Binary: the-authorizer } } }
  Fn:
    Type: AWS::Serverless::Function
    Metadata: { BuildProperties: { Binary: things-get } }
    Properties: { Environment: { Variables: { CALLEE: !Ref AuthFn.Alias, TABLE: !Ref AuthTable, ARN: !GetAtt AuthTable.Arn } } }
"#,
        )
        .unwrap();
        let env = t.environment().unwrap();
        assert_eq!(env["CALLEE"], "the-authorizer");
        assert_eq!(env["TABLE"], "gymit-auth");
        assert_eq!(
            env["ARN"],
            "arn:aws:dynamodb:us-east-1:123456789012:table/gymit-auth"
        );
        assert_eq!(t.tables()[0].1, "gymit-auth");
        assert_eq!(t.authorizer_binary().as_deref(), Some("the-authorizer"));
    }

    #[test]
    fn the_project_template_resolves() {
        let path = crate::workspace_root().join("template.yaml");
        let t = Template::load(&path).unwrap();
        let env = t.environment().unwrap();
        assert_eq!(env["AUTH_TABLE"], "gymit-auth");
        assert!(t.functions().iter().any(|f| f.binary == "auth-healthz"));
    }

    #[test]
    fn the_websocket_api_routes_reach_their_functions() {
        let path = crate::workspace_root().join("template.yaml");
        let t = Template::load(&path).unwrap();
        let api = t
            .websocket_api()
            .expect("template.yaml has a WebSocket API");
        assert_eq!(api.selection_expression, "$request.body.action");
        assert_eq!(api.stage, "ws");
        let route = |key: &str| {
            api.routes
                .iter()
                .find(|r| r.key == key)
                .unwrap_or_else(|| panic!("no route {key}"))
                .clone()
        };
        assert_eq!(route("$connect").binary, "notifications-connect");
        assert!(!route("$connect").responds);
        assert_eq!(route("$disconnect").binary, "notifications-disconnect");
        assert_eq!(route("$default").binary, "notifications-default");
        assert!(route("$default").responds);
        let env = t.environment().unwrap();
        assert_eq!(
            env["WEBSOCKET_API_ENDPOINT"],
            "https://WebSocketApi.execute-api.us-east-1.amazonaws.com/ws"
        );
    }
}
