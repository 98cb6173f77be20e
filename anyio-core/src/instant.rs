//! Deadlines as nanoseconds since a process-wide epoch, so that a node's deadline fits in an
//! atomic.
//!
//! The instants are those of the runtime's clock (`Runtime::now`), which may run ahead of the
//! system's (a paused or virtual clock) but never behind the moment the process started. The
//! epoch is set well before the first instant converted, so that instants read before it was
//! set, or a paused clock that stands still while real time passes, still compare correctly.
//! Deadlines too far away to represent (more than ~580 years) mean "never", which is also how
//! `Instant + Duration::MAX`-style overflows are treated.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// No deadline.
pub(crate) const NEVER: u64 = u64::MAX;

/// How far before the first conversion the epoch lies, at most: instants that much older than
/// that are in the past for every clock, so clamping them to the epoch changes no comparison.
const MARGIN: Duration = Duration::from_secs(365 * 24 * 3600);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(|| {
        // The largest margin this platform's `Instant` can go back by.
        let first = Instant::now();
        let mut margin = MARGIN;
        loop {
            if let Some(epoch) = first.checked_sub(margin) {
                return epoch;
            }
            margin /= 2;
            if margin < Duration::from_millis(1) {
                return first;
            }
        }
    })
}

/// Instants before the epoch are far in the past, so they clamp to the epoch itself.
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

/// An instant before every instant any clock of this process reads: the deadline a cancelled
/// scope reports.
pub(crate) fn past() -> Instant {
    epoch()
}

/// `now + delay`, or `None` ("never") when that cannot be represented.
pub(crate) fn after(now: Instant, delay: Duration) -> Option<Instant> {
    let at = now.checked_add(delay)?;
    (to_nanos(at) != NEVER).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_delays_mean_never() {
        assert_eq!(after(Instant::now(), Duration::MAX), None);
        assert!(after(Instant::now(), Duration::from_secs(1)).is_some());
    }

    #[test]
    fn instants_round_trip_and_keep_their_order() {
        let now = Instant::now();
        let later = now + Duration::from_millis(3);
        assert!(to_nanos(now) < to_nanos(later));
        let back = from_nanos(to_nanos(later)).unwrap();
        assert!(back.max(later) - back.min(later) < Duration::from_micros(1));
        assert_eq!(from_nanos(NEVER), None);
    }

    #[test]
    fn instants_older_than_the_first_conversion_still_compare() {
        let now = Instant::now();
        let _ = to_nanos(now);
        // A clock that stands still (a paused one) while real time passes reads older
        // instants than the epoch's first conversion: they must not collapse together.
        if let Some(earlier) = now.checked_sub(Duration::from_millis(5)) {
            assert!(to_nanos(earlier) < to_nanos(now));
        }
        assert!(past() <= now);
    }
}
