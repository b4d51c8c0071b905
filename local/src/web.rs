//! The web app (`web/dist`, built by `make web`) at `/`, on the gateway's port, as
//! CloudFront serves it from S3 on AWS: every GET or HEAD outside the API's own prefixes
//! (`/api`, `/ws`, `/_local`, `/@connections`) is a file of the build, and a path that
//! names no file and has no extension is `index.html` (the app routes in the browser).
//! Hashed assets (`/assets/…`) are cached for a year; everything else is revalidated.
//! Paths never leave the build directory: `..`, `.`, backslashes and NUL are refused,
//! and the resolved file must sit under the canonical build directory (no symlink escape).
//! Every answer carries the security headers CloudFront's response headers policy adds on
//! AWS (template.yaml `WebSecurityHeadersPolicy`, issue 27): a strict Content-Security-Policy
//! (the build has no inline code) that no page may frame, `X-Frame-Options: DENY`,
//! `nosniff` and no referrer.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::UNIX_EPOCH,
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::{from_fn_with_state, FromFnLayer, Next},
    response::Response,
};
use futures::future::BoxFuture;

/// Prefixes that belong to the API Gateway emulation, never to the app.
const API_PREFIXES: [&str; 4] = ["/api", "/ws", "/_local", "/@connections"];

/// The build to serve: `GYMIT_WEB_DIST`, else `<workspace>/web/dist`.
pub fn dist_dir() -> PathBuf {
    std::env::var_os("GYMIT_WEB_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("web").join("dist"))
}

/// The app's Content-Security-Policy (issue 27), the same as CloudFront's on AWS: only the
/// app's own scripts, styles, images (and `data:` ones, the favicon) and connections (the
/// API and the WebSocket are same-origin), no plugins, no `<base>`, and no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// The security headers of every answer of the app's (CloudFront's response headers policy
/// on AWS).
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

type Middleware = fn(State<Arc<PathBuf>>, Request, Next) -> BoxFuture<'static, Response>;

/// The layer that puts the app in front of the gateway's router (`Router::layer`, after
/// the routes and the fallback): GET and HEAD outside the API's prefixes are answered
/// here from [`dist_dir`], every other request goes on to the router unchanged.
pub fn layer() -> FromFnLayer<Middleware, Arc<PathBuf>, (State<Arc<PathBuf>>, Request)> {
    from_fn_with_state(Arc::new(dist_dir()), middleware as Middleware)
}

fn middleware(
    State(dist): State<Arc<PathBuf>>,
    req: Request,
    next: Next,
) -> BoxFuture<'static, Response> {
    Box::pin(async move {
        if !is_web(req.method(), req.uri().path()) {
            return next.run(req).await;
        }
        let head = req.method() == Method::HEAD;
        let path = req.uri().path().to_string();
        let headers = req.headers().clone();
        let dist = dist.as_ref().clone();
        tokio::task::spawn_blocking(move || respond(&dist, &path, head, &headers))
            .await
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "web: read failed"))
    })
}

/// Whether a request is the app's: GET or HEAD, outside the API's prefixes.
pub fn is_web(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && !API_PREFIXES.iter().any(|p| {
            path == *p
                || path
                    .strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('/') || rest.starts_with('?'))
        })
}

fn plain(status: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(text.to_string()))
        .unwrap_or_default()
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// The path's segments if every one is a plain name (no `..`, `.`, `\`, NUL, or empty
/// segment in the middle); `None` otherwise.
fn segments(path: &str) -> Option<Vec<&str>> {
    let trimmed = path.strip_prefix('/')?;
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    parts
        .iter()
        .all(|s| !s.is_empty() && *s != "." && *s != ".." && !s.contains(['\\', '\0']))
        .then_some(parts)
}

/// Answers one GET/HEAD for `path` from the build directory `dist`, with the security
/// headers.
pub fn respond(dist: &Path, path: &str, head: bool, headers: &HeaderMap) -> Response {
    let mut response = respond_file(dist, path, head, headers);
    for (name, value) in SECURITY_HEADERS {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_static(value));
    }
    response
}

fn respond_file(dist: &Path, path: &str, head: bool, headers: &HeaderMap) -> Response {
    let Ok(root) = dist.canonicalize() else {
        return plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "The web app is not built: run `make web` (npm ci + vite build in web/).",
        );
    };
    let Some(parts) = segments(path) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let candidate = parts.iter().fold(root.clone(), |p, s| p.join(s));
    let file = match candidate.canonicalize() {
        Ok(f) if f.is_file() && f.starts_with(&root) => f,
        Ok(f) if f.is_dir() && f.starts_with(&root) && f.join("index.html").is_file() => {
            f.join("index.html")
        }
        _ => {
            // A missing asset is a 404 (a stale chunk must not come back as HTML); any
            // other path is a route of the app.
            let last = parts.last().copied().unwrap_or_default();
            if parts.first() == Some(&"assets") || last.contains('.') {
                return plain(StatusCode::NOT_FOUND, "not found");
            }
            root.join("index.html")
        }
    };
    let Ok(meta) = std::fs::metadata(&file) else {
        return plain(StatusCode::NOT_FOUND, "not found");
    };
    let modified = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let etag = format!("W/\"{:x}-{:x}\"", meta.len(), modified);
    let immutable = file.starts_with(root.join("assets"));
    let cache = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type(&file))
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, &etag);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_default();
    }
    if head {
        return builder
            .header(header::CONTENT_LENGTH, HeaderValue::from(meta.len()))
            .body(Body::empty())
            .unwrap_or_default();
    }
    match std::fs::read(&file) {
        Ok(bytes) => builder.body(Body::from(bytes)).unwrap_or_default(),
        Err(_) => plain(StatusCode::NOT_FOUND, "not found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    fn build() -> PathBuf {
        let base = std::env::temp_dir().join(format!("gymit-web-{}", uuid::Uuid::now_v7()));
        let dist = base.join("dist");
        std::fs::create_dir_all(dist.join("assets")).expect("temp dir");
        std::fs::write(dist.join("index.html"), "<!doctype html><title>app</title>")
            .expect("write");
        std::fs::write(dist.join("assets/index-abc.js"), "console.log(1)").expect("write");
        std::fs::write(dist.join("robots.txt"), "User-agent: *").expect("write");
        std::fs::write(base.join("secret.txt"), "secret").expect("write");
        dist
    }

    async fn get(dist: &Path, path: &str) -> (StatusCode, HeaderMap, String) {
        let res = respond(dist, path, false, &HeaderMap::new());
        let status = res.status();
        let headers = res.headers().clone();
        let body = to_bytes(res.into_body(), 1 << 20).await.expect("body");
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn serves_files_with_their_type_and_cache_policy() {
        let dist = build();
        let (s, h, body) = get(&dist, "/assets/index-abc.js").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(h[header::CACHE_CONTROL]
            .to_str()
            .unwrap_or_default()
            .contains("immutable"));
        assert_eq!(body, "console.log(1)");
        let (s, h, body) = get(&dist, "/").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(h[header::CACHE_CONTROL], "no-cache");
        assert!(body.contains("<title>app</title>"));
    }

    #[tokio::test]
    async fn every_answer_carries_a_strict_csp_and_cannot_be_framed() {
        let dist = build();
        for path in [
            "/",
            "/tournaments/1",
            "/assets/index-abc.js",
            "/assets/gone.js",
        ] {
            let (_, h, _) = get(&dist, path).await;
            assert_eq!(
                h["content-security-policy"],
                "default-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
                "{path}"
            );
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        }
        let missing = dist.join("nope");
        let res = respond(&missing, "/", false, &HeaderMap::new());
        assert!(res.headers().contains_key("content-security-policy"));
    }

    #[tokio::test]
    async fn app_routes_get_index_html_but_missing_assets_are_404() {
        let dist = build();
        let (s, _, body) = get(&dist, "/tournaments/0193-abc").await;
        assert_eq!(s, StatusCode::OK);
        assert!(body.contains("<title>app</title>"));
        assert_eq!(
            get(&dist, "/assets/gone-123.js").await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(get(&dist, "/favicon.png").await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn never_leaves_the_build_directory() {
        let dist = build();
        for path in [
            "/../secret.txt",
            "/assets/../../secret.txt",
            "/a\\..\\secret.txt",
            "/./index.html",
        ] {
            let (s, _, body) = get(&dist, path).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
            assert!(!body.contains("secret"), "{path}");
        }
        // A symlink out of the build is not followed.
        #[cfg(unix)]
        {
            let link = dist.join("leak.txt");
            std::os::unix::fs::symlink(dist.join("../secret.txt"), &link).expect("symlink");
            let (s, _, body) = get(&dist, "/leak.txt").await;
            assert_eq!(s, StatusCode::NOT_FOUND);
            assert!(!body.contains("secret"));
        }
    }

    #[tokio::test]
    async fn head_etag_and_a_missing_build() {
        let dist = build();
        let res = respond(&dist, "/robots.txt", true, &HeaderMap::new());
        assert_eq!(res.headers()[header::CONTENT_LENGTH], "13");
        let etag = res.headers()[header::ETAG].clone();
        let body = to_bytes(res.into_body(), 1024).await.expect("body");
        assert!(body.is_empty());
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, etag);
        assert_eq!(
            respond(&dist, "/robots.txt", false, &h).status(),
            StatusCode::NOT_MODIFIED
        );
        let missing = dist.join("nope");
        assert_eq!(
            respond(&missing, "/", false, &HeaderMap::new()).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn the_api_prefixes_are_not_the_apps() {
        for p in [
            "/api/tournaments",
            "/api",
            "/ws",
            "/ws/@connections/x",
            "/_local/sns/f",
            "/@connections/abc",
        ] {
            assert!(!is_web(&Method::GET, p), "{p}");
        }
        for p in ["/", "/tournaments/1", "/assets/a.js", "/apiary", "/wsx"] {
            assert!(is_web(&Method::GET, p), "{p}");
            assert!(is_web(&Method::HEAD, p), "{p}");
            assert!(!is_web(&Method::POST, p), "{p}");
        }
    }
}
