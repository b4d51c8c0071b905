//! Backoff for explicit retries (transaction conflicts, cross-service invokes): exponential
//! with full jitter, so retrying instances spread out instead of colliding again.

use std::time::Duration;

use rand::Rng;

/// A random delay in `1..=base_ms * 2^attempt` milliseconds (attempt capped at 6).
pub fn jittered(base_ms: u64, attempt: u32) -> Duration {
    let cap = base_ms.max(1) << attempt.min(6);
    Duration::from_millis(rand::rng().random_range(1..=cap))
}
