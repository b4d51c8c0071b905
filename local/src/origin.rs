//! Which requests come from this machine's own processes: the rule every local-only
//! endpoint applies (`/_local/*` and `@connections` on the gateway, the Lambda endpoint's
//! front, and, in Python, the emulator: `local/emulator.py`). A request from a web page of
//! another site (an `Origin` whose host is not a loopback name, `null` included) or under
//! another host name (`Host`, as in DNS rebinding) is refused, so no page a developer
//! visits can reach them; a page can send a cross-site `text/plain` POST without a
//! preflight, so leaving out CORS headers alone would not stop it.

/// Whether `headers` are those of a cross-site request: a foreign `Host` or `Origin`.
/// `GYMIT_PUBLIC_URL`'s host counts as this machine's (a stack served under a name).
pub fn refuses_cross_site(headers: &axum::http::HeaderMap) -> bool {
    let public_host = std::env::var("GYMIT_PUBLIC_URL")
        .ok()
        .and_then(|u| host_of(&u).map(str::to_string));
    let allowed = |value: &str| {
        host_of(value).is_some_and(|h| {
            matches!(h, "127.0.0.1" | "localhost" | "[::1]") || Some(h) == public_host.as_deref()
        })
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    header("host").is_some_and(|h| !allowed(h)) || header("origin").is_some_and(|o| !allowed(o))
}

/// The host of `http://host:port/…` or `host:port`, without the port.
pub fn host_of(value: &str) -> Option<&str> {
    let rest = value.split_once("://").map_or(value, |(_, r)| r);
    let authority = rest.split('/').next()?;
    if authority.starts_with('[') {
        return authority.split_inclusive(']').next();
    }
    authority.split(':').next().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn loopback_hosts_and_origins_pass_and_every_other_is_refused() {
        for ok in [
            &[][..],
            &[("host", "127.0.0.1:9000")],
            &[
                ("host", "localhost:9000"),
                ("origin", "http://localhost:5173"),
            ],
            &[("host", "[::1]:9000"), ("origin", "http://127.0.0.1:8000")],
        ] {
            assert!(!refuses_cross_site(&headers(ok)), "{ok:?}");
        }
        for refused in [
            &[("origin", "http://evil.example")][..],
            &[("origin", "null")],
            &[("host", "evil.example:9000")],
            &[("host", "127.0.0.1.evil.example")],
            &[
                ("host", "127.0.0.1:9000"),
                ("origin", "https://localhost.evil.example"),
            ],
        ] {
            assert!(refuses_cross_site(&headers(refused)), "{refused:?}");
        }
    }
}
