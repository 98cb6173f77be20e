//! Loom models of the permit counter and the hand-over: every interleaving of a few threads
//! keeps mutual exclusion, loses no permit and no wake-up, passes on what a dropped waiter
//! was handed, and passes over a waiter whose scope is cancelled without losing the grant.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p anyio-core --lib --release sync::loom_tests`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use super::{CapacityLimiter, Condition, Event, Lock, Semaphore};
use crate::context;
use crate::tree::{Kind, Node, NodeRef, Sources};

/// Polls `future` once inside `scope`, as a task polled in that cancel scope would be.
fn poll_in<F: Future + Unpin>(scope: &NodeRef, future: &mut F) -> Poll<F::Output> {
    let mut node = Some(scope.clone());
    let (polled, _) = context::enter(&mut node, None, || {
        std::pin::Pin::new(&mut *future).poll(&mut Context::from_waker(Waker::noop()))
    });
    polled
}

/// Wakes by unparking the loom thread that blocks on the future.
struct Unpark(thread::Thread);

impl Wake for Unpark {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.unpark();
    }
}

/// Drives `future` on the current loom thread, parking while it is pending: a lost wake-up
/// parks forever, which loom reports as a deadlock.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(std::sync::Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

/// Polls `future` once with a waker that does nothing, then drops it: a waiter that joined
/// the line and was cancelled at some arbitrary moment.
fn poll_once_then_drop<F: Future>(future: F) -> bool {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    matches!(future.as_mut().poll(&mut cx), Poll::Ready(_))
}

#[test]
fn lock_excludes_and_wakes() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let inside = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                thread::spawn(move || {
                    let _guard = block_on(lock.acquire());
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        {
            let _guard = block_on(lock.acquire());
            assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
            inside.fetch_sub(1, Ordering::SeqCst);
        }
        for t in threads {
            t.join().unwrap();
        }
        assert!(!lock.locked());
    });
}

#[test]
fn lock_handed_to_a_dropped_waiter_passes_on() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let held = lock.try_acquire().unwrap();
        let dropped = {
            let lock = lock.clone();
            thread::spawn(move || {
                poll_once_then_drop(lock.acquire());
            })
        };
        let waiting = {
            let lock = lock.clone();
            thread::spawn(move || drop(block_on(lock.acquire())))
        };
        drop(held);
        dropped.join().unwrap();
        waiting.join().unwrap();
        assert!(!lock.locked(), "the lock was lost");
        assert_eq!(lock.statistics().tasks_waiting, 0);
    });
}

#[test]
fn semaphore_bounds_and_returns_every_unit() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::new(1));
        let dropped = {
            let semaphore = semaphore.clone();
            thread::spawn(move || {
                poll_once_then_drop(semaphore.acquire());
            })
        };
        let waiting = {
            let semaphore = semaphore.clone();
            thread::spawn(move || drop(block_on(semaphore.acquire())))
        };
        drop(block_on(semaphore.acquire()));
        dropped.join().unwrap();
        waiting.join().unwrap();
        assert_eq!(semaphore.value(), 1, "a unit was lost or duplicated");
    });
}

#[test]
fn semaphore_release_races_with_a_waiter() {
    loom::model(|| {
        let semaphore = Arc::new(Semaphore::with_max_value(0, 1).unwrap());
        let waiter = {
            let semaphore = semaphore.clone();
            thread::spawn(move || block_on(semaphore.acquire()).forget())
        };
        semaphore.release().unwrap();
        waiter.join().unwrap();
        assert_eq!(semaphore.value(), 0);
        semaphore.release().unwrap();
        assert!(semaphore.release().is_err());
    });
}

#[test]
fn event_set_is_never_missed() {
    loom::model(|| {
        let event = Arc::new(Event::new());
        let waiter = {
            let event = event.clone();
            thread::spawn(move || block_on(event.wait()))
        };
        event.set();
        waiter.join().unwrap();
    });
}

#[test]
fn condition_notification_is_never_missed() {
    loom::model(|| {
        let condition = Arc::new(Condition::new());
        let ready = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (condition, ready) = (condition.clone(), ready.clone());
            thread::spawn(move || {
                block_on(async {
                    let guard = condition.acquire().await;
                    let _guard = condition
                        .wait_for(guard, || ready.load(Ordering::SeqCst))
                        .await;
                })
            })
        };
        block_on(async {
            let _guard = condition.acquire().await;
            ready.store(true, Ordering::SeqCst);
            condition.notify(1);
        });
        waiter.join().unwrap();
        assert!(!condition.locked());
    });
}

#[test]
fn limiter_token_handed_to_a_dropped_waiter_passes_on() {
    loom::model(|| {
        let limiter = Arc::new(CapacityLimiter::new(1));
        let token = limiter.try_acquire().unwrap();
        let dropped = {
            let limiter = limiter.clone();
            thread::spawn(move || {
                poll_once_then_drop(limiter.acquire());
            })
        };
        let waiting = {
            let limiter = limiter.clone();
            thread::spawn(move || drop(block_on(limiter.acquire())))
        };
        drop(token);
        dropped.join().unwrap();
        waiting.join().unwrap();
        assert_eq!(limiter.borrowed_tokens(), 0, "a token was lost");
    });
}

#[test]
fn a_release_racing_with_the_waiters_cancellation_loses_nothing() {
    loom::model(|| {
        let lock = Arc::new(Lock::new());
        let held = lock.try_acquire().unwrap();
        let scope = Node::new(Kind::Scope, Sources::default());
        let mut waiter = Box::pin(lock.acquire());
        assert!(poll_in(&scope, &mut waiter).is_pending(), "in line");
        let canceller = {
            let scope = scope.clone();
            thread::spawn(move || scope.cancel(None))
        };
        drop(held);
        canceller.join().unwrap();
        match poll_in(&scope, &mut waiter) {
            // Handed over before the cancellation: kept.
            Poll::Ready(guard) => {
                assert!(lock.locked());
                drop(guard);
            }
            // Cancelled first: passed over, the lock was given back.
            Poll::Pending => assert!(!lock.locked(), "passed over, so it is free"),
        }
        drop(waiter);
        assert!(!lock.locked(), "the lock was lost");
        assert_eq!(lock.statistics().tasks_waiting, 0);
    });
}

#[test]
fn a_notify_racing_with_the_waiters_cancellation_loses_nothing() {
    loom::model(|| {
        let condition = Arc::new(Condition::new());
        let scope = Node::new(Kind::Scope, Sources::default());
        let other = Node::new(Kind::Scope, Sources::default());
        let mut first = Box::pin(condition.wait(condition.try_acquire().unwrap()));
        assert!(poll_in(&scope, &mut first).is_pending());
        let mut second = Box::pin(condition.wait(condition.try_acquire().unwrap()));
        assert!(poll_in(&other, &mut second).is_pending());
        let canceller = {
            let scope = scope.clone();
            thread::spawn(move || scope.cancel(None))
        };
        condition.notify(1);
        canceller.join().unwrap();
        let first_done = poll_in(&scope, &mut first).is_ready();
        let second_done = poll_in(&other, &mut second).is_ready();
        // Exactly one of them has the notification: the first if it came before the
        // cancellation, else the second. Dropping the first passes on nothing it kept.
        assert!(first_done != second_done, "lost or duplicated");
        drop(first);
        drop(second);
        assert!(!condition.locked());
    });
}
