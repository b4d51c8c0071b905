//! A circuit breaker around each call to another service (`auth-register` → `users-create`,
//! `$connect` → `auth-authorizer`), one per warm instance: when the other service keeps
//! failing, callers are answered at once with 503 `dependency_unavailable` and `Retry-After`
//! instead of each waiting for its own retries to run out.
//!
//! Closed: calls go through; `failures` failures within `window` open it. Open: for
//! `open_for` every call is refused without calling. Then half-open: the next call is let
//! through as the one probe (others meanwhile are refused for a second); its success closes
//! the breaker, its failure opens it again. Each change of state is the metric
//! `circuit_breaker_state` [dependency] (0 closed, 1 open, 2 half-open), each refusal
//! `circuit_breaker_rejections_total`.
//!
//! A caller takes a `Permit` before it starts (so a refusal costs nothing: no hashing, no
//! write), and says how the call went. A permit dropped unreported (the caller gave up for a
//! reason of its own, e.g. an email already taken) counts as neither; a probe's is released
//! for the next caller.
//!
//! Not a retry (that is `retry`, inside the permit), and not shared between instances: each
//! instance learns on its own, in at most `failures` calls.

use std::{
    collections::VecDeque,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};

use crate::{metrics, ApiError};

/// When a breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub failures: usize,
    pub window: Duration,
    pub open_for: Duration,
}

impl Settings {
    /// The design's: 5 failures in 30 s open it for 10 s.
    pub const STANDARD: Settings = Settings {
        failures: 5,
        window: Duration::from_secs(30),
        open_for: Duration::from_secs(10),
    };
}

#[derive(Debug)]
enum Phase {
    Closed { failures: VecDeque<Instant> },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

impl Phase {
    fn gauge(&self) -> f64 {
        match self {
            Phase::Closed { .. } => 0.0,
            Phase::Open { .. } => 1.0,
            Phase::HalfOpen { .. } => 2.0,
        }
    }
}

/// The state a breaker is in, for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

pub struct Breaker {
    dependency: &'static str,
    settings: Settings,
    phase: Mutex<Phase>,
}

/// The breaker refused a call: the dependency is failing; try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open {
    pub dependency: &'static str,
    pub retry_after: Duration,
}

impl From<Open> for ApiError {
    fn from(open: Open) -> ApiError {
        let mut err = ApiError::dependency_unavailable(format!(
            "{} is failing: nothing was tried, try again later",
            open.dependency
        ));
        err.retry_after = Some(open.retry_after.as_secs_f64().ceil().max(1.0) as u64);
        err
    }
}

/// Leave to make one call. Report it with `succeeded` or `failed`.
pub struct Permit<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Breaker {
    pub fn new(dependency: &'static str, settings: Settings) -> Breaker {
        Breaker {
            dependency,
            settings,
            phase: Mutex::new(Phase::Closed {
                failures: VecDeque::new(),
            }),
        }
    }

    pub fn dependency(&self) -> &'static str {
        self.dependency
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enter(&self, phase: &mut Phase, next: Phase) {
        let changed = std::mem::discriminant(phase) != std::mem::discriminant(&next);
        *phase = next;
        if changed {
            tracing::warn!(dependency = self.dependency, state = ?self.state_of(phase), "circuit breaker");
            metrics::gauge(
                "circuit_breaker_state",
                phase.gauge(),
                &[("dependency", self.dependency)],
            );
        }
    }

    fn state_of(&self, phase: &Phase) -> State {
        match phase {
            Phase::Closed { .. } => State::Closed,
            Phase::Open { .. } => State::Open,
            Phase::HalfOpen { .. } => State::HalfOpen,
        }
    }

    pub fn state(&self) -> State {
        self.state_of(&self.lock())
    }

    /// Leave to call, or `Open` at once (without calling) while the dependency is failing.
    pub fn admit(&self) -> Result<Permit<'_>, Open> {
        self.admit_at(Instant::now())
    }

    fn admit_at(&self, now: Instant) -> Result<Permit<'_>, Open> {
        let mut phase = self.lock();
        let refusal = match *phase {
            Phase::Closed { .. } => None,
            Phase::Open { until } if now < until => Some(until - now),
            Phase::Open { .. } => {
                self.enter(&mut phase, Phase::HalfOpen { probing: true });
                return Ok(self.permit(true));
            }
            Phase::HalfOpen { probing: true } => Some(Duration::from_secs(1)),
            Phase::HalfOpen { probing: false } => {
                *phase = Phase::HalfOpen { probing: true };
                return Ok(self.permit(true));
            }
        };
        drop(phase);
        match refusal {
            None => Ok(self.permit(false)),
            Some(retry_after) => {
                metrics::count(
                    "circuit_breaker_rejections_total",
                    1.0,
                    &[("dependency", self.dependency)],
                );
                Err(Open {
                    dependency: self.dependency,
                    retry_after,
                })
            }
        }
    }

    fn permit(&self, probe: bool) -> Permit<'_> {
        Permit {
            breaker: self,
            probe,
            reported: false,
        }
    }

    fn record(&self, probe: bool, succeeded: bool, now: Instant) {
        let open = Phase::Open {
            until: now + self.settings.open_for,
        };
        let mut phase = self.lock();
        let next = match &mut *phase {
            Phase::Closed { failures } if succeeded => {
                failures.clear();
                None
            }
            Phase::Closed { failures } => {
                failures.push_back(now);
                while failures
                    .front()
                    .is_some_and(|&t| now.duration_since(t) > self.settings.window)
                {
                    failures.pop_front();
                }
                (failures.len() >= self.settings.failures).then_some(open)
            }
            Phase::HalfOpen { .. } if probe && succeeded => Some(Phase::Closed {
                failures: VecDeque::new(),
            }),
            Phase::HalfOpen { .. } if probe => Some(open),
            // A call let through before the breaker opened, answering late: the breaker
            // already knows.
            _ => None,
        };
        if let Some(next) = next {
            self.enter(&mut phase, next);
        }
    }
}

impl Permit<'_> {
    pub fn succeeded(self) {
        self.report(true, Instant::now());
    }

    pub fn failed(self) {
        self.report(false, Instant::now());
    }

    fn report(mut self, succeeded: bool, at: Instant) {
        self.reported = true;
        self.breaker.record(self.probe, succeeded, at);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.probe && !self.reported {
            if let Phase::HalfOpen { probing } = &mut *self.breaker.lock() {
                *probing = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A breaker and a clock the test moves by hand.
    struct Clock {
        b: Breaker,
        now: Instant,
    }

    impl Clock {
        fn new() -> Clock {
            Clock {
                b: Breaker::new("users-create", Settings::STANDARD),
                now: Instant::now(),
            }
        }

        fn advance(&mut self, by: Duration) {
            self.now += by;
        }

        fn admit(&self) -> Result<Permit<'_>, Open> {
            self.b.admit_at(self.now)
        }

        fn fail(&self, n: usize) {
            for _ in 0..n {
                self.admit().expect("closed").report(false, self.now);
            }
        }

        fn succeed(&self) {
            self.admit().expect("admitted").report(true, self.now);
        }
    }

    #[test]
    fn five_failures_in_thirty_seconds_open_it_for_ten() {
        let mut c = Clock::new();
        c.fail(4);
        assert_eq!(c.b.state(), State::Closed);
        c.fail(1);
        assert_eq!(c.b.state(), State::Open);
        let open = c.admit().err().expect("refused while open");
        assert_eq!(open.retry_after, Duration::from_secs(10));
        let err = ApiError::from(open);
        assert_eq!((err.status, err.code), (503, "dependency_unavailable"));
        assert_eq!(err.retry_after, Some(10));
        c.advance(Duration::from_millis(9_500));
        assert_eq!(
            c.admit().err().map(|o| o.retry_after),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            ApiError::from(c.admit().err().unwrap()).retry_after,
            Some(1)
        );
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_open_it() {
        let mut c = Clock::new();
        for _ in 0..10 {
            c.fail(1);
            c.advance(Duration::from_secs(8));
        }
        assert_eq!(c.b.state(), State::Closed);
        // And a success forgets the failures so far.
        c.advance(Duration::from_secs(31));
        c.fail(4);
        c.succeed();
        c.fail(4);
        assert_eq!(c.b.state(), State::Closed);
    }

    #[test]
    fn after_ten_seconds_one_probe_goes_through_and_its_success_closes_it() {
        let mut c = Clock::new();
        c.fail(5);
        c.advance(Duration::from_secs(10));
        let probe = c.admit().expect("the probe");
        assert_eq!(c.b.state(), State::HalfOpen);
        assert!(c.admit().is_err(), "only one probe at a time");
        probe.report(true, c.now);
        assert_eq!(c.b.state(), State::Closed);
        assert!(c.admit().is_ok());
    }

    #[test]
    fn a_failed_probe_opens_it_again_and_an_abandoned_one_frees_the_next() {
        let mut c = Clock::new();
        c.fail(5);
        c.advance(Duration::from_secs(10));
        c.admit().expect("the probe").report(false, c.now);
        assert_eq!(c.b.state(), State::Open);
        assert_eq!(
            c.admit().err().map(|o| o.retry_after),
            Some(Duration::from_secs(10))
        );
        c.advance(Duration::from_secs(10));
        drop(c.admit().expect("a probe, abandoned"));
        c.succeed();
        assert_eq!(c.b.state(), State::Closed);
    }

    #[test]
    fn an_unreported_permit_counts_as_nothing() {
        let c = Clock::new();
        for _ in 0..10 {
            drop(c.admit().expect("closed"));
        }
        assert_eq!(c.b.state(), State::Closed);
    }

    #[test]
    fn a_refusal_is_immediate() {
        let c = Clock::new();
        c.fail(5);
        let started = std::time::Instant::now();
        for _ in 0..1_000 {
            assert!(c.admit().is_err());
        }
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "{:?}",
            started.elapsed()
        );
    }
}
