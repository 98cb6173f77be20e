//! The one fair waiter queue every primitive of this module is built on.
//!
//! Waiters line up in FIFO order. Each owns a slot, named by a [`Key`], that holds its waker;
//! slots live in one vector and are recycled through a free list, so in steady state a wait
//! allocates nothing.
//!
//! What a waiter waits for (a lock's ownership, a permit, a token, a notification) is never
//! left lying around for the fastest task to grab: the primitive **hands it over** with
//! [`WaitQueue::grant_first`], which marks the first waiter that can use it as granted (a slot's
//! payload says; the primitives keep the waiter's cancel scope there), takes it out of the
//! line and returns its waker. The waiter's future, when polled, finds the grant in its slot.
//!
//! A waiter future leaves with [`WaitQueue::leave`], which says whether it had been granted.
//! A future dropped after its grant (by a foreign `select!` in the instant after the
//! hand-over) must **pass the grant on** — to the next waiter, or back to the primitive — and
//! one dropped before just leaves the line: [`Left`] makes the primitive decide which.
//!
//! The queue itself does no locking and no waking: each primitive keeps it under its own
//! mutex, together with its counters, and wakes the returned wakers after unlocking.

use std::fmt;
use std::task::Waker;

use crate::loom::{Mutex, MutexGuard};

/// Locks a shim mutex. The critical sections of this module run no user code, so a poisoned
/// lock can only come from a panic that left the state consistent: carry on.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// No slot: the end of the line, or of the free list.
const NIL: usize = usize::MAX;

/// A waiter's claim on its slot. Deliberately neither `Clone` nor `Copy`: exactly one future
/// owns a slot, and giving the key back to [`WaitQueue::leave`] is the only way to free it.
/// Stored as index + 1, so that a waiting future's `Option<Key>` is one word.
#[derive(Debug)]
pub(crate) struct Key(std::num::NonZeroUsize);

impl Key {
    fn new(index: usize) -> Self {
        Self(std::num::NonZeroUsize::MIN.saturating_add(index))
    }

    fn index(&self) -> usize {
        self.0.get() - 1
    }
}

/// A link in the line as stored in a slot: the lines of parked tasks get long, and each slot
/// is smaller with half-width links.
#[derive(Debug, Clone, Copy)]
struct Link(u32);

impl Link {
    const NIL: Link = Link(u32::MAX);

    fn to(index: usize) -> Self {
        if index == NIL {
            return Self::NIL;
        }
        Self(u32::try_from(index).expect("fewer than 2^32 - 1 waiters in one line"))
    }

    fn get(self) -> usize {
        if self.0 == u32::MAX {
            NIL
        } else {
            self.0 as usize
        }
    }
}

/// Whether a waiter that left had been granted what it waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Left {
    /// Still in line: nothing to give back.
    Queued,
    /// Granted but never collected: the caller must pass the grant on.
    Granted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Queued,
    Granted,
}

struct Slot<T> {
    state: State,
    waker: Option<Waker>,
    payload: Option<T>,
    /// Neighbours in the line while queued; `next` links the free list while free.
    prev: Link,
    next: Link,
}

/// A FIFO line of waiters with handed-over grants; see the [module docs](self).
pub(crate) struct WaitQueue<T = ()> {
    slots: Vec<Slot<T>>,
    free: usize,
    head: usize,
    tail: usize,
    queued: usize,
}

impl<T> Default for WaitQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> fmt::Debug for WaitQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitQueue")
            .field("queued", &self.queued)
            .field("slots", &self.slots.len())
            .finish()
    }
}

impl<T> WaitQueue<T> {
    pub(crate) const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            queued: 0,
        }
    }

    /// Waiters still in line (granted ones that have not collected are not counted).
    pub(crate) fn len(&self) -> usize {
        self.queued
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Joins the end of the line.
    pub(crate) fn push(&mut self, payload: T, waker: &Waker) -> Key {
        let slot = Slot {
            state: State::Queued,
            waker: Some(waker.clone()),
            payload: Some(payload),
            prev: Link::to(self.tail),
            next: Link::NIL,
        };
        let index = if self.free == NIL {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let index = self.free;
            self.free = self.slots[index].next.get();
            self.slots[index] = slot;
            index
        };
        match self.tail {
            NIL => self.head = index,
            tail => self.slots[tail].next = Link::to(index),
        }
        self.tail = index;
        self.queued += 1;
        Key::new(index)
    }

    /// The payload of the first waiter in line.
    #[cfg(all(test, not(loom)))]
    fn front(&self) -> Option<&T> {
        match self.head {
            NIL => None,
            head => self.slots[head].payload.as_ref(),
        }
    }

    /// Hands the grant to the first waiter in line, whoever it is.
    #[cfg(all(test, not(loom)))]
    fn grant_front(&mut self) -> Option<Waker> {
        self.grant_first(|_| true).map(|(waker, _)| waker)
    }

    /// Hands the grant to the first waiter in line whose payload passes `eligible` (the
    /// others keep their place); returns its waker, to be woken once the caller has released
    /// its lock, and its payload, or `None` when no waiter qualifies.
    pub(crate) fn grant_first(
        &mut self,
        mut eligible: impl FnMut(&T) -> bool,
    ) -> Option<(Waker, &T)> {
        let mut index = self.head;
        while index != NIL {
            let slot = &self.slots[index];
            if slot.payload.as_ref().is_some_and(&mut eligible) {
                self.unlink(index);
                let slot = &mut self.slots[index];
                slot.state = State::Granted;
                let waker = slot.waker.take().expect("a queued waiter has a waker");
                let payload = slot.payload.as_ref().expect("checked above");
                return Some((waker, payload));
            }
            index = slot.next.get();
        }
        None
    }

    /// The payload of a waiter that has not left yet.
    pub(crate) fn payload_mut(&mut self, key: &Key) -> &mut T {
        self.slots[key.index()]
            .payload
            .as_mut()
            .expect("an occupied slot holds its payload")
    }

    /// Hands a grant to every waiter in line.
    #[cfg(all(test, not(loom)))]
    fn grant_all(&mut self, wakers: &mut WakeList) {
        self.grant_all_where(wakers, |_| true);
    }

    /// Hands a grant to every waiter in line whose payload passes `eligible`, in one pass;
    /// the others keep their place.
    pub(crate) fn grant_all_where(
        &mut self,
        wakers: &mut WakeList,
        mut eligible: impl FnMut(&T) -> bool,
    ) {
        let mut index = self.head;
        while index != NIL {
            let next = self.slots[index].next.get();
            if self.slots[index]
                .payload
                .as_ref()
                .is_some_and(&mut eligible)
            {
                self.unlink(index);
                let slot = &mut self.slots[index];
                slot.state = State::Granted;
                wakers.push(slot.waker.take().expect("a queued waiter has a waker"));
            }
            index = next;
        }
    }

    /// Whether the waiter was granted; if not, remembers `waker` as the one to wake.
    pub(crate) fn poll(&mut self, key: &Key, waker: &Waker) -> bool {
        let slot = &mut self.slots[key.index()];
        match slot.state {
            State::Granted => true,
            State::Queued => {
                match &slot.waker {
                    Some(current) if current.will_wake(waker) => {}
                    _ => slot.waker = Some(waker.clone()),
                }
                false
            }
            State::Free => unreachable!("a key names a slot until it is given back"),
        }
    }

    /// Frees the waiter's slot: it collected its grant, or gave up. The caller passes on a
    /// grant that was never collected ([`Left::Granted`] from a dropped future).
    pub(crate) fn leave(&mut self, key: Key) -> (Left, T) {
        let index = key.index();
        let left = match self.slots[index].state {
            State::Queued => {
                self.unlink(index);
                Left::Queued
            }
            State::Granted => Left::Granted,
            State::Free => unreachable!("a key names a slot until it is given back"),
        };
        let slot = &mut self.slots[index];
        slot.state = State::Free;
        slot.waker = None;
        let payload = slot
            .payload
            .take()
            .expect("an occupied slot holds its payload");
        slot.next = Link::to(self.free);
        self.free = index;
        (left, payload)
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next) = (self.slots[index].prev, self.slots[index].next);
        match prev.get() {
            NIL => self.head = next.get(),
            prev_index => self.slots[prev_index].next = next,
        }
        match next.get() {
            NIL => self.tail = prev.get(),
            next_index => self.slots[next_index].prev = prev,
        }
        let slot = &mut self.slots[index];
        slot.prev = Link::NIL;
        slot.next = Link::NIL;
        self.queued -= 1;
    }
}

/// Wakers collected under a lock, woken after it is released. The first few live inline so
/// that waking a handful of waiters allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    inline: [Option<Waker>; INLINE],
    len: usize,
    spilled: Vec<Waker>,
}

const INLINE: usize = 8;

impl WakeList {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&mut self, waker: Waker) {
        if self.len < INLINE {
            self.inline[self.len] = Some(waker);
            self.len += 1;
        } else {
            self.spilled.push(waker);
        }
    }

    pub(crate) fn wake_all(self) {
        for waker in self.inline.into_iter().flatten() {
            waker.wake();
        }
        for waker in self.spilled {
            waker.wake();
        }
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
        assert_eq!(queue.slots.len(), 4, "steady state allocates no new slots");
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
    fn grant_first_passes_over_ineligible_waiters() {
        let mut queue = WaitQueue::new();
        let (_, w) = waker();
        let a = queue.push(false, &w);
        let b = queue.push(true, &w);
        let c = queue.push(true, &w);
        assert!(queue.grant_first(|eligible| *eligible).is_some());
        assert_eq!(queue.front(), Some(&false), "`a` keeps its place");
        assert!(queue.poll(&b, &w), "`b` was granted");
        assert!(!queue.poll(&c, &w));
        *queue.payload_mut(&a) = true;
        assert!(queue.grant_first(|eligible| *eligible).is_some());
        assert!(queue.poll(&a, &w));
        assert!(queue.grant_first(|eligible| *eligible).is_some());
        assert!(queue.grant_first(|_| true).is_none(), "nobody left in line");
        for key in [a, b, c] {
            assert_eq!(queue.leave(key).0, Left::Granted);
        }
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
