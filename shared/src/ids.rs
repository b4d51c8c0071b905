//! Every id GymIT mints (users, tournaments, participants, token ids) is a UUID v7, whose
//! first 48 bits are its creation time in milliseconds. That time is what lets a service
//! tell an id it has not heard of yet (its creation event is still on its way, DESIGN.md:
//! projections) from one that does not exist.

use std::time::Duration;

/// When `id` was minted (ms since the epoch), if it is a UUID v7.
pub fn minted_at_ms(id: &str) -> Option<i64> {
    let uuid = uuid::Uuid::parse_str(id).ok()?;
    if uuid.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = uuid.get_timestamp()?.to_unix();
    Some(secs as i64 * 1000 + i64::from(nanos / 1_000_000))
}

/// How long `id` stays younger than `window`: `None` unless it is a UUID v7 minted less
/// than `window` ago (and not in the future beyond a second of clock skew).
pub fn young_for(id: &str, window: Duration) -> Option<Duration> {
    let age = crate::time::now().timestamp_millis() - minted_at_ms(id)?;
    let window = window.as_millis() as i64;
    (-1000..window)
        .contains(&age)
        .then(|| Duration::from_millis((window - age) as u64))
}

/// Whether `id` is a UUID v7 minted less than `window` ago (`young_for`).
pub fn minted_within(id: &str, window: Duration) -> bool {
    young_for(id, window).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_v7_id_is_recent_and_others_are_not() {
        let fresh = uuid::Uuid::now_v7().to_string();
        assert!(minted_within(&fresh, Duration::from_secs(5)));
        assert!(!minted_within(&fresh, Duration::ZERO));
        let left = young_for(&fresh, Duration::from_secs(5)).expect("young");
        assert!(
            left > Duration::from_secs(4) && left <= Duration::from_secs(6),
            "{left:?}"
        );
        let v4 = "5b7a3f0e-8c1d-4e2f-9a6b-1c2d3e4f5a6b";
        assert_eq!(minted_at_ms(v4), None);
        assert!(!minted_within(v4, Duration::from_secs(5)));
        assert!(!minted_within("no-such-user", Duration::from_secs(5)));
        // 2024-01-01T00:00:00Z as a v7 id: old.
        let old = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            1_704_067_200,
            0,
        ));
        assert_eq!(minted_at_ms(&old.to_string()), Some(1_704_067_200_000));
        assert!(!minted_within(&old.to_string(), Duration::from_secs(5)));
    }
}
