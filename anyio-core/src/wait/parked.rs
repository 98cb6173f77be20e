//! A state shared with the one task (or thread) that waits on it: the one-shot slots and
//! inboxes of this crate (a child's start report, a portal task's result, a worker thread's
//! requests, a native task's join handle).

use std::fmt;
use std::task::{Context, Poll, Waker};

use super::{register, Acquire};
use crate::loom::{Condvar, Mutex};

struct Inner<S> {
    state: S,
    waker: Option<Waker>,
    /// A thread sleeps in [`Parked::wait_blocking`]; only then is the condvar signalled,
    /// which costs a system call.
    thread_waiting: bool,
}

/// A state behind a lock, with the waker of the task that waits for it to change. Whoever
/// changes it says whether the waiter must look again; the waiter is woken after the lock is
/// released. See the [module docs](self).
pub(crate) struct Parked<S> {
    inner: Mutex<Inner<S>>,
    changed: Condvar,
}

impl<S> Parked<S> {
    pub(crate) fn new(state: S) -> Self {
        Self {
            inner: Mutex::new(Inner {
                state,
                waker: None,
                thread_waiting: false,
            }),
            changed: Condvar::new(),
        }
    }

    /// Runs `f` on the state; when it returns `(_, true)` the waiter is woken, after the lock
    /// is released. What `f` returns is dropped by the caller, outside the lock.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&mut S) -> (R, bool)) -> R {
        let (result, waker, thread) = {
            let mut inner = self.inner.acquire();
            let (result, wake) = f(&mut inner.state);
            if !wake {
                return result;
            }
            (result, inner.waker.take(), inner.thread_waiting)
        };
        if thread {
            self.changed.notify_all();
        }
        if let Some(waker) = waker {
            waker.wake();
        }
        result
    }

    /// Runs `f` on the state for the waiting task; when it is `Pending`, the task's waker is
    /// kept to be woken by the next [`update`](Self::update) that asks for it.
    pub(crate) fn poll<R>(
        &self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut S, &mut Context<'_>) -> Poll<R>,
    ) -> Poll<R> {
        let mut inner = self.inner.acquire();
        let poll = f(&mut inner.state, cx);
        if poll.is_pending() {
            register(&mut inner.waker, cx.waker());
        }
        poll
    }

    /// Runs `f` on the state, waking nobody.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.inner.acquire().state)
    }

    /// Blocks the calling thread until `f` returns `Some`, re-checking after every
    /// [`update`](Self::update) that wakes the waiter.
    pub(crate) fn wait_blocking<R>(&self, mut f: impl FnMut(&mut S) -> Option<R>) -> R {
        let mut inner = self.inner.acquire();
        loop {
            if let Some(result) = f(&mut inner.state) {
                inner.thread_waiting = false;
                return result;
            }
            inner.thread_waiting = true;
            inner = self
                .changed
                .wait(inner)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Parked<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.acquire();
        f.debug_struct("Parked")
            .field("state", &inner.state)
            .field("waiting", &inner.waker.is_some())
            .finish()
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
    fn a_pending_poll_is_woken_by_an_update_that_asks() {
        let count = Arc::new(Count::default());
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        let slot = Parked::new(None::<u8>);
        assert!(slot
            .poll(&mut cx, |s, _| s.take().map_or(Poll::Pending, Poll::Ready))
            .is_pending());
        slot.update(|_| ((), false));
        assert_eq!(
            count.0.load(Ordering::SeqCst),
            0,
            "a quiet update wakes nobody"
        );
        slot.update(|s| {
            *s = Some(7);
            ((), true)
        });
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert_eq!(
            slot.poll(&mut cx, |s, _| s.take().map_or(Poll::Pending, Poll::Ready)),
            Poll::Ready(7)
        );
        slot.update(|_| ((), true));
        assert_eq!(count.0.load(Ordering::SeqCst), 1, "a waker is woken once");
    }

    #[test]
    fn a_blocked_thread_sees_the_update() {
        let slot = Arc::new(Parked::new(None::<u8>));
        let setter = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(10));
                slot.update(|s| {
                    *s = Some(3);
                    ((), true)
                });
            })
        };
        assert_eq!(slot.wait_blocking(Option::take), 3);
        setter.join().unwrap();
        assert_eq!(slot.with(|s| *s), None);
    }
}
