//! gymit-local reads template.yaml's `Fn::ForEach` loops (AWS::LanguageExtensions) as SAM
//! CLI does: its expansion equals the one of SAM CLI's own loop processor, run by
//! `local/sam_expand.py` (the one `sam build` and `sam validate` run), intrinsic for
//! intrinsic. Needs the test tools of the virtualenv (`make lint` or `make test` make it).

use gymit_local::template::Template;
use serde_json::{json, Value as Json};
use serde_yaml::Value;

/// A YAML value in the JSON that SAM CLI's parser makes of it: short-form intrinsics in
/// their long form (`!GetAtt a.b` as `{"Fn::GetAtt": ["a", "b"]}`).
fn long_form(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Number(n) => serde_json::to_value(n).unwrap(),
        Value::String(s) => json!(s),
        Value::Sequence(items) => Json::Array(items.iter().map(long_form).collect()),
        Value::Mapping(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.as_str().expect("string keys").to_string(), long_form(v)))
                .collect(),
        ),
        Value::Tagged(t) => {
            let name = t.tag.to_string();
            let name = name.trim_start_matches('!');
            let key = if ["Ref", "Condition"].contains(&name) {
                name.to_string()
            } else {
                format!("Fn::{name}")
            };
            let inner = match (name, &t.value) {
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s.split_once('.').expect("!GetAtt a.b");
                    json!([resource, attribute])
                }
                (_, other) => long_form(other),
            };
            json!({ key: inner })
        }
    }
}

#[test]
fn gymit_local_expands_the_loops_as_sam_cli_does() {
    let root = gymit_local::workspace_root();
    let python = root.join(".venv/bin/python");
    let out = std::process::Command::new(&python)
        .arg(root.join("local/sam_expand.py"))
        .arg(root.join("template.yaml"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (make lint installs the tools)", python.display()));
    assert!(
        out.status.success(),
        "sam_expand.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sam: Json = serde_json::from_slice(&out.stdout).unwrap();
    let template = Template::load(&root.join("template.yaml")).unwrap();
    let ours = long_form(template.document());

    let text = serde_json::to_string(&ours).unwrap();
    assert!(
        !text.contains("Fn::ForEach") && !text.contains("${Name}"),
        "gymit-local left a loop unexpanded"
    );
    let (sam_resources, our_resources) = (&sam["Resources"], &ours["Resources"]);
    let names = |r: &Json| r.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    let mut expected = names(sam_resources);
    let mut got = names(our_resources);
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "the resources differ");
    for name in &expected {
        assert_eq!(
            our_resources[name], sam_resources[name],
            "{name} differs from SAM CLI's expansion"
        );
    }
    assert_eq!(ours, sam, "a section outside Resources differs");
    // The loops are there to expand: a function's log group and alarms, a queue's alarm.
    for generated in [
        "AuthLoginLogGroup",
        "AuthLoginLatencyAlarm",
        "AuthSyncUserDeadLetterQueueDepthAlarm",
    ] {
        assert!(our_resources.get(generated).is_some(), "{generated}");
    }
}
