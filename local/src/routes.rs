//! Matching a request to the template's `HttpApi` routes as API Gateway does: path
//! parameters, `{proxy+}`, the most specific route first, and `$default` for the rest.

use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(crate) struct CompiledRoute {
    pub method: String,
    pub path: String,
    pub segments: Vec<Segment>,
    pub binary: String,
    pub authorized: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

pub(crate) fn compile(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(p) if p.ends_with('+') => Segment::Greedy(p.trim_end_matches('+').to_string()),
                Some(p) => Segment::Param(p.to_string()),
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect()
}

fn match_path(segments: &[Segment], path: &str) -> Option<HashMap<String, String>> {
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut params = HashMap::new();
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            Segment::Literal(l) => {
                if parts.get(i) != Some(&l.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                params.insert(name.clone(), percent_decode(parts.get(i)?));
            }
            Segment::Greedy(name) => {
                if i >= parts.len() {
                    return None;
                }
                params.insert(name.clone(), parts[i..].join("/"));
                return Some(params);
            }
        }
    }
    (parts.len() == segments.len()).then_some(params)
}

pub(crate) fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a request path resolves to.
#[derive(Debug)]
pub(crate) enum Resolution<'a> {
    Route(&'a CompiledRoute, HashMap<String, String>),
    NotFound,
}

/// More literal segments first, then fewer parameters: `/users/me` beats `/users/{id}`.
fn specificity(r: &CompiledRoute) -> (usize, usize) {
    let literals = r
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Literal(_)))
        .count();
    let greedy = r
        .segments
        .iter()
        .filter(|s| matches!(s, Segment::Greedy(_)))
        .count();
    (literals, usize::MAX - greedy)
}

/// As an HTTP API does: the most specific route with this method (or `ANY`) wins; a
/// request that matches no route, whatever its path, goes to the `$default` route, or is
/// API Gateway's own 404 when there is none. There is no 405: the `$default` function
/// answers it.
pub(crate) fn resolve<'a>(routes: &'a [CompiledRoute], method: &str, path: &str) -> Resolution<'a> {
    let mut candidates: Vec<(&CompiledRoute, HashMap<String, String>)> = routes
        .iter()
        .filter(|r| r.path != "$default")
        .filter(|r| r.method == method || r.method == "ANY")
        .filter_map(|r| match_path(&r.segments, path).map(|p| (r, p)))
        .collect();
    candidates.sort_by_key(|(r, _)| std::cmp::Reverse(specificity(r)));
    match candidates.into_iter().next() {
        Some((r, p)) => Resolution::Route(r, p),
        None => match routes.iter().find(|r| r.path == "$default") {
            Some(d) => Resolution::Route(d, HashMap::new()),
            None => Resolution::NotFound,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<CompiledRoute> {
        [
            ("GET", "/api/users/{id}"),
            ("DELETE", "/api/users/{id}"),
            ("GET", "/api/users/me"),
            ("PATCH", "/api/users/me"),
            ("GET", "/files/{proxy+}"),
        ]
        .iter()
        .map(|(m, p)| CompiledRoute {
            method: m.to_string(),
            path: p.to_string(),
            segments: compile(p),
            binary: format!("{m} {p}"),
            authorized: false,
        })
        .collect()
    }

    #[test]
    fn exact_paths_beat_parameters() {
        let r = routes();
        match resolve(&r, "GET", "/api/users/me") {
            Resolution::Route(route, params) => {
                assert_eq!(route.path, "/api/users/me");
                assert!(params.is_empty());
            }
            other => panic!("{other:?}"),
        }
        match resolve(&r, "GET", "/api/users/42") {
            Resolution::Route(route, params) => {
                assert_eq!(route.path, "/api/users/{id}");
                assert_eq!(params["id"], "42");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn other_methods_and_unknown_paths_go_to_default_or_are_not_found() {
        let mut r = routes();
        assert!(matches!(
            resolve(&r, "POST", "/api/users/me"),
            Resolution::NotFound
        ));
        match resolve(&r, "DELETE", "/api/users/me") {
            Resolution::Route(route, _) => assert_eq!(route.path, "/api/users/{id}"),
            other => panic!("{other:?}"),
        }
        r.push(CompiledRoute {
            method: "ANY".into(),
            path: "$default".into(),
            segments: vec![],
            binary: "default".into(),
            authorized: false,
        });
        match resolve(&r, "POST", "/api/users/me") {
            Resolution::Route(route, _) => assert_eq!(route.binary, "default"),
            other => panic!("{other:?}"),
        }
        match resolve(&r, "GET", "/api/nothing") {
            Resolution::Route(route, _) => assert_eq!(route.binary, "default"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn greedy_paths_take_the_rest() {
        let r = routes();
        match resolve(&r, "GET", "/files/a/b/c") {
            Resolution::Route(_, p) => assert_eq!(p["proxy"], "a/b/c"),
            other => panic!("{other:?}"),
        }
    }
}
