//! `Fn::ForEach` of the `AWS::LanguageExtensions` transform, expanded the way
//! CloudFormation (and SAM CLI, and cfn-lint) expand it, before anything else reads the
//! template: a key `Fn::ForEach::<Loop>: [Identifier, [values…], {body}]` in any mapping
//! becomes the body's entries once per value, with `${Identifier}` replaced by the value and
//! `&{Identifier}` by the value without its non-alphanumeric characters, in every key and
//! every string (inside `!Sub`, `!Ref` … too), and `!Ref Identifier` by the value. Loops
//! nest. The collection must be a literal
//! list, which is all template.yaml uses (a `!Ref` to a list parameter would need the
//! deployment's parameters). `local/tests/template_for_each.rs` checks the result against
//! SAM CLI's own expansion.

use serde_yaml::{Mapping, Value};

use crate::Error;

const PREFIX: &str = "Fn::ForEach::";

/// Expands every `Fn::ForEach::*` in `doc`, in place.
pub fn expand(doc: &mut Value) -> Result<(), Error> {
    match doc {
        Value::Mapping(m) => {
            let mut out = Mapping::new();
            for (key, mut value) in std::mem::take(m) {
                match key.as_str().and_then(|k| k.strip_prefix(PREFIX)) {
                    Some(name) => {
                        for (k, v) in expand_loop(name, &value)? {
                            insert_new(&mut out, k, v)?;
                        }
                    }
                    None => {
                        expand(&mut value)?;
                        insert_new(&mut out, key, value)?;
                    }
                }
            }
            *m = out;
        }
        Value::Sequence(items) => {
            for item in items {
                expand(item)?;
            }
        }
        Value::Tagged(t) => expand(&mut t.value)?,
        _ => {}
    }
    Ok(())
}

fn insert_new(out: &mut Mapping, key: Value, value: Value) -> Result<(), Error> {
    if out.contains_key(&key) {
        return Err(format!("Fn::ForEach: {} is defined twice", show(&key)).into());
    }
    out.insert(key, value);
    Ok(())
}

fn show(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("{v:?}"))
}

/// The entries of one loop `name` with its value `[identifier, collection, body]`.
fn expand_loop(name: &str, spec: &Value) -> Result<Mapping, Error> {
    let bad = |what: &str| -> Error { format!("Fn::ForEach::{name}: {what}").into() };
    let parts = spec
        .as_sequence()
        .filter(|p| p.len() == 3)
        .ok_or_else(|| bad("must be [identifier, collection, body]"))?;
    let identifier = parts[0]
        .as_str()
        .filter(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| bad("the identifier must be one alphanumeric name"))?;
    let values = parts[1]
        .as_sequence()
        .ok_or_else(|| bad("the collection must be a literal list"))?
        .iter()
        .map(|v| match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(bad(
                "every value of the collection must be a string or a number",
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let body = parts[2]
        .as_mapping()
        .ok_or_else(|| bad("the body must be a mapping"))?;
    let mut out = Mapping::new();
    for value in &values {
        let mut copy = Value::Mapping(body.clone());
        substitute(&mut copy, identifier, value);
        // Loops nested in the body see the outer value already in place.
        expand(&mut copy)?;
        if let Value::Mapping(entries) = copy {
            for (k, v) in entries {
                if out.contains_key(&k) {
                    return Err(bad(&format!("{} comes out twice", show(&k))));
                }
                out.insert(k, v);
            }
        }
    }
    Ok(out)
}

/// Replaces `${identifier}` and `&{identifier}` in every key and string under `v`.
fn substitute(v: &mut Value, identifier: &str, value: &str) {
    let plain = format!("${{{identifier}}}");
    let stripped_marker = format!("&{{{identifier}}}");
    let stripped: String = value
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let replace = |s: &str| {
        s.replace(&plain, value)
            .replace(&stripped_marker, &stripped)
    };
    match v {
        Value::String(s) => *s = replace(s),
        Value::Sequence(items) => items
            .iter_mut()
            .for_each(|i| substitute(i, identifier, value)),
        // `{Ref: Identifier}` is the value itself (the short form `!Ref` is below).
        Value::Mapping(m)
            if m.len() == 1 && m.get("Ref").and_then(Value::as_str) == Some(identifier) =>
        {
            *v = Value::String(value.to_string());
        }
        Value::Mapping(m) => {
            for (key, mut item) in std::mem::take(m) {
                substitute(&mut item, identifier, value);
                let key = match key {
                    Value::String(k) => Value::String(replace(&k)),
                    other => other,
                };
                m.insert(key, item);
            }
        }
        Value::Tagged(t) if t.tag == "!Ref" && t.value.as_str() == Some(identifier) => {
            *v = Value::String(value.to_string());
        }
        Value::Tagged(t) => substitute(&mut t.value, identifier, value),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str) -> Result<Value, Error> {
        let mut doc: Value = serde_yaml::from_str(text).unwrap();
        expand(&mut doc)?;
        Ok(doc)
    }

    #[test]
    fn a_loop_becomes_one_copy_of_its_body_per_value() {
        let doc = expanded(
            r#"
Resources:
  Kept: { Type: AWS::SNS::Topic }
  Fn::ForEach::Logs:
    - Name
    - [AuthLogin, users-get]
    - ${Name}LogGroup:
        Type: AWS::Logs::LogGroup
        Properties:
          LogGroupName: !Sub "/aws/lambda/${AWS::StackName}/${Name}"
          Tags: [{ Key: fn, Value: !Ref "${Name}Function" }]
      "&{Name}Alarm":
        Type: AWS::CloudWatch::Alarm
        Properties: { Resource: !Sub "${${Name}Function}:live", Key: !FindInMap [M, !Ref Name, K] }
"#,
        )
        .unwrap();
        let r = &doc["Resources"];
        let keys: Vec<&str> = r
            .as_mapping()
            .unwrap()
            .keys()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "Kept",
                "AuthLoginLogGroup",
                "AuthLoginAlarm",
                "users-getLogGroup",
                "usersgetAlarm"
            ]
        );
        let group = &r["AuthLoginLogGroup"]["Properties"];
        let Value::Tagged(sub) = &group["LogGroupName"] else {
            panic!("a !Sub stays a !Sub")
        };
        assert_eq!(
            sub.value.as_str(),
            Some("/aws/lambda/${AWS::StackName}/AuthLogin")
        );
        let Value::Tagged(reference) = &group["Tags"][0]["Value"] else {
            panic!("a !Ref stays a !Ref")
        };
        assert_eq!(reference.value.as_str(), Some("AuthLoginFunction"));
        let Value::Tagged(alias) = &r["usersgetAlarm"]["Properties"]["Resource"] else {
            panic!()
        };
        assert_eq!(alias.value.as_str(), Some("${users-getFunction}:live"));
        let Value::Tagged(find) = &r["usersgetAlarm"]["Properties"]["Key"] else {
            panic!()
        };
        assert_eq!(
            find.value[1].as_str(),
            Some("users-get"),
            "!Ref Name is the value"
        );
        assert!(!serde_yaml::to_string(&doc).unwrap().contains("ForEach"));
    }

    #[test]
    fn loops_nest() {
        let doc = expanded(
            r#"
Fn::ForEach::Outer:
  - A
  - [x, y]
  - Fn::ForEach::Inner:
      - B
      - ["1", 2]
      - "${A}${B}": "${A}-${B}"
"#,
        )
        .unwrap();
        let text = serde_yaml::to_string(&doc).unwrap();
        assert_eq!(text, "x1: x-1\nx2: x-2\ny1: y-1\ny2: y-2\n");
    }

    #[test]
    fn what_cannot_be_expanded_here_is_an_error_naming_the_loop() {
        for (text, expected) in [
            (
                r#"Fn::ForEach::L: [N, !Ref Names, { "${N}X": 1 }]"#,
                "literal list",
            ),
            (
                "Fn::ForEach::L: [N, [a, b]]",
                "[identifier, collection, body]",
            ),
            (
                "Fn::ForEach::L: [N, [a, b], { Same: 1 }]",
                "Same comes out twice",
            ),
            (
                r#"{ aX: 0, "Fn::ForEach::L": [N, [a], { "${N}X": 1 }] }"#,
                "aX is defined twice",
            ),
        ] {
            let err = expanded(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
