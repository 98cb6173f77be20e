//! Wakers collected under a lock and woken after it is released, so that a woken task never
//! finds the lock still held by its waker.

use std::task::Waker;

/// Wakers to wake once the lock is released. The common cases (none, or one) cost no
/// allocation and almost nothing to drop.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        Self {
            first: None,
            more: Vec::new(),
        }
    }

    /// Adds a waker, or nothing for `None` (a waiter that was never polled has none).
    #[inline]
    pub(crate) fn push(&mut self, waker: impl Into<Option<Waker>>) {
        let Some(waker) = waker.into() else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.more.push(waker);
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    #[inline]
    pub(crate) fn wake_all(self) {
        let Some(first) = self.first else { return };
        first.wake();
        if !self.more.is_empty() {
            self.more.into_iter().for_each(Waker::wake);
        }
    }
}

/// Stores `waker` in `slot` unless the one there already wakes the same task: a future
/// polled again by the same task clones no waker.
#[inline]
pub(crate) fn register(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(current) if current.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::Wake;

    use super::*;

    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wakes_every_waker_once() {
        let count = Arc::new(Count::default());
        let mut wakes = WakeList::new();
        assert!(wakes.is_empty());
        wakes.push(None);
        assert!(wakes.is_empty(), "None adds nothing");
        for _ in 0..20 {
            wakes.push(Waker::from(count.clone()));
        }
        wakes.wake_all();
        assert_eq!(count.0.load(Ordering::SeqCst), 20);
    }

    #[test]
    fn register_keeps_a_waker_of_the_same_task() {
        let first = Waker::from(Arc::new(Count::default()));
        let second = Waker::from(Arc::new(Count::default()));
        let mut slot = None;
        register(&mut slot, &first);
        assert!(slot.as_ref().unwrap().will_wake(&first));
        register(&mut slot, &first.clone());
        assert!(slot.as_ref().unwrap().will_wake(&first));
        register(&mut slot, &second);
        assert!(slot.as_ref().unwrap().will_wake(&second));
    }
}
