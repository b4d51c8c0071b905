//! Timestamps are RFC 3339 UTC strings with second precision, as API.md shows them. One
//! reader of a client's timestamp ([`parse`]) holds the contract's bounds, so that every
//! stored one prints as RFC 3339 again.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};

/// The first and last year a client's timestamp may name (API.md, Conventions).
pub const EARLIEST_YEAR: i32 = 2000;
pub const LATEST_YEAR: i32 = 2100;

/// Why a client's timestamp is refused; each is a 422 on its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampRefused {
    /// Not an RFC 3339 date-time (a space may stand for the `T`: RFC 3339, 5.6 note).
    NotRfc3339,
    /// A year, as written, outside `EARLIEST_YEAR..=LATEST_YEAR`.
    OutOfRange,
}

impl TimestampRefused {
    pub fn message(self) -> &'static str {
        match self {
            TimestampRefused::NotRfc3339 => "must be an RFC 3339 date-time",
            TimestampRefused::OutOfRange => "must lie between the years 2000 and 2100",
        }
    }
}

/// A client's timestamp: an RFC 3339 date-time, surrounding white space trimmed, written
/// in a year from 2000 to 2100 (in its own offset, as openapi.yaml's pattern reads it),
/// without a leap second (`:60`).
pub fn parse(raw: &str) -> Result<DateTime<Utc>, TimestampRefused> {
    let text = raw.trim();
    if !has_rfc3339_shape(text) {
        return Err(TimestampRefused::NotRfc3339);
    }
    let at = DateTime::parse_from_rfc3339(text).map_err(|_| TimestampRefused::NotRfc3339)?;
    if at.nanosecond() >= 1_000_000_000 {
        return Err(TimestampRefused::NotRfc3339);
    }
    if !(EARLIEST_YEAR..=LATEST_YEAR).contains(&at.year()) {
        return Err(TimestampRefused::OutOfRange);
    }
    Ok(at.with_timezone(&Utc))
}

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

/// `YYYY-MM-DD(T|t| )hh:mm:ss[.f+](Z|z|±hh:mm)`, exactly as openapi.yaml's `StartDate`
/// pattern says; chrono checks the ranges. (chrono alone would also take an offset
/// without its colon, which the contract does not.)
fn has_rfc3339_shape(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt ")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        let fraction = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if fraction == 0 {
            return false;
        }
        i += 1 + fraction;
    }
    match b.get(i..) {
        Some([b'Z' | b'z']) => true,
        Some([b'+' | b'-', _, _, b':', _, _]) => digits(i + 1..i + 3) && digits(i + 4..i + 6),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_from_2000_to_2100_are_read_in_utc() {
        let at = parse(" 2026-11-24T10:00:00+02:00\n").unwrap();
        assert_eq!(rfc3339(at), "2026-11-24T08:00:00Z");
        assert_eq!(
            rfc3339(parse("2000-01-01 00:00:00Z").unwrap()),
            "2000-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(parse("2100-12-31T23:59:59.999z").unwrap()),
            "2100-12-31T23:59:59Z"
        );
        assert!(parse("2096-02-29T00:00:00Z").is_ok());
    }

    #[test]
    fn a_year_outside_2000_to_2100_is_refused() {
        for raw in [
            "1999-12-31T23:59:59Z",
            "2101-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            // Written in 1999, though 2000 in UTC: the year as written counts.
            "1999-12-31T23:00:00-05:00",
        ] {
            assert_eq!(parse(raw), Err(TimestampRefused::OutOfRange), "{raw}");
        }
    }

    #[test]
    fn what_is_not_an_rfc_3339_date_time_is_refused() {
        for raw in [
            "",
            "2026-11-24",
            "2026-02-30T10:00:00Z",
            "2100-02-29T10:00:00Z",
            "2026-11-24T10:00:00",
            "2026-11-24T10:00:60Z",
            "2026-11-24T10:00:00+0200",
            "2026-11-24T10:00:00.Z",
            "2026-11-24T10:00:00+24:00",
            "2026-11-24T10:60:00Z",
            "tomorrow",
        ] {
            assert_eq!(parse(raw), Err(TimestampRefused::NotRfc3339), "{raw}");
        }
    }
}
