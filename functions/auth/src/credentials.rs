//! Verifying a password against a stored hash, on the blocking pool, in the same time
//! whatever the outcome says about the account (API.md's dummy-hash rule).
//!
//! An unknown email is verified against `DUMMY_HASH` (argon2id, the real parameters), so it
//! costs what a wrong password on an argon2id account costs. A legacy bcrypt hash
//! (LEGACY.md) costs what its cost factor says: at the monolith's usual costs far less
//! than argon2id. A wrong password against one is therefore held back until an argon2id
//! verification's time has passed, so it answers like a wrong password against argon2id.
//! The reference is the last argon2id verification this process made; before the first,
//! the dummy hash is verified to get one. Only a bcrypt hash slower than argon2id (cost
//! 12 and above on Lambda's CPU share) still answers later; it disappears at the
//! account's first successful login, which replaces the hash.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use gymit_shared::ApiError;

use crate::{
    blocking,
    domain::{verify_stored, HashKind, Verified, DUMMY_HASH},
};

/// How long the last argon2id verification of this process took, in nanoseconds (0: none
/// yet).
static ARGON2_VERIFICATION_NANOS: AtomicU64 = AtomicU64::new(0);

/// Verifies `password` against `hash` (`None`: the email has no account, so the dummy hash).
pub async fn verify(password: String, hash: Option<String>) -> Result<Verified, ApiError> {
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_string());
    let kind = HashKind::of(&hash);
    let (verified, took) = blocking(move || timed(&password, &hash)).await?;
    match kind {
        HashKind::Argon2id => {
            ARGON2_VERIFICATION_NANOS.store(nanos(took), Ordering::Relaxed);
        }
        HashKind::Bcrypt if verified == Verified::Mismatch => {
            match ARGON2_VERIFICATION_NANOS.load(Ordering::Relaxed) {
                0 => {
                    // No reference yet: verifying the dummy hash is itself the wait.
                    let (_, dummy) = blocking(|| timed("no password", DUMMY_HASH)).await?;
                    ARGON2_VERIFICATION_NANOS.store(nanos(dummy), Ordering::Relaxed);
                }
                reference => {
                    if let Some(rest) = Duration::from_nanos(reference).checked_sub(took) {
                        tokio::time::sleep(rest).await;
                    }
                }
            }
        }
        HashKind::Bcrypt => {}
    }
    Ok(verified)
}

fn timed(password: &str, hash: &str) -> (Verified, Duration) {
    let started = Instant::now();
    let verified = verify_stored(password, hash);
    (verified, started.elapsed())
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
