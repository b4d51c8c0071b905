//! Reading `template.yaml`: resources, intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`,
//! `!Join`, long and short forms), and the pieces local emulation needs (functions with
//! their routes, topics and streams; tables; topics; the HTTP API's CORS and authorizer).
//!
//! This module loads the document (with `for_each` expanding the `AWS::LanguageExtensions`
//! loops first, as CloudFormation does) and finds its resources; the rest is by subject:
//! `intrinsics` resolves values to their local names, `functions` is the function model
//! (routes, topics, stream event sources), `apis` the HTTP API (CORS, authorizer) and the
//! WebSocket API, `resources` the tables, queues, topics and the functions' environment.

use std::collections::HashMap;

use serde_yaml::Value;

use crate::Error;

mod apis;
mod for_each;
mod functions;
mod intrinsics;
mod resources;

pub use apis::{Cors, WebSocketApi, WebSocketRoute};
pub use functions::{Function, Route, StreamSource};

pub const ACCOUNT: &str = "123456789012";

/// The local stack's value of the template's required `RootAdminEmail` parameter (and so
/// of the functions' `ROOT_ADMIN_EMAIL`), unless `ROOT_ADMIN_EMAIL` names another.
pub const DEV_ROOT_ADMIN_EMAIL: &str = "root@gymit.local";

pub struct Template {
    root: Value,
    pub stack: String,
    pub region: String,
    /// Real stream ARNs from the emulator, by table logical id (filled by provision).
    pub stream_arns: HashMap<String, String>,
}

impl Template {
    pub fn load(path: &std::path::Path) -> Result<Template, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Template, Error> {
        let mut root: Value = serde_yaml::from_str(text)?;
        for_each::expand(&mut root)?;
        Ok(Template {
            root,
            stack: std::env::var("GYMIT_STACK").unwrap_or_else(|_| "gymit".into()),
            region: std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".into()),
            stream_arns: HashMap::new(),
        })
    }

    /// The whole template as CloudFormation sees it once the language extensions ran
    /// (`Fn::ForEach` expanded).
    pub fn document(&self) -> &Value {
        &self.root
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A template with one function of each kind of event, for the unit tests.
    pub(super) const T: &str = r#"
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
        S: { Type: SNS, Properties: { Topic: !Ref Topic, FilterPolicy: { type: [thing.made] } } }
        D: { Type: DynamoDB, Properties: { Stream: !GetAtt Table.StreamArn, StartingPosition: TRIM_HORIZON, BatchSize: 5, FilterCriteria: { Filters: [ { Pattern: '{"eventName": ["INSERT"]}' } ] } } }
"#;

    #[test]
    fn the_project_template_resolves() {
        let path = crate::workspace_root().join("template.yaml");
        let t = Template::load(&path).unwrap();
        let env = t.environment().unwrap();
        assert_eq!(env["AUTH_TABLE"], "gymit-auth");
        assert!(t.functions().iter().any(|f| f.binary == "auth-healthz"));
    }
}
