//! The permit counter behind [`Lock`](super::Lock) (one permit) and
//! [`Semaphore`](super::Semaphore): a lock-free fast path in front of the shared
//! [`WaitQueue`].
//!
//! The atomic `state` holds the available permits shifted left by one, and a `QUEUED` bit
//! that is set exactly while the wait queue is non-empty (it only changes under the queue's
//! mutex). Three rules make the fast paths fair and lossless:
//!
//! - permits are never counted while a waiter that can take one waits: a release that finds
//!   `QUEUED` set takes the mutex and hands its permit to the first waiter whose scope is not
//!   cancelled (see [`waiter_scope`](super::waiter_scope)), so a newcomer's compare-and-swap
//!   on the count cannot overtake the line. Only when every waiter was passed over is the
//!   permit counted, for whoever comes first (a passed-over waiter whose scope was shielded
//!   meanwhile takes it from the count when it is polled);
//! - a waiter that was handed a permit keeps it, cancelled or not (the delivery rule);
//! - a waiter dropped after being handed a permit passes it on exactly like a release.
//!
//! Uncontended, acquiring is one compare-and-swap and releasing another; neither locks nor
//! allocates. AnyIO's default acquisition then yields once (see [`Mode`]).

use std::task::{Context, Poll, Waker};

use super::acquiring::{Acquiring, Mode};
use super::waiter_scope::WaiterScope;
use super::waiters::{lock, Key, Left, WaitQueue};
use crate::context;
use crate::loom::atomic::{AtomicUsize, Ordering};
use crate::loom::{Mutex, MutexGuard};

const QUEUED: usize = 1;
const ONE: usize = 2;

/// The most permits the counter can hold.
pub(crate) const MAX_PERMITS: usize = usize::MAX >> 1;

/// Returned by [`Permits::release`] when the count is already at its max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AtMax;

#[derive(Debug)]
pub(crate) struct Permits {
    state: AtomicUsize,
    max: usize,
    waiters: Mutex<WaitQueue<WaiterScope>>,
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

    /// Takes a permit if one is available (never while a waiter that can take it waits).
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

    /// Takes a permit, or joins the line and collects the permit handed over later. `state`
    /// is the caller's progress; a future that gives up must pass it to
    /// [`abandon`](Self::abandon).
    ///
    /// # Panics
    ///
    /// When polled again after it completed.
    pub(crate) fn poll_acquire(
        &self,
        state: &mut Acquiring,
        mode: Mode,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match std::mem::replace(state, Acquiring::Done) {
            Acquiring::Done => panic!("an acquisition was polled after it completed"),
            // Taken before any cancellation could reach it: kept.
            Acquiring::Yielded => Poll::Ready(()),
            Acquiring::Queued(key) => self.poll_queued(key, state, mode, cx),
            Acquiring::Start => {
                if mode != Mode::Shielded && context::is_cancelled() {
                    *state = Acquiring::Start;
                    return Poll::Pending;
                }
                if self.try_acquire() {
                    return self.took(state, mode, cx);
                }
                self.join_line(state, mode, cx)
            }
        }
    }

    /// Keeps a permit taken without waiting, unless the scope was cancelled by then: another
    /// thread may have cancelled it and released a permit between the cancel check before the
    /// attempt and the attempt, and an acquisition must not complete after its cancellation.
    /// The permit goes back and the cancellation is delivered.
    fn took(&self, state: &mut Acquiring, mode: Mode, cx: &mut Context<'_>) -> Poll<()> {
        if mode != Mode::Shielded && context::is_cancelled() {
            let _ = self.release();
            *state = Acquiring::Start;
            return Poll::Pending;
        }
        state.took(mode, cx)
    }

    fn join_line(&self, state: &mut Acquiring, mode: Mode, cx: &mut Context<'_>) -> Poll<()> {
        let mut queue = lock(&self.waiters);
        let mut count = self.state.load(Ordering::Acquire);
        loop {
            // A release may have slipped in between the fast path and the lock, or every
            // waiter in line was passed over.
            if count >= ONE {
                match self.state.compare_exchange(
                    count,
                    count - ONE,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => {
                        drop(queue);
                        return self.took(state, mode, cx);
                    }
                    Err(actual) => count = actual,
                }
                continue;
            }
            if count & QUEUED != 0 {
                break;
            }
            match self.state.compare_exchange(
                count,
                count | QUEUED,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => count = actual,
            }
        }
        let scope = match mode {
            Mode::Shielded => WaiterScope::shielded(),
            Mode::Checkpoint | Mode::Fast => WaiterScope::current(),
        };
        *state = Acquiring::Queued(queue.push(scope, cx.waker()));
        drop(queue);
        if mode == Mode::Shielded {
            context::mark_shielded_yield();
        }
        Poll::Pending
    }

    fn poll_queued(
        &self,
        key: Key,
        state: &mut Acquiring,
        mode: Mode,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        let mut queue = lock(&self.waiters);
        // Handed over before any cancellation reached this waiter: it keeps the permit (the
        // delivery rule), so this comes before the cancel check.
        if queue.poll(&key, cx.waker()) {
            queue.leave(key);
            return Poll::Ready(());
        }
        if mode == Mode::Shielded {
            context::mark_shielded_yield();
        } else if context::is_cancelled() {
            // Stays in line, passed over by releases, until the scope drops the future.
            *state = Acquiring::Queued(key);
            return Poll::Pending;
        } else {
            queue.payload_mut(&key).refresh();
        }
        // Counted while in line only if every waiter was passed over: this one can take it.
        if self.try_acquire() {
            self.leave_line(&mut queue, key);
            return Poll::Ready(());
        }
        *state = Acquiring::Queued(key);
        Poll::Pending
    }

    /// Leaves the line without a grant; clears `QUEUED` when the line is empty.
    fn leave_line(&self, queue: &mut MutexGuard<'_, WaitQueue<WaiterScope>>, key: Key) {
        queue.leave(key);
        if queue.is_empty() {
            self.state.fetch_and(!QUEUED, Ordering::Release);
        }
    }

    /// Gives a permit back: to the first waiter that can take it, if any, else to the count.
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

    /// Gives up for good (the acquiring future is dropped): leaves the line, passing on a
    /// permit that was handed over but never collected, or returns the permit it took.
    pub(crate) fn abandon(&self, state: &mut Acquiring) {
        match std::mem::replace(state, Acquiring::Done) {
            Acquiring::Queued(key) => self.abandon_queued(key),
            // Dropped during its yield by a foreign `select!` or `drop`: nothing returned it.
            // At the max only after an explicit release of a permit nobody held.
            Acquiring::Yielded => {
                let _ = self.release();
            }
            Acquiring::Start | Acquiring::Done => {}
        }
    }

    fn abandon_queued(&self, key: Key) {
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
    fn release_locked(&self, queue: &mut WaitQueue<WaiterScope>) -> Result<Option<Waker>, AtMax> {
        if let Some((waker, _)) = queue.grant_first(|scope| !scope.is_cancelled()) {
            if queue.is_empty() {
                self.state.fetch_and(!QUEUED, Ordering::Release);
            }
            return Ok(Some(waker));
        }
        // Nobody in line can take it (or nobody waits): count it. Only the fast paths race
        // with us, and they only take.
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

    fn poll(permits: &Permits, waiter: &mut Acquiring) -> Poll<()> {
        permits.poll_acquire(waiter, Mode::Fast, &mut Context::from_waker(Waker::noop()))
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
        let (mut a, mut b) = (Acquiring::Start, Acquiring::Start);
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
        assert!(matches!(a, Acquiring::Done));
        permits.release().unwrap();
        assert_eq!(state(&permits), 0, "the line is empty: the flag is cleared");
        assert!(poll(&permits, &mut b).is_ready());
        permits.release().unwrap();
        assert_eq!(permits.available(), 1);
    }

    #[test]
    fn a_dropped_waiter_passes_its_grant_on() {
        let permits = Permits::new(0, 1);
        let (mut a, mut b) = (Acquiring::Start, Acquiring::Start);
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
        let mut a = Acquiring::Start;
        assert!(poll(&permits, &mut a).is_pending());
        permits.release().unwrap();
        permits.abandon(&mut a);
        assert_eq!(permits.available(), 1);
        assert_eq!(state(&permits), ONE);
    }

    #[test]
    fn a_dropped_queued_waiter_just_leaves() {
        let permits = Permits::new(0, 1);
        let (mut a, mut b) = (Acquiring::Start, Acquiring::Start);
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
    fn the_default_mode_yields_once_holding_the_permit() {
        let permits = Permits::new(1, 1);
        let mut a = Acquiring::Start;
        let mut cx = Context::from_waker(Waker::noop());
        assert!(permits
            .poll_acquire(&mut a, Mode::Checkpoint, &mut cx)
            .is_pending());
        assert_eq!(permits.available(), 0, "taken before the yield");
        assert!(permits
            .poll_acquire(&mut a, Mode::Checkpoint, &mut cx)
            .is_ready());
        permits.release().unwrap();
        let mut b = Acquiring::Start;
        assert!(permits
            .poll_acquire(&mut b, Mode::Checkpoint, &mut cx)
            .is_pending());
        permits.abandon(&mut b);
        assert_eq!(
            permits.available(),
            1,
            "dropped during its yield: given back"
        );
    }

    #[test]
    fn a_shielded_waiter_is_handed_over_like_any_other() {
        let permits = Permits::new(0, 1);
        let mut a = Acquiring::Start;
        let mut cx = Context::from_waker(Waker::noop());
        assert!(permits
            .poll_acquire(&mut a, Mode::Shielded, &mut cx)
            .is_pending());
        permits.release().unwrap();
        assert!(permits
            .poll_acquire(&mut a, Mode::Shielded, &mut cx)
            .is_ready());
    }

    #[test]
    #[should_panic(expected = "polled after it completed")]
    fn polling_after_completion_panics() {
        let permits = Permits::new(1, 1);
        let mut a = Acquiring::Start;
        assert!(poll(&permits, &mut a).is_ready());
        let _ = poll(&permits, &mut a);
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
