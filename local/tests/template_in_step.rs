//! template.yaml, the function binaries and openapi.yaml stay in step, and every function
//! ships the way README "Deploying" says: a canary through its `live` alias, rolled back by
//! its own alarms, logging into a log group that expires, every trigger at the alias, and
//! every dead-letter queue watched.

use std::collections::{BTreeMap, BTreeSet};

use gymit_local::template::Template;
use serde_yaml::Value;

fn root() -> std::path::PathBuf {
    gymit_local::workspace_root()
}

fn yaml(file: &str) -> Value {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// template.yaml as CloudFormation deploys it: its `Fn::ForEach` loops expanded (by
/// gymit-local's reader, which `template_for_each.rs` checks against SAM CLI's).
fn template() -> Value {
    Template::load(&root().join("template.yaml"))
        .expect("template.yaml")
        .document()
        .clone()
}

/// The argument of an intrinsic function, short (`!Ref x`) or long (`{Ref: x}`,
/// `{Fn::Sub: x}`) form.
fn intrinsic<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    match v {
        Value::Tagged(t) if t.tag == format!("!{name}") => Some(&t.value),
        Value::Mapping(m) if m.len() == 1 => {
            let long = if name == "Ref" {
                name.to_string()
            } else {
                format!("Fn::{name}")
            };
            m.get(long.as_str())
        }
        _ => None,
    }
}

fn ref_of(v: &Value) -> Option<&str> {
    intrinsic(v, "Ref")?.as_str()
}

/// The resource (or `resource.Attribute`) a value names: `!Ref x` or `!GetAtt x`, or a
/// `!Sub "${x}"` that is nothing but that reference (how a loop names one).
fn named(v: &Value) -> Option<&str> {
    ref_of(v)
        .or_else(|| intrinsic(v, "GetAtt")?.as_str())
        .or_else(|| {
            let s = intrinsic(v, "Sub")?.as_str()?;
            let inner = s.strip_prefix("${")?.strip_suffix('}')?;
            (!inner.contains(['$', '{', '}'])).then_some(inner)
        })
}

fn resources(t: &Value) -> BTreeMap<String, Value> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
        .collect()
}

fn of_type(t: &Value, kind: &str) -> BTreeMap<String, Value> {
    resources(t)
        .into_iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .collect()
}

fn notifies_the_alarm_topic(alarm: &Value) -> bool {
    alarm["Properties"]["AlarmActions"]
        .as_sequence()
        .is_some_and(|a| a.iter().any(|x| ref_of(x) == Some("AlarmTopic")))
}

/// The value of an alarm's dimension `name`.
fn dimension<'a>(alarm: &'a Value, name: &str) -> Option<&'a Value> {
    alarm["Properties"]["Dimensions"]
        .as_sequence()?
        .iter()
        .find(|d| d["Name"].as_str() == Some(name))
        .map(|d| &d["Value"])
}

#[test]
fn every_function_binary_has_exactly_one_template_function() {
    let mut binaries = BTreeSet::new();
    for service in std::fs::read_dir(root().join("functions")).unwrap() {
        let bin = service.unwrap().path().join("src/bin");
        for file in std::fs::read_dir(&bin).into_iter().flatten() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                binaries.insert(path.file_stem().unwrap().to_string_lossy().to_string());
            }
        }
    }
    let template = Template::load(&root().join("template.yaml")).unwrap();
    let mut in_template: BTreeMap<String, usize> = BTreeMap::new();
    for f in template.functions() {
        *in_template.entry(f.binary).or_default() += 1;
    }
    let twice: Vec<_> = in_template.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "binaries with two functions: {twice:?}");
    let declared: BTreeSet<String> = in_template.into_keys().collect();
    assert_eq!(
        binaries.difference(&declared).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "binaries without a function in template.yaml"
    );
    assert_eq!(
        declared.difference(&binaries).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "template functions without a binary in functions/*/src/bin"
    );
    assert!(binaries.len() >= 40, "found only {binaries:?}");
}

#[test]
fn openapi_and_the_template_have_the_same_routes_and_the_same_public_ones() {
    let template = Template::load(&root().join("template.yaml")).unwrap();
    // (method, path) → whether the route needs a token; `$default` is API Gateway's
    // catch-all route, not part of the contract.
    let routes: BTreeMap<(String, String), bool> = template
        .functions()
        .into_iter()
        .flat_map(|f| f.routes)
        .filter(|r| r.path != "$default")
        .map(|r| ((r.method, r.path), r.authorized))
        .collect();
    let api = yaml("openapi.yaml");
    let secured_by_default = api["security"].as_sequence().is_some_and(|s| !s.is_empty());
    let mut documented = BTreeMap::new();
    // Operations that are another route answering a path it also matches
    // (`DELETE /api/users/me` is `DELETE /api/users/{id}` with id `me`): documented because
    // the gateway routes them (and `Allow` lists them), marked `x-gymit-routed-to`.
    let mut routed = Vec::new();
    for (path, item) in api["paths"].as_mapping().expect("paths") {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            let method = method.as_str().unwrap_or_default();
            if !["get", "post", "put", "patch", "delete"].contains(&method) {
                continue;
            }
            let secured = match op["security"].as_sequence() {
                Some(s) => !s.is_empty(),
                None => secured_by_default,
            };
            let key = (
                method.to_uppercase(),
                path.as_str().unwrap_or_default().to_string(),
            );
            match op["x-gymit-routed-to"].as_str() {
                Some(target) => routed.push((key, target.to_string(), secured)),
                None => {
                    documented.insert(key, secured);
                }
            }
        }
    }
    let segments_match = |pattern: &str, path: &str| {
        let (p, q): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
        p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| a == b || a.starts_with('{'))
    };
    for ((method, path), target, secured) in &routed {
        let (target_method, target_path) = target
            .split_once(' ')
            .unwrap_or_else(|| panic!("{method} {path}: x-gymit-routed-to is not `METHOD /path`"));
        let route = (target_method.to_string(), target_path.to_string());
        assert!(
            !routes.contains_key(&(method.clone(), path.clone())),
            "{method} {path} has a route of its own: drop its x-gymit-routed-to"
        );
        assert_eq!(
            routes.get(&route),
            Some(secured),
            "{method} {path} is routed to {target}: no such template route, or its auth differs"
        );
        assert!(
            target_method == method && segments_match(target_path, path),
            "{method} {path} cannot be routed to {target}"
        );
    }
    let only_template: Vec<_> = routes
        .keys()
        .filter(|k| !documented.contains_key(*k))
        .collect();
    let only_openapi: Vec<_> = documented
        .keys()
        .filter(|k| !routes.contains_key(*k))
        .collect();
    assert!(
        only_template.is_empty(),
        "routes missing from openapi.yaml: {only_template:?}"
    );
    assert!(
        only_openapi.is_empty(),
        "openapi.yaml routes with no function: {only_openapi:?}"
    );
    let disagree: Vec<_> = routes
        .iter()
        .filter(|(k, authorized)| documented[*k] != **authorized)
        .collect();
    assert!(
        disagree.is_empty(),
        "routes public in one and authorized in the other (template says): {disagree:?}"
    );
}

#[test]
fn every_function_deploys_by_canary_with_its_own_rollback_alarms_and_log_group() {
    let t = template();
    let all = resources(&t);
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["AutoPublishAlias"].as_str(), Some("live"));
    assert!(
        !globals["DeploymentPreference"]["Type"].is_null(),
        "Globals: a DeploymentPreference Type for every function"
    );
    let functions = of_type(&t, "AWS::Serverless::Function");
    assert!(functions.len() >= 40);
    let alias = |f: &str| format!("${{{f}}}:live");
    for (f, r) in &functions {
        let p = &r["Properties"];
        // Its own log group, kept LogRetentionDays.
        let group = ref_of(&p["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{f}: LoggingConfig.LogGroup is not a !Ref"));
        let lg = all
            .get(group)
            .unwrap_or_else(|| panic!("{f}: no resource {group}"));
        assert_eq!(lg["Type"].as_str(), Some("AWS::Logs::LogGroup"), "{f}");
        assert_eq!(
            ref_of(&lg["Properties"]["RetentionInDays"]),
            Some("LogRetentionDays"),
            "{f}: {group} must expire after LogRetentionDays"
        );
        // Rollback alarms: errors and p99 duration of the live alias, both paging.
        let alarms: Vec<&Value> = p["DeploymentPreference"]["Alarms"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{f}: no DeploymentPreference.Alarms"))
            .iter()
            .map(|a| {
                let name = ref_of(a).unwrap_or_else(|| panic!("{f}: alarm is not a !Ref"));
                all.get(name)
                    .unwrap_or_else(|| panic!("{f}: no resource {name}"))
            })
            .collect();
        for (metric, stat) in [("Errors", "Statistic"), ("Duration", "ExtendedStatistic")] {
            let alarm = alarms
                .iter()
                .find(|a| a["Properties"]["MetricName"].as_str() == Some(metric))
                .unwrap_or_else(|| panic!("{f}: no {metric} alarm rolls its deploys back"));
            let ap = &alarm["Properties"];
            assert_eq!(ap["Namespace"].as_str(), Some("AWS/Lambda"), "{f} {metric}");
            assert_eq!(
                dimension(alarm, "FunctionName").and_then(named),
                Some(f.as_str()),
                "{f}: its {metric} alarm watches another function"
            );
            assert_eq!(
                dimension(alarm, "Resource")
                    .and_then(|v| intrinsic(v, "Sub"))
                    .and_then(Value::as_str),
                Some(alias(f).as_str()),
                "{f}: its {metric} alarm must watch the live alias"
            );
            if metric == "Duration" {
                assert_eq!(ap[stat].as_str(), Some("p99"), "{f}");
            }
            assert!(
                notifies_the_alarm_topic(alarm),
                "{f}: {metric} alarm pages no one"
            );
        }
        // Stream consumers: how far behind the stream they are.
        let reads_a_stream = p["Events"]
            .as_mapping()
            .into_iter()
            .flatten()
            .any(|(_, e)| e["Type"].as_str() == Some("DynamoDB"));
        if reads_a_stream {
            assert!(
                of_type(&t, "AWS::CloudWatch::Alarm").values().any(|a| {
                    a["Properties"]["MetricName"].as_str() == Some("IteratorAge")
                        && dimension(a, "FunctionName").and_then(named) == Some(f.as_str())
                }),
                "{f} reads a stream and has no IteratorAge alarm"
            );
        }
    }
    for (name, alarm) in of_type(&t, "AWS::CloudWatch::Alarm") {
        assert!(notifies_the_alarm_topic(&alarm), "{name} notifies no one");
    }
}

/// Dead-letter queues (`AWS::SQS::Queue` named `*DeadLetterQueue` / `*Dlq`) without an
/// alarm on their depth that notifies the alarm topic.
fn unwatched_dead_letter_queues(t: &Value) -> Vec<String> {
    let alarms = of_type(t, "AWS::CloudWatch::Alarm");
    of_type(t, "AWS::SQS::Queue")
        .into_keys()
        .filter(|q| q.ends_with("DeadLetterQueue") || q.ends_with("Dlq"))
        .filter(|q| {
            !alarms.values().any(|a| {
                a["Properties"]["Namespace"].as_str() == Some("AWS/SQS")
                    && a["Properties"]["MetricName"].as_str()
                        == Some("ApproximateNumberOfMessagesVisible")
                    && dimension(a, "QueueName").and_then(named)
                        == Some(format!("{q}.QueueName").as_str())
                    && notifies_the_alarm_topic(a)
            })
        })
        .collect()
}

#[test]
fn every_dead_letter_queue_has_a_depth_alarm() {
    let t = template();
    assert_eq!(
        unwatched_dead_letter_queues(&t),
        Vec::<String>::new(),
        "add the queue to Fn::ForEach::DeadLetterQueueAlarms in template.yaml (section 'alarms and logs')"
    );
    // The check itself: a queue alone is reported, the pattern's alarm satisfies it.
    let mut sample: Value = serde_yaml::from_str(
        "Resources:\n  FanoutDlq: { Type: AWS::SQS::Queue }\n  Work: { Type: AWS::SQS::Queue }\n",
    )
    .unwrap();
    assert_eq!(unwatched_dead_letter_queues(&sample), vec!["FanoutDlq"]);
    let alarm: Value = serde_yaml::from_str(
        r#"
Type: AWS::CloudWatch::Alarm
Properties:
  Namespace: AWS/SQS
  MetricName: ApproximateNumberOfMessagesVisible
  Dimensions: [{ Name: QueueName, Value: !GetAtt FanoutDlq.QueueName }]
  AlarmActions: [!Ref AlarmTopic]
"#,
    )
    .unwrap();
    sample["Resources"]
        .as_mapping_mut()
        .unwrap()
        .insert("FanoutDlqDepthAlarm".into(), alarm);
    assert!(unwatched_dead_letter_queues(&sample).is_empty());
}

#[test]
fn every_trigger_invokes_the_live_alias_not_the_latest_code() {
    let t = template();
    let functions = of_type(&t, "AWS::Serverless::Function");
    // The HTTP API's authorizer.
    for (name, api) in of_type(&t, "AWS::Serverless::HttpApi") {
        for (id, a) in api["Properties"]["Auth"]["Authorizers"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            let target = ref_of(&a["FunctionArn"]).unwrap_or_default();
            assert!(
                target.ends_with(".Alias"),
                "{name} authorizer {id:?}: FunctionArn must be !Ref <Function>.Alias"
            );
        }
    }
    // WebSocket integrations and the permissions API Gateway invokes them with.
    let mentions_alias = |v: &Value| serde_yaml::to_string(v).unwrap().contains(".Alias");
    for (name, i) in of_type(&t, "AWS::ApiGatewayV2::Integration") {
        // The strangler fig's HTTP proxy to the monolith invokes no function.
        if i["Properties"]["IntegrationType"].as_str() == Some("HTTP_PROXY") {
            continue;
        }
        assert!(mentions_alias(&i["Properties"]["IntegrationUri"]), "{name}");
    }
    for (name, p) in of_type(&t, "AWS::Lambda::Permission") {
        assert!(mentions_alias(&p["Properties"]["FunctionName"]), "{name}");
    }
    // A function that invokes another one (auth-register → users-create) calls the alias.
    for (name, f) in &functions {
        for (var, v) in f["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .into_iter()
            .flatten()
        {
            if let Some(target) = ref_of(v) {
                let function = target.split('.').next().unwrap_or(target);
                if functions.contains_key(function) {
                    assert!(
                        target.ends_with(".Alias"),
                        "{name}: {var:?} names {function}'s latest code, not its live alias"
                    );
                }
            }
        }
    }
}

/// The table each service owns (DESIGN.md: a function reads and writes only its own
/// service's table; other services are reached through an invoke or an event).
const OWN_TABLE: [(&str, &str); 4] = [
    ("auth", "AuthTable"),
    ("users", "UsersTable"),
    ("tournaments", "TournamentsTable"),
    ("notifications", "ConnectionsTable"),
];

/// Every table (of `tables`) that an intrinsic under `v` names: `!Ref T`, `!GetAtt T.Arn`,
/// `!Sub "${T.Arn}/index/*"`, `{Fn::GetAtt: [T, Arn]}`.
fn tables_named(v: &Value, tables: &[&str], out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            for t in tables {
                if s == t || s.starts_with(&format!("{t}.")) || s.contains(&format!("${{{t}")) {
                    out.insert(t.to_string());
                }
            }
        }
        Value::Tagged(t) => tables_named(&t.value, tables, out),
        Value::Sequence(items) => items.iter().for_each(|i| tables_named(i, tables, out)),
        Value::Mapping(m) => m.values().for_each(|i| tables_named(i, tables, out)),
        _ => {}
    }
}

#[test]
fn no_function_names_another_services_table_in_its_policy_environment_or_triggers() {
    let t = template();
    let tables: Vec<&str> = OWN_TABLE.iter().map(|(_, table)| *table).collect();
    let mut globals = BTreeSet::new();
    tables_named(&t["Globals"]["Function"], &tables, &mut globals);
    assert!(
        globals.is_empty(),
        "Globals give every function the tables {globals:?}: name a table in its own functions only"
    );
    let mut crossings = Vec::new();
    for (logical, f) in of_type(&t, "AWS::Serverless::Function") {
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{logical}: no binary"));
        let service = binary.split('-').next().unwrap();
        let own = OWN_TABLE
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, table)| *table);
        let mut named = BTreeSet::new();
        tables_named(&f["Properties"], &tables, &mut named);
        for table in named {
            if Some(table.as_str()) != own {
                crossings.push(format!("{binary} names {table}"));
            }
        }
    }
    assert_eq!(crossings, Vec::<String>::new());
    // The check sees what it should: a join names its own table.
    let join = &resources(&t)["TournamentsJoinFunction"]["Properties"];
    let mut named = BTreeSet::new();
    tables_named(join, &tables, &mut named);
    assert_eq!(named, BTreeSet::from(["TournamentsTable".to_string()]));
}

/// The secrets (logical ids) that a function's policies let it read.
fn secrets_readable(function: &Value) -> BTreeSet<String> {
    function["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|p| named(&p["AWSSecretsManagerGetSecretValuePolicy"]["SecretArn"]))
        .map(str::to_string)
        .collect()
}

/// The paths of openapi.yaml's operations that take a `cursor` (the paginated listings).
fn paginated_routes() -> BTreeSet<(String, String)> {
    let api = yaml("openapi.yaml");
    let mut out = BTreeSet::new();
    for (path, item) in api["paths"].as_mapping().expect("paths") {
        for (method, op) in item.as_mapping().into_iter().flatten() {
            let takes_cursor = op["parameters"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|p| {
                    // A parameter, or a `$ref` to one of components/parameters.
                    let p = match p["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                        Some(name) => &api["components"]["parameters"][name],
                        None => p,
                    };
                    p["name"].as_str() == Some("cursor")
                });
            if takes_cursor {
                let (m, p) = (
                    method.as_str().unwrap_or_default(),
                    path.as_str().unwrap_or_default(),
                );
                out.insert((m.to_uppercase(), p.to_string()));
            }
        }
    }
    out
}

#[test]
fn only_the_functions_that_sign_or_verify_tokens_can_read_the_token_keys() {
    let template = Template::load(&root().join("template.yaml")).unwrap();
    let t = template.document().clone();
    let all = resources(&t);
    let paginated = paginated_routes();
    assert!(
        paginated.len() >= 2,
        "no paginated listing in openapi.yaml: {paginated:?}"
    );
    // Besides the functions behind a protected route (each verifies the caller's token
    // itself, defense in depth): the two that sign, and the two that verify a token that
    // comes another way (the authorizer's, and the WebSocket connect's `?token=`).
    let sign_or_verify_off_route = [
        "AuthLoginFunction",
        "AuthRefreshFunction",
        "AuthAuthorizerFunction",
        "NotificationsConnectFunction",
    ];
    let mut wrong = Vec::new();
    for f in template.functions() {
        let readable = secrets_readable(&all[&f.logical]);
        let verifies = f.routes.iter().any(|r| r.authorized)
            || sign_or_verify_off_route.contains(&f.logical.as_str());
        let lists = f
            .routes
            .iter()
            .any(|r| paginated.contains(&(r.method.clone(), r.path.clone())));
        for (secret, needed) in [("JwtSecret", verifies), ("CursorSecret", lists)] {
            if readable.contains(secret) != needed {
                wrong.push(format!(
                    "{}: {secret} readable {}, needed {needed}",
                    f.logical, !needed
                ));
            }
        }
        // A binary that says what it reads at cold start (`Needs::…`) says the same.
        let source = std::fs::read_dir(root().join("functions"))
            .unwrap()
            .map(|s| s.unwrap().path().join(format!("src/bin/{}.rs", f.binary)))
            .find(|p| p.exists())
            .map(|p| std::fs::read_to_string(p).unwrap())
            .unwrap_or_default();
        if let Some(i) = source.find("Needs::") {
            let said = source[i + "Needs::".len()..]
                .split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default();
            let expected = match (verifies, lists) {
                (true, true) => "TokensAndCursors",
                (true, false) => "Tokens",
                (false, true) => "Cursors",
                (false, false) => "Nothing",
            };
            if said != expected {
                wrong.push(format!(
                    "{}: its binary reads Needs::{said}, its routes need Needs::{expected}",
                    f.logical
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
