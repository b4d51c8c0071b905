//! The layering that `lib.rs` documents, checked on the sources: a module of `shared`
//! imports (`crate::module`, or `use crate::{module, …}`) only modules of a higher layer,
//! so the crate has no import cycle.

use std::collections::BTreeMap;

/// The layers of `lib.rs`, top (imported by everything below) first.
const LAYERS: &[&[&str]] = &[
    &["trace"],
    &["error", "time", "telemetry", "retry", "aws", "role"],
    &["config", "ids", "metrics", "cursor", "dynamo", "validate"],
    &["jwt", "breaker", "edge"],
    &["http", "lambda", "batch", "keys"],
    &["identity"],
    &["events", "health"],
    &["user"],
];

/// The crate-root re-exports of `lib.rs`, by the module that defines them.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("ApiError", "error"),
    ("FieldError", "error"),
    ("Ctx", "http"),
    ("Request", "http"),
    ("Response", "http"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|mods| mods.contains(&module))
}

/// The modules of `shared` that `source` (tests excluded) names through `crate::`.
fn imports(source: &str, modules: &[String]) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or(source);
    let mut found = Vec::new();
    let mut add = |word: &str| {
        let module = ROOT_ITEMS
            .iter()
            .find(|(item, _)| *item == word)
            .map(|(_, m)| m.to_string())
            .unwrap_or_else(|| word.to_string());
        if modules.contains(&module) && !found.contains(&module) {
            found.push(module);
        }
    };
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let head = part.trim().split("::").next().unwrap_or("").trim();
                add(head);
            }
        } else {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            add(&word);
        }
    }
    found
}

#[test]
fn every_module_imports_only_from_above_so_there_is_no_cycle() {
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/src");
    let mut sources = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if path.extension().is_some_and(|e| e == "rs") && name != "lib" {
            sources.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    let modules: Vec<String> = sources.keys().cloned().collect();
    let mut wrong = Vec::new();
    for (module, source) in &sources {
        let Some(own) = layer_of(module) else {
            wrong.push(format!(
                "{module} is in no layer of lib.rs (add it there and here)"
            ));
            continue;
        };
        for dep in imports(source, &modules) {
            if &dep == module {
                continue;
            }
            if layer_of(&dep).is_none_or(|l| l >= own) {
                wrong.push(format!("{module} imports {dep}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering: {wrong:?}");
}

#[test]
fn the_checker_sees_both_import_forms() {
    let modules = vec!["jwt".to_string(), "error".to_string(), "http".to_string()];
    let source = "use crate::{jwt::Tokens, ApiError};\nfn f() { crate::http::x(); }";
    let mut found = imports(source, &modules);
    found.sort();
    assert_eq!(found, ["error", "http", "jwt"]);
}
