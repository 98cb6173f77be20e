//! The fair waiter queue every primitive of this module is built on: the toolkit's
//! [`WaitList`] with a waker and a payload per waiter, and grants handed over.
//!
//! What a waiter waits for (a lock's ownership, a permit, a token, a notification) is never
//! left lying around for the fastest task to grab: the primitive **hands it over** with
//! [`WaitQueue::grant_front`], which takes the first waiter out of the line and returns its
//! waker. The waiter's future, when polled, finds itself out of line: granted.
//!
//! A waiter future leaves with [`WaitQueue::leave`], which says whether it had been granted.
//! A future dropped after its grant (cancelled in the instant after the hand-over) must
//! **pass the grant on** — to the next waiter, or back to the primitive — and one dropped
//! before just leaves the line: [`Left`] makes the primitive decide which.
//!
//! The queue itself does no locking and no waking: each primitive keeps it under its own
//! mutex, together with its counters, and wakes the returned wakers after unlocking.

use std::fmt;
use std::task::Waker;

use crate::loom::{Mutex, MutexGuard};
use crate::wait::{register, Acquire, WaitList};
pub(crate) use crate::wait::{Key, WakeList};

/// Locks a primitive's state (see [`Acquire`]).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.acquire()
}

/// Whether a waiter that left had been granted what it waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Left {
    /// Still in line: nothing to give back.
    Queued,
    /// Granted but never collected: the caller must pass the grant on.
    Granted,
}

struct Waiter<T> {
    /// Taken when granted: the grant's waker is woken once, by the granting primitive.
    waker: Option<Waker>,
    payload: T,
}

/// A FIFO line of waiters with handed-over grants; see the [module docs](self).
pub(crate) struct WaitQueue<T = ()> {
    list: WaitList<Waiter<T>>,
}

impl<T> Default for WaitQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for WaitQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitQueue")
            .field("queued", &self.list.len())
            .finish()
    }
}

impl<T> WaitQueue<T> {
    pub(crate) const fn new() -> Self {
        Self {
            list: WaitList::new(),
        }
    }

    /// Waiters still in line (granted ones that have not collected are not counted).
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Joins the end of the line.
    pub(crate) fn push(&mut self, payload: T, waker: &Waker) -> Key {
        self.list.push_back(Waiter {
            waker: Some(waker.clone()),
            payload,
        })
    }

    /// The payload of the first waiter in line.
    pub(crate) fn front(&self) -> Option<&T> {
        self.list.front().map(|key| &self.list.get(key).payload)
    }

    /// Hands the grant to the first waiter in line; returns its waker, to be woken once the
    /// caller has released its lock, or `None` when nobody waits.
    pub(crate) fn grant_front(&mut self) -> Option<Waker> {
        let key = self.list.pop_front()?;
        self.list.get_mut(key).waker.take()
    }

    /// Hands a grant to every waiter in line.
    pub(crate) fn grant_all(&mut self, wakers: &mut WakeList) {
        while let Some(key) = self.list.pop_front() {
            wakers.push(self.list.get_mut(key).waker.take());
        }
    }

    /// Whether the waiter was granted; if not, remembers `waker` as the one to wake.
    pub(crate) fn poll(&mut self, key: &Key, waker: &Waker) -> bool {
        if !self.list.is_linked(*key) {
            return true;
        }
        register(&mut self.list.get_mut(*key).waker, waker);
        false
    }

    /// Whether the waiter was granted (without touching its waker).
    pub(crate) fn is_granted(&self, key: &Key) -> bool {
        !self.list.is_linked(*key)
    }

    /// Frees the waiter's slot: it collected its grant, or gave up. The caller passes on a
    /// grant that was never collected ([`Left::Granted`] from a dropped future).
    pub(crate) fn leave(&mut self, key: Key) -> (Left, T) {
        let (waiter, queued) = self.list.remove(key);
        let left = if queued { Left::Queued } else { Left::Granted };
        (left, waiter.payload)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    use super::*;

    /// A waker that counts how often it was woken.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    #[test]
    fn grants_go_in_fifo_order() {
        let mut queue = WaitQueue::new();
        let (count, w) = waker();
        let keys: Vec<_> = (0..3).map(|i| queue.push(i, &w)).collect();
        assert_eq!(queue.len(), 3);
        assert_eq!(queue.front(), Some(&0));
        assert!(queue.grant_front().is_some());
        assert_eq!(queue.front(), Some(&1));
        assert_eq!(queue.len(), 2);
        let mut keys = keys.into_iter();
        let first = keys.next().unwrap();
        assert!(queue.poll(&first, &w));
        assert_eq!(queue.leave(first), (Left::Granted, 0));
        let second = keys.next().unwrap();
        assert!(!queue.poll(&second, &w));
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            0,
            "the queue never wakes by itself"
        );
        drop(keys);
    }

    #[test]
    fn leaving_from_the_middle_keeps_the_order() {
        let mut queue = WaitQueue::new();
        let (_, w) = waker();
        let a = queue.push('a', &w);
        let b = queue.push('b', &w);
        let c = queue.push('c', &w);
        assert_eq!(queue.leave(b), (Left::Queued, 'b'));
        assert_eq!(queue.len(), 2);
        queue.grant_front();
        assert_eq!(queue.front(), Some(&'c'));
        queue.grant_front();
        assert!(queue.is_empty());
        assert!(queue.grant_front().is_none());
        assert_eq!(queue.leave(c), (Left::Granted, 'c'));
        assert_eq!(queue.leave(a), (Left::Granted, 'a'));
    }

    #[test]
    fn leaving_the_tail_then_pushing_links_correctly() {
        let mut queue = WaitQueue::new();
        let (_, w) = waker();
        let a = queue.push(1, &w);
        let b = queue.push(2, &w);
        assert_eq!(queue.leave(b).0, Left::Queued);
        let c = queue.push(3, &w);
        queue.grant_front();
        assert_eq!(queue.front(), Some(&3));
        queue.grant_front();
        assert_eq!(queue.leave(a).0, Left::Granted);
        assert_eq!(queue.leave(c).0, Left::Granted);
        assert!(queue.is_empty());
    }

    #[test]
    fn slots_are_reused_without_growing() {
        let mut queue = WaitQueue::new();
        let (_, w) = waker();
        for round in 0..100 {
            let keys: Vec<_> = (0..4).map(|i| queue.push(round * 4 + i, &w)).collect();
            for key in keys {
                queue.grant_front();
                assert_eq!(queue.leave(key).0, Left::Granted);
            }
        }
        assert_eq!(
            queue.list.capacity(),
            4,
            "steady state allocates no new slots"
        );
    }

    #[test]
    fn the_granted_waker_is_returned_and_repolling_updates_it() {
        let mut queue = WaitQueue::new();
        let (first, w1) = waker();
        let (second, w2) = waker();
        let key = queue.push((), &w1);
        assert!(!queue.poll(&key, &w2), "not granted yet");
        queue.grant_front().unwrap().wake();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(
            second.0.load(Ordering::SeqCst),
            1,
            "the latest waker is woken"
        );
        assert!(queue.poll(&key, &w1));
        queue.leave(key);
    }

    #[test]
    fn grant_all_collects_every_waker() {
        let mut queue = WaitQueue::new();
        let (count, w) = waker();
        let keys: Vec<_> = (0..20).map(|_| queue.push((), &w)).collect();
        let mut wakers = WakeList::new();
        queue.grant_all(&mut wakers);
        assert!(queue.is_empty());
        wakers.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 20);
        for key in keys {
            assert_eq!(queue.leave(key).0, Left::Granted);
        }
    }
}
