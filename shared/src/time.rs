//! Timestamps are RFC 3339 UTC strings with second precision, as API.md shows them.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn now_rfc3339() -> String {
    rfc3339(now())
}

pub fn epoch_seconds() -> i64 {
    now().timestamp()
}

/// How long ago an RFC 3339 instant was; `None` if it does not parse or lies ahead.
pub fn since(rfc3339: &str) -> Option<std::time::Duration> {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    now().signed_duration_since(at).to_std().ok()
}
