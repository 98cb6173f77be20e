//! A virtual clock: time that moves only when the test moves it.
//!
//! The clock keeps its own "now" and the timers armed against it. A runtime serving a run
//! under the clock (the `anyio` facade's `AnyRuntime::with_clock`) answers `now()` from it
//! and hands out [`VirtualTimer`]s, so every sleep, deadline and timeout of that run follows
//! virtual time.
//!
//! Runtimes are `Copy` values, so they carry a [`ClockId`], not the clock: the registry here
//! maps live ids to their clocks, and an id whose clock is gone resolves to nothing (the
//! runtime then falls back to real time).

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::backend::Timer;
use crate::wait::{register, Acquire};

/// Names one [`VirtualClock`] in a `Copy` value (a runtime): an index in the registry and the
/// generation of that slot, so a recycled slot never answers for a clock that is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockId {
    slot: u32,
    generation: u32,
}

impl ClockId {
    /// The clock this id names, while any handle of it is alive.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// let id = clock.id();
    /// assert_eq!(id.clock().map(|c| c.now()), Some(clock.now()));
    /// drop(clock);
    /// assert!(id.clock().is_none());
    /// ```
    pub fn clock(self) -> Option<VirtualClock> {
        let registry = registry().acquire();
        let (generation, clock) = registry.slots.get(self.slot as usize)?;
        if *generation != self.generation {
            return None;
        }
        clock.upgrade().map(|shared| VirtualClock { shared })
    }
}

/// A clock whose time moves only by [`advance`](Self::advance) (and its variants).
///
/// It starts at the real time of its creation, so its instants compare sensibly with real
/// ones; from then on only the test moves it. Clones are handles to the same clock.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::testing::VirtualClock;
///
/// let clock = VirtualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(3600));
/// assert_eq!(clock.now() - start, Duration::from_secs(3600));
/// ```
#[derive(Clone)]
pub struct VirtualClock {
    shared: Arc<Shared>,
}

struct Shared {
    id: ClockId,
    state: Mutex<State>,
}

struct State {
    now: Instant,
    /// The armed timers, earliest first; the second half of the key tells apart timers of
    /// one deadline.
    timers: BTreeMap<(Instant, u64), Option<Waker>>,
    next_key: u64,
}

impl VirtualClock {
    /// A clock at the current real time, with no timers.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// assert_eq!(clock.next_deadline(), None);
    /// ```
    pub fn new() -> Self {
        let shared = Arc::new_cyclic(|weak| Shared {
            id: registry().acquire().insert(weak.clone()),
            state: Mutex::new(State {
                now: Instant::now(),
                timers: BTreeMap::new(),
                next_key: 0,
            }),
        });
        Self { shared }
    }

    /// The id a runtime carries to find this clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// assert_eq!(clock.id(), clock.clone().id());
    /// assert_ne!(clock.id(), VirtualClock::new().id());
    /// ```
    pub fn id(&self) -> ClockId {
        self.shared.id
    }

    /// The clock's current time.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// assert_eq!(clock.now(), clock.now()); // it does not move by itself
    /// ```
    pub fn now(&self) -> Instant {
        self.shared.state.acquire().now
    }

    /// Moves the clock forward by `by`, waking every timer whose deadline it reaches.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// let before = clock.now();
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.now(), before + Duration::from_millis(1500));
    /// ```
    pub fn advance(&self, by: Duration) {
        let now = self.now();
        self.advance_to(now.checked_add(by).unwrap_or(now));
    }

    /// Moves the clock forward to `when` (not back: an instant already passed changes
    /// nothing), waking every timer whose deadline it reaches.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// let later = clock.now() + Duration::from_secs(10);
    /// clock.advance_to(later);
    /// clock.advance_to(later - Duration::from_secs(5));
    /// assert_eq!(clock.now(), later);
    /// ```
    pub fn advance_to(&self, when: Instant) {
        let wakers = {
            let mut state = self.shared.state.acquire();
            if when > state.now {
                state.now = when;
            }
            let now = state.now;
            let mut due = Vec::new();
            for (_, waker) in state.timers.range_mut(..=(now, u64::MAX)) {
                due.extend(waker.take());
            }
            due
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Moves the clock to the earliest armed timer's deadline and wakes it (and every timer of
    /// that deadline); returns the deadline, or `None` with no timer armed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::VirtualClock;
    ///
    /// assert_eq!(VirtualClock::new().advance_to_next(), None);
    /// ```
    pub fn advance_to_next(&self) -> Option<Instant> {
        let next = self.next_deadline()?;
        self.advance_to(next);
        Some(next)
    }

    /// The earliest deadline of an armed timer that has not fired yet.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::testing::VirtualClock;
    ///
    /// let clock = VirtualClock::new();
    /// let timer = clock.timer(clock.now() + Duration::from_secs(1));
    /// assert_eq!(clock.next_deadline(), Some(clock.now() + Duration::from_secs(1)));
    /// drop(timer);
    /// assert_eq!(clock.next_deadline(), None);
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        let state = self.shared.state.acquire();
        let now = state.now;
        state
            .timers
            .keys()
            .map(|&(deadline, _)| deadline)
            .find(|&deadline| deadline > now)
    }

    /// A timer against this clock that completes once the clock reaches `deadline` (at once
    /// if it already has). It is armed on creation, so [`next_deadline`](Self::next_deadline)
    /// sees it before it is first polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::testing::VirtualClock;
    ///
    /// # anyio::run(async {
    /// let clock = VirtualClock::new();
    /// let timer = clock.timer(clock.now() + Duration::from_secs(60));
    /// clock.advance(Duration::from_secs(60));
    /// timer.await; // ready: the clock reached its deadline
    /// # }).unwrap();
    /// ```
    pub fn timer(&self, deadline: Instant) -> VirtualTimer {
        let mut timer = VirtualTimer {
            shared: self.shared.clone(),
            deadline,
            key: None,
        };
        timer.arm(&mut self.shared.state.acquire(), None);
        timer
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for VirtualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.acquire();
        f.debug_struct("VirtualClock")
            .field("id", &self.shared.id)
            .field("timers", &state.timers.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        registry().acquire().remove(self.id);
    }
}

/// A timer of a [`VirtualClock`]: what a runtime under the clock returns from `timer`.
///
/// Once the clock has reached its deadline it stays ready until it is reset.
///
/// # Cancel safety
///
/// Cancel safe: dropping it disarms it.
#[must_use = "futures do nothing unless polled"]
pub struct VirtualTimer {
    shared: Arc<Shared>,
    deadline: Instant,
    key: Option<(Instant, u64)>,
}

impl VirtualTimer {
    /// Arms the timer at its deadline (unless the clock has reached it), keeping `waker`.
    fn arm(&mut self, state: &mut State, waker: Option<Waker>) {
        if self.deadline <= state.now {
            return;
        }
        let key = (self.deadline, state.next_key);
        state.next_key += 1;
        state.timers.insert(key, waker);
        self.key = Some(key);
    }

    /// Takes the timer out of the clock, returning the waker it kept.
    fn disarm(&mut self, state: &mut State) -> Option<Waker> {
        self.key
            .take()
            .and_then(|key| state.timers.remove(&key))
            .flatten()
    }
}

impl Future for VirtualTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let shared = this.shared.clone();
        let mut state = shared.state.acquire();
        if this.deadline <= state.now {
            this.disarm(&mut state);
            return Poll::Ready(());
        }
        match this.key.and_then(|key| state.timers.get_mut(&key)) {
            Some(waker) => register(waker, cx.waker()),
            // Not armed although its deadline is ahead: the clock never moves back, so only
            // a timer made or reset ahead of the clock gets here, and it was armed then.
            None => {
                let waker = Some(cx.waker().clone());
                this.arm(&mut state, waker);
            }
        }
        Poll::Pending
    }
}

impl Timer for VirtualTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        let shared = this.shared.clone();
        let mut state = shared.state.acquire();
        let waker = this.disarm(&mut state);
        this.deadline = deadline;
        this.arm(&mut state, waker);
    }
}

impl Drop for VirtualTimer {
    fn drop(&mut self) {
        let shared = self.shared.clone();
        let _waker = self.disarm(&mut shared.state.acquire());
    }
}

impl fmt::Debug for VirtualTimer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualTimer")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// The live clocks, by id.
#[derive(Default)]
struct Registry {
    /// Each slot's generation and clock; a slot is free when its clock is gone.
    slots: Vec<(u32, Weak<Shared>)>,
    free: Vec<u32>,
}

impl Registry {
    fn insert(&mut self, clock: Weak<Shared>) -> ClockId {
        match self.free.pop() {
            Some(slot) => {
                let entry = &mut self.slots[slot as usize];
                entry.0 = entry.0.wrapping_add(1);
                entry.1 = clock;
                ClockId {
                    slot,
                    generation: entry.0,
                }
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 live clocks");
                self.slots.push((0, clock));
                ClockId {
                    slot,
                    generation: 0,
                }
            }
        }
    }

    fn remove(&mut self, id: ClockId) {
        if let Some(entry) = self.slots.get_mut(id.slot as usize) {
            if entry.0 == id.generation {
                entry.1 = Weak::new();
                self.free.push(id.slot);
            }
        }
    }
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll(timer: &mut VirtualTimer, wakes: &Arc<Count>) -> Poll<()> {
        let waker = Waker::from(wakes.clone());
        Pin::new(timer).poll(&mut Context::from_waker(&waker))
    }

    #[test]
    fn timers_fire_in_deadline_order_as_the_clock_reaches_them() {
        let clock = VirtualClock::new();
        let start = clock.now();
        let wakes = Arc::new(Count(AtomicUsize::new(0)));
        let mut late = clock.timer(start + Duration::from_secs(2));
        let mut early = clock.timer(start + Duration::from_secs(1));
        assert!(poll(&mut late, &wakes).is_pending());
        assert!(poll(&mut early, &wakes).is_pending());
        assert_eq!(
            clock.advance_to_next(),
            Some(start + Duration::from_secs(1))
        );
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert!(poll(&mut early, &wakes).is_ready());
        assert!(poll(&mut late, &wakes).is_pending());
        clock.advance(Duration::from_secs(5));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 2);
        assert!(poll(&mut late, &wakes).is_ready());
        assert_eq!(clock.next_deadline(), None);
    }

    #[test]
    fn a_reset_timer_moves_its_deadline_and_keeps_its_waker() {
        let clock = VirtualClock::new();
        let start = clock.now();
        let wakes = Arc::new(Count(AtomicUsize::new(0)));
        let mut timer = clock.timer(start + Duration::from_secs(3600));
        assert!(poll(&mut timer, &wakes).is_pending());
        Pin::new(&mut timer).reset(start + Duration::from_secs(1));
        assert_eq!(clock.next_deadline(), Some(start + Duration::from_secs(1)));
        clock.advance(Duration::from_secs(1));
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            1,
            "woken without a new poll"
        );
        assert!(poll(&mut timer, &wakes).is_ready());
        Pin::new(&mut timer).reset(start + Duration::from_secs(10));
        assert!(
            poll(&mut timer, &wakes).is_pending(),
            "ready again only at its new deadline"
        );
    }

    #[test]
    fn ids_of_dropped_clocks_resolve_to_nothing_even_when_their_slot_is_reused() {
        let first = VirtualClock::new();
        let stale = first.id();
        drop(first);
        let second = VirtualClock::new();
        assert!(stale.clock().is_none());
        assert_eq!(second.id().clock().map(|c| c.id()), Some(second.id()));
    }
}
