//! Deadlines as nanoseconds since a process-wide epoch, so they fit in an atomic.
//!
//! Deadlines too far away to represent (more than ~580 years) mean "never", which is also how
//! `Instant + Duration::MAX`-style overflows are treated.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// No deadline.
pub(crate) const NEVER: u64 = u64::MAX;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Instants before the epoch are in the past anyway, so they clamp to the epoch itself.
pub(crate) fn to_nanos(at: Instant) -> u64 {
    let nanos = at.saturating_duration_since(epoch()).as_nanos();
    u64::try_from(nanos).unwrap_or(NEVER)
}

pub(crate) fn from_nanos(nanos: u64) -> Option<Instant> {
    if nanos == NEVER {
        return None;
    }
    epoch().checked_add(Duration::from_nanos(nanos))
}

/// `now + delay`, or `None` ("never") when that cannot be represented.
pub(crate) fn after(now: Instant, delay: Duration) -> Option<Instant> {
    let at = now.checked_add(delay)?;
    (to_nanos(at) != NEVER).then_some(at)
}
