//! The template's named resources as the emulator creates them (tables, queues, topics,
//! SES identities, with their resolved names) and the functions' environment.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::Template;
use crate::Error;

impl Template {
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
    pub(super) fn queue_name(&self, destination: &Value) -> Option<String> {
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

    /// SES email identities (`AWS::SES::EmailIdentity`): logical id and the resolved
    /// address or domain. Locally every one is created (conditions are not evaluated; the
    /// template's only one is created by default on AWS too).
    pub fn email_identities(&self) -> Vec<(String, String)> {
        self.of_type("AWS::SES::EmailIdentity")
            .into_iter()
            .filter_map(|(l, r)| {
                let identity = self.resolve(&r["Properties"]["EmailIdentity"]).ok()?;
                Some((l.to_string(), identity))
            })
            .collect()
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
}
