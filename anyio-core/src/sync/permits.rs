//! The permit counter behind [`Lock`](super::Lock) (one permit) and
//! [`Semaphore`](super::Semaphore): a lock-free fast path in front of the shared
//! [`WaitQueue`].
//!
//! The atomic `state` holds the available permits shifted left by one, and a `QUEUED` bit
//! that is set exactly while the wait queue is non-empty (it only changes under the queue's
//! mutex). Two rules make the fast paths fair and lossless:
//!
//! - permits are never available while someone waits: a release that finds `QUEUED` set
//!   takes the mutex and hands its permit to the first waiter instead of counting it, so a
//!   newcomer's compare-and-swap on the count cannot overtake the line;
//! - a waiter dropped after being handed a permit passes it on exactly like a release.
//!
//! Uncontended, acquiring is one compare-and-swap and releasing another; neither locks,
//! allocates or wakes.

use std::task::{Context, Poll, Waker};

use super::waiters::{lock, Key, Left, WaitQueue};
use crate::context;
use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::Mutex;

const QUEUED: usize = 1;
const ONE: usize = 2;

/// The most permits the counter can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 1;

/// Returned by [`Permits::release`] when the count is already at its max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AtMax;

/// Where an acquire future is: in line, or holding a permit taken uncontended while it
/// yields once (AnyIO's acquire without `fast_acquire`).
#[derive(Debug, Default)]
pub(crate) struct Acquiring {
    waiter: Option<Key>,
    yielding: bool,
    /// Never yields after an uncontended take: the caller has just been through a checkpoint
    /// (a condition's wait reacquiring its lock).
    no_yield: bool,
}

impl Acquiring {
    pub(crate) fn without_yield() -> Self {
        Self {
            no_yield: true,
            ..Self::default()
        }
    }
}

#[derive(Debug)]
pub(crate) struct Permits {
    state: AtomicUsize,
    max: usize,
    waiters: Mutex<WaitQueue>,
}

impl Permits {
    /// `available` permits now, and never more than `max` (both at most [`MAX_PERMITS`]).
    pub(crate) fn new(available: usize, max: usize) -> Self {
        debug_assert!(available <= max && max <= MAX_PERMITS);
        Self {
            state: AtomicUsize::new(available << 1),
            max,
            waiters: Mutex::new(WaitQueue::new()),
        }
    }

    pub(crate) fn available(&self) -> usize {
        self.state.load(Ordering::Acquire) >> 1
    }

    /// Waiters still in line.
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.waiters).len()
    }

    /// Takes a permit if one is available (never while others wait).
    pub(crate) fn try_acquire(&self) -> bool {
        let mut state = self.state.load(Ordering::Relaxed);
        while state >= ONE {
            match self.state.compare_exchange_weak(
                state,
                state - ONE,
                Ordering::Acquire,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => state = actual,
            }
        }
        false
    }

    /// Takes a permit, or joins the line and collects the permit handed over later. `waiter`
    /// is the caller's place in line; a future that gives up must pass it to
    /// [`abandon`](Self::abandon).
    pub(crate) fn poll_acquire(&self, waiter: &mut Option<Key>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(key) = waiter.take() {
            let mut queue = lock(&self.waiters);
            if queue.poll(&key, cx.waker()) {
                queue.leave(key);
                return Poll::Ready(());
            }
            *waiter = Some(key);
            return Poll::Pending;
        }
        if self.try_acquire() {
            return Poll::Ready(());
        }
        let mut queue = lock(&self.waiters);
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            // A release may have slipped in between the fast path and the lock.
            if state >= ONE {
                match self.state.compare_exchange(
                    state,
                    state - ONE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => return Poll::Ready(()),
                    Err(actual) => state = actual,
                }
                continue;
            }
            if state & QUEUED != 0 {
                break;
            }
            match self.state.compare_exchange(
                state,
                state | QUEUED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => state = actual,
            }
        }
        *waiter = Some(queue.push((), cx.waker()));
        Poll::Pending
    }

    /// Drives an acquire future, with AnyIO's checkpoint rules: a cancelled caller does not
    /// take a permit, unless one was handed to it before the cancellation reached it (it
    /// keeps it: DESIGN.md's delivery rule); and a permit taken at once is held across one
    /// cancel-shielded yield, so that a task looping on an uncontended lock still lets the
    /// others run, unless `fast` (AnyIO's `fast_acquire`) skips the yield.
    pub(crate) fn poll_checkpoint(
        &self,
        acquiring: &mut Acquiring,
        fast: bool,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        if std::mem::take(&mut acquiring.yielding) {
            return Poll::Ready(());
        }
        if context::is_cancelled() && !self.was_granted(acquiring) {
            return Poll::Pending;
        }
        let waited = acquiring.waiter.is_some();
        std::task::ready!(self.poll_acquire(&mut acquiring.waiter, cx));
        if fast || waited || acquiring.no_yield {
            return Poll::Ready(());
        }
        acquiring.yielding = true;
        context::mark_shielded_yield();
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn was_granted(&self, acquiring: &Acquiring) -> bool {
        acquiring
            .waiter
            .as_ref()
            .is_some_and(|key| lock(&self.waiters).is_granted(key))
    }

    /// [`abandon`](Self::abandon) for an [`Acquiring`]: also gives back a permit held across
    /// the yield.
    pub(crate) fn abandon_acquiring(&self, acquiring: &mut Acquiring) {
        if std::mem::take(&mut acquiring.yielding) {
            // Taken from the count or handed over: either way it is ours to give back.
            let _ = self.release();
        }
        self.abandon(&mut acquiring.waiter);
    }

    /// Gives a permit back: to the first waiter if there is one, else to the count.
    pub(crate) fn release(&self) -> Result<(), AtMax> {
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state & QUEUED != 0 {
                let mut queue = lock(&self.waiters);
                let waker = self.release_locked(&mut queue)?;
                drop(queue);
                if let Some(waker) = waker {
                    waker.wake();
                }
                return Ok(());
            }
            if state >> 1 >= self.max {
                return Err(AtMax);
            }
            match self.state.compare_exchange_weak(
                state,
                state + ONE,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(()),
                Err(actual) => state = actual,
            }
        }
    }

    /// Leaves the line for good (the waiting future is dropped), passing on a permit that was
    /// handed over but never collected.
    pub(crate) fn abandon(&self, waiter: &mut Option<Key>) {
        let Some(key) = waiter.take() else {
            return;
        };
        let mut queue = lock(&self.waiters);
        let waker = match queue.leave(key).0 {
            Left::Queued => {
                if queue.is_empty() {
                    self.state.fetch_and(!QUEUED, Ordering::Release);
                }
                None
            }
            // At the max only if someone released a permit they did not hold meanwhile; the
            // count is already full then, so this permit has nowhere to go.
            Left::Granted => self.release_locked(&mut queue).unwrap_or(None),
        };
        drop(queue);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// [`release`](Self::release) with the queue locked: returns the waker to wake after
    /// unlocking.
    fn release_locked(&self, queue: &mut WaitQueue) -> Result<Option<Waker>, AtMax> {
        if let Some(waker) = queue.grant_front() {
            if queue.is_empty() {
                self.state.fetch_and(!QUEUED, Ordering::Release);
            }
            return Ok(Some(waker));
        }
        // Nobody waits, so `QUEUED` is clear and only the fast paths race with us.
        let mut state = self.state.load(Ordering::Relaxed);
        loop {
            if state >> 1 >= self.max {
                return Err(AtMax);
            }
            match self.state.compare_exchange_weak(
                state,
                state + ONE,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(None),
                Err(actual) => state = actual,
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::task::{Context, Waker};

    use super::*;

    fn poll(permits: &Permits, waiter: &mut Option<Key>) -> Poll<()> {
        permits.poll_acquire(waiter, &mut Context::from_waker(Waker::noop()))
    }

    fn state(permits: &Permits) -> usize {
        permits.state.load(Ordering::SeqCst)
    }

    #[test]
    fn uncontended_use_touches_only_the_atomic() {
        let permits = Permits::new(1, 1);
        assert!(permits.try_acquire());
        assert!(!permits.try_acquire());
        assert_eq!(permits.release(), Ok(()));
        assert_eq!(permits.release(), Err(AtMax));
        assert_eq!(permits.available(), 1);
        assert!(lock(&permits.waiters).is_empty());
    }

    #[test]
    fn release_hands_over_to_the_first_waiter() {
        let permits = Permits::new(0, 2);
        let (mut a, mut b) = (None, None);
        assert!(poll(&permits, &mut a).is_pending());
        assert!(poll(&permits, &mut b).is_pending());
        assert_eq!(state(&permits), QUEUED);
        permits.release().unwrap();
        assert_eq!(permits.available(), 0, "handed over, not counted");
        assert!(
            !permits.try_acquire(),
            "a newcomer cannot overtake the line"
        );
        assert!(poll(&permits, &mut b).is_pending(), "b is second in line");
        assert!(poll(&permits, &mut a).is_ready());
        assert!(a.is_none());
        permits.release().unwrap();
        assert_eq!(state(&permits), 0, "the line is empty: the flag is cleared");
        assert!(poll(&permits, &mut b).is_ready());
        permits.release().unwrap();
        assert_eq!(permits.available(), 1);
    }

    #[test]
    fn a_dropped_waiter_passes_its_grant_on() {
        let permits = Permits::new(0, 1);
        let (mut a, mut b) = (None, None);
        assert!(poll(&permits, &mut a).is_pending());
        assert!(poll(&permits, &mut b).is_pending());
        permits.release().unwrap();
        permits.abandon(&mut a);
        assert_eq!(permits.available(), 0, "passed to b, not counted");
        assert_eq!(permits.waiting(), 0);
        assert!(poll(&permits, &mut b).is_ready());
        permits.release().unwrap();
        assert_eq!(permits.available(), 1);
    }

    #[test]
    fn a_dropped_waiter_with_nobody_behind_returns_its_grant() {
        let permits = Permits::new(0, 1);
        let mut a = None;
        assert!(poll(&permits, &mut a).is_pending());
        permits.release().unwrap();
        permits.abandon(&mut a);
        assert_eq!(permits.available(), 1);
        assert_eq!(state(&permits), ONE);
    }

    #[test]
    fn a_dropped_queued_waiter_just_leaves() {
        let permits = Permits::new(0, 1);
        let (mut a, mut b) = (None, None);
        assert!(poll(&permits, &mut a).is_pending());
        assert!(poll(&permits, &mut b).is_pending());
        permits.abandon(&mut b);
        assert_eq!(permits.waiting(), 1);
        assert_eq!(state(&permits), QUEUED);
        permits.abandon(&mut a);
        assert_eq!(state(&permits), 0, "nobody waits: the flag is cleared");
        permits.release().unwrap();
        assert_eq!(permits.available(), 1, "nobody was handed anything");
        permits.abandon(&mut a); // leaving twice is harmless
    }

    #[test]
    fn the_max_holds_on_every_path() {
        let permits = Permits::new(2, 2);
        assert_eq!(permits.release(), Err(AtMax));
        assert!(permits.try_acquire());
        assert_eq!(permits.release(), Ok(()));
        assert_eq!(permits.available(), 2);
    }
}
