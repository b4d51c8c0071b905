//! Intrinsic functions, resolved the way the local stack names things: `Ref`, `GetAtt`,
//! `Sub` and `Join` (short `!Ref` and long `{Ref: …}` / `{Fn::…: …}` forms), pseudo
//! parameters, parameters (a required one from `GYMIT_PARAM_<Name>`), the local names they
//! resolve to (a table's name, a topic's ARN), and the logical ids a value refers to.

use serde_yaml::Value;

use super::{Template, ACCOUNT, DEV_ROOT_ADMIN_EMAIL};
use crate::Error;

fn tag_name(t: &serde_yaml::value::TaggedValue) -> String {
    t.tag.to_string().trim_start_matches('!').to_string()
}

/// The logical ids a value mentions through `Ref`, `GetAtt` or `${…}` in a `Sub`, in order.
pub(super) fn references(v: &Value) -> Vec<String> {
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
            std::env::var("ROOT_ADMIN_EMAIL").unwrap_or_else(|_| DEV_ROOT_ADMIN_EMAIL.to_string()),
        ),
        _ => None,
    }
}

impl Template {
    pub(super) fn ref_target(&self, v: &Value) -> Option<String> {
        match v {
            Value::Tagged(t) if tag_name(t) == "Ref" => t.value.as_str().map(str::to_string),
            Value::Mapping(_) => v["Ref"].as_str().map(str::to_string),
            _ => None,
        }
    }

    pub(super) fn getatt_target(&self, v: &Value) -> Option<String> {
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
    pub(super) fn table_name(&self, logical: &str, r: &Value) -> String {
        self.resolve(&r["Properties"]["TableName"])
            .unwrap_or_else(|_| {
                let base = logical.strip_suffix("Table").unwrap_or(logical);
                format!("{}-{}", self.stack, base.to_lowercase())
            })
    }

    pub fn topic_arn(&self, name: &str) -> String {
        format!("arn:aws:sns:{}:{ACCOUNT}:{name}", self.region)
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
    use super::super::tests::T;
    use super::*;

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
}
