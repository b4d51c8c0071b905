//! Explicit retries (an optimistic write that lost a race, a cross-service invoke, a post to
//! a socket): one `Policy` type saying how often and for how long, and `retry`, the one loop
//! that follows it. Waits are exponential with full jitter, so retrying instances spread out
//! instead of colliding again.
//!
//! Not for what the SDK already retries (throttling, timeouts of one DynamoDB call: see
//! `aws`), and not for `UnprocessedItems` by hand: `batch` resends those with a `Policy`.

use std::{future::Future, time::Duration};

use rand::Rng;
use tokio::time::Instant;

/// How often and for how long to try. The wait before retry `n` (1 for the first retry) is
/// random in `1 ms ..= min(base × 2ⁿ, cap)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// No retry starts once this much time has passed since the first attempt began.
    pub deadline: Option<Duration>,
    pub base: Duration,
    /// The longest wait (by default `base × 64`).
    pub cap: Duration,
}

impl Policy {
    /// At most `max_attempts` attempts.
    pub const fn attempts(max_attempts: u32, base: Duration) -> Self {
        Self {
            max_attempts,
            deadline: None,
            base,
            cap: base.saturating_mul(64),
        }
    }

    /// As many attempts as fit before `deadline`.
    pub const fn until(deadline: Duration, base: Duration) -> Self {
        Self {
            deadline: Some(deadline),
            ..Self::attempts(u32::MAX, base)
        }
    }

    pub const fn with_deadline(self, deadline: Duration) -> Self {
        Self {
            deadline: Some(deadline),
            ..self
        }
    }

    pub const fn with_cap(self, cap: Duration) -> Self {
        Self { cap, ..self }
    }

    /// A random wait before retry `n` (1 for the first retry).
    pub fn delay(&self, n: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1 << n.min(31)).min(self.cap);
        full_jitter(ceiling)
    }
}

fn full_jitter(ceiling: Duration) -> Duration {
    let ceiling_ms = u64::try_from(ceiling.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_millis(rand::rng().random_range(1..=ceiling_ms))
}

/// How one attempt ended when it did not fail for good (an attempt's `Err` does: it is
/// returned at once, so `?` inside an attempt means "no point retrying").
#[derive(Debug, PartialEq, Eq)]
pub enum Attempt<T, E> {
    Done(T),
    /// Worth another try; returned as the error if the policy allows none.
    Retry(E),
}

/// Which attempt is running: its number (0 for the first) and, under a deadline, the time
/// left to it, so an attempt that can be cut short (a timeout) need not outlive the policy.
#[derive(Debug, Clone, Copy)]
pub struct Turn {
    pub number: u32,
    pub time_left: Option<Duration>,
}

/// Runs `attempt` until it is done, fails for good, or `policy` allows no further try: then
/// the last `Attempt::Retry` error is returned. Never sleeps past the policy's deadline.
pub async fn retry<T, E, F, Fut>(policy: &Policy, mut attempt: F) -> Result<T, E>
where
    F: FnMut(Turn) -> Fut,
    Fut: Future<Output = Result<Attempt<T, E>, E>>,
{
    let deadline = policy.deadline.map(|d| Instant::now() + d);
    let mut number = 0;
    loop {
        let time_left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let error = match attempt(Turn { number, time_left }).await? {
            Attempt::Done(value) => return Ok(value),
            Attempt::Retry(error) => error,
        };
        number += 1;
        if number >= policy.max_attempts {
            return Err(error);
        }
        let wait = policy.delay(number);
        if deadline.is_some_and(|d| Instant::now() + wait >= d) {
            return Err(error);
        }
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    const QUICK: Policy = Policy::attempts(4, Duration::from_millis(1));

    #[derive(Debug, PartialEq)]
    enum Failure {
        Busy(u32),
        Refused,
    }

    #[tokio::test]
    async fn a_retryable_error_is_retried_up_to_the_limit_then_returned() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Failure> = retry(&QUICK, |turn| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(Attempt::Retry(Failure::Busy(turn.number))) }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(result, Err(Failure::Busy(3)), "the last attempt's error");
    }

    #[tokio::test]
    async fn an_error_that_is_not_retryable_returns_at_once() {
        let calls = AtomicU32::new(0);
        let result: Result<(), Failure> = retry(&QUICK, |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(Failure::Refused) }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(result, Err(Failure::Refused));
    }

    #[tokio::test]
    async fn success_stops_the_retries() {
        let calls = AtomicU32::new(0);
        let result = retry(&QUICK, |turn| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move {
                Ok(match turn.number {
                    0 => Attempt::Retry(Failure::Busy(0)),
                    n => Attempt::Done(n),
                })
            }
        })
        .await;
        assert_eq!(result, Ok(1));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_deadline_stops_the_retries_before_the_attempt_limit() {
        let policy = Policy::until(Duration::from_millis(60), Duration::from_millis(10));
        let started = Instant::now();
        let calls = AtomicU32::new(0);
        let result: Result<(), Failure> = retry(&policy, |turn| {
            calls.fetch_add(1, Ordering::SeqCst);
            let left = turn.time_left.expect("a deadline");
            assert!(left <= Duration::from_millis(60));
            async { Ok(Attempt::Retry(Failure::Busy(0))) }
        })
        .await;
        assert_eq!(result, Err(Failure::Busy(0)));
        // The deadline is checked before each sleep, so no sleep is begun that would end
        // past it; a loaded machine may still wake the last sleep late (seen: a `make test`
        // on 2 busy cores), hence the slack. Without the deadline this policy retries
        // u32::MAX times and the test would not return at all.
        let slack = Duration::from_millis(150);
        assert!(
            started.elapsed() < Duration::from_millis(60) + slack,
            "never waits past it: {:?}",
            started.elapsed()
        );
        assert!(calls.load(Ordering::SeqCst) >= 1);
    }

    #[test]
    fn waits_grow_with_full_jitter_up_to_the_cap() {
        let policy = Policy::attempts(10, Duration::from_millis(10));
        for n in 1..10 {
            let ceiling = Duration::from_millis(10 << n.min(6));
            for _ in 0..50 {
                let wait = policy.delay(n);
                assert!(
                    wait >= Duration::from_millis(1) && wait <= ceiling,
                    "{n}: {wait:?}"
                );
            }
        }
        let capped = policy.with_cap(Duration::from_millis(15));
        assert!((0..50).all(|_| capped.delay(5) <= Duration::from_millis(15)));
    }
}
