//! AnyIO's `tests/test_synchronization.py`, translated: `Lock`, `Event`, `Condition`,
//! `Semaphore` and `CapacityLimiter`. Test names are AnyIO's, prefixed with the class
//! (`TestLock::test_statistics` is `lock_statistics`).
//!
//! How the Python maps to Rust here:
//! - `async with lock:` = a guard held in a block. A manual `acquire()` ... `release()` =
//!   forgetting the guard, then the explicit `Lock::release` / `Semaphore::release`.
//! - `acquire_nowait()` = `try_acquire()`. The task AnyIO uses as the implicit borrower of a
//!   `CapacityLimiter` = an explicit `Borrower` (anonymous guards have no identity).
//! - `wait_all_tasks_blocked()` = waiting until the primitive's statistics show the task in
//!   line (or, for a cancelled task that may be dropped before it gets there, until it is
//!   gone: a drop guard).
//! - Runtimes are multi-threaded: where AnyIO relies on a child not having run yet, the child
//!   spins on the host's action first ([`spec::spin_until`]).
//! - asyncio's native `Task.cancel()` = dropping the acquiring future (a foreign
//!   cancellation), which passes on what it was handed, as AnyIO's acquire gives it back. A
//!   cancel *scope* is different: by the delivery rule, a waiter handed the lock before its
//!   scope was cancelled keeps it, and one cancelled first is passed over
//!   (`tests/sync_lock.rs` and its neighbours test both).
//! - A cancelled waiter stays in line, passed over, until its scope drops it; AnyIO's release
//!   removes it at once. Where AnyIO asserts `tasks_waiting == 0` right after such a release,
//!   this waits until the task has dropped it.
//!
//! Where we deliberately differ, the test asserts our behaviour:
//! - `test_acquire_twice_async` / `_sync`: a `Lock` belongs to a guard, not to a task, so it is
//!   not reentrant and does not know its owner; acquiring it again while holding it waits
//!   (AnyIO raises `RuntimeError`), and `try_acquire` fails with `WouldBlock`.
//! - `test_fast_acquire`: AnyIO checks that a spawned task has not run yet, which on a
//!   multi-threaded runtime it may have; the test counts the polls of the acquisition instead.
//!
//! Not translated (no meaning in Rust):
//! - `TestLock::test_owner_after_release` and the `owner` of `LockStatistics`: there is no
//!   task identity.
//! - `TestCondition::test_wait_no_lock`: `Condition::wait` takes the guard, so waiting without
//!   the lock does not compile.
//! - `TestCapacityLimiter::test_bad_init_type`, `test_bad_init_value`,
//!   `test_total_tokens_as_kwarg` and the `TypeError`s of `test_instantiate_outside_event_loop`:
//!   the total is a `usize`, so a float, a string or a negative number does not compile.
//! - `test_asyncio_deadlock` and `test_cancel_after_release` are asyncio-only upstream; their
//!   Rust meaning (a cancelled holder or waiter, a dropped acquisition) runs on every backend.

use crate::common;
use crate::spec;

use std::future::Future;
use std::mem::forget;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use anyio::sync::{
    AlreadyBorrowed, Borrower, CapacityLimiter, Condition, Event, Lock, NotBorrowed, Semaphore,
    SemaphoreFull, TryBorrowError, WouldBlock,
};
use anyio::{
    checkpoint, fail_after, move_on_after, task_group, to_thread, CancelHandle, CancelScope,
    TaskGroup, TaskStatus,
};
use common::{ms, wait_until, Counter, Log};
use spec::{spin_until, Error, PollCount};

/// Long enough that a lost hand-over shows as a failure rather than a slow test.
const PATIENCE: Duration = Duration::from_secs(10);

/// Polls `future` once with a waker that does nothing.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

/// How many polls `future` took to complete.
async fn polls_to_complete<F: Future>(future: F) -> usize {
    let polls = Arc::new(AtomicUsize::new(0));
    PollCount::new(future, polls.clone()).await;
    polls.load(Ordering::SeqCst)
}

// ---------------------------------------------------------------------------------------
// TestLock
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn lock_contextmanager() {
    let lock = Arc::new(Lock::new());
    let results = Log::new();
    let (l, r) = (lock.clone(), results.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        let _held = l.acquire().await;
        let (lock, results) = (l.clone(), r.clone());
        tg.spawn(async move {
            assert!(lock.locked());
            let _guard = lock.acquire().await;
            results.push("2");
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        r.push("1");
        Ok(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
    assert_eq!(results.events(), ["1", "2"]);
}

#[anyio::test]
async fn lock_manual_acquire() {
    let lock = Arc::new(Lock::new());
    let results = Log::new();
    let (l, r) = (lock.clone(), results.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        forget(l.acquire().await);
        let (lock, results) = (l.clone(), r.clone());
        tg.spawn(async move {
            assert!(lock.locked());
            forget(lock.acquire().await);
            results.push("2");
            lock.release().unwrap();
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        r.push("1");
        l.release().unwrap();
        Ok(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
    assert_eq!(results.events(), ["1", "2"]);
}

#[anyio::test]
async fn lock_fast_acquire() {
    let fast = Lock::new().fast_acquire(true);
    assert_eq!(polls_to_complete(fast.acquire()).await, 1, "no yield");
    let lock = Lock::new();
    assert_eq!(polls_to_complete(lock.acquire()).await, 2, "one yield");
    // Contended, both wait the same way.
    let held = fast.acquire().await;
    let mut waiting = Box::pin(fast.acquire());
    assert!(poll_once(&mut waiting).is_pending());
    drop(held);
    assert!(poll_once(&mut waiting).is_ready());
}

#[anyio::test]
async fn lock_acquire_nowait() {
    let lock = Lock::new();
    forget(lock.try_acquire().unwrap());
    assert!(lock.locked());
}

#[anyio::test]
async fn lock_acquire_nowait_wouldblock() {
    let lock = Arc::new(Lock::new());
    let l = lock.clone();
    let _held = lock.acquire().await;
    task_group(|tg: TaskGroup<Error>| async move {
        assert!(l.locked());
        tg.spawn(async move {
            assert_eq!(l.try_acquire().err(), Some(WouldBlock::default()));
            Ok(())
        })?;
        Ok(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn lock_acquire_twice_async() {
    for fast in [false, true] {
        let lock = Lock::new().fast_acquire(fast);
        let _held = lock.acquire().await;
        // Not reentrant: the second acquisition waits for the first guard.
        assert!(move_on_after(ms(20), lock.acquire()).await.is_none());
        assert_eq!(lock.statistics().tasks_waiting, 0, "it left the line");
    }
}

#[anyio::test]
async fn lock_acquire_twice_sync() {
    let lock = Lock::new();
    forget(lock.try_acquire().unwrap());
    assert_eq!(lock.try_acquire().err(), Some(WouldBlock::default()));
}

async fn lock_cancel_during_acquire(release_first: bool) {
    let lock = Arc::new(Lock::new());
    let acquired = Arc::new(AtomicBool::new(false));
    let gone = Counter::new();
    let (l, a, g) = (lock.clone(), acquired.clone(), gone.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let held = l.acquire().await;
        let (lock, acquired, gone) = (l.clone(), a.clone(), g.clone());
        tg.start(|status: TaskStatus<()>| async move {
            let _gone = gone.on_drop();
            status.started(());
            let _guard = lock.acquire().await;
            acquired.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await?;
        tg.cancel();
        CancelScope::new()
            .shield(true)
            .run(async {
                if release_first {
                    drop(held);
                    wait_until(|| g.get() == 1).await;
                } else {
                    wait_until(|| l.statistics().tasks_waiting == 1 || g.get() == 1).await;
                    drop(held);
                }
            })
            .await;
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(!acquired.load(Ordering::SeqCst));
    assert!(!lock.locked());
}

#[anyio::test]
async fn lock_cancel_during_acquire_releaselast() {
    lock_cancel_during_acquire(false).await;
}

#[anyio::test]
async fn lock_cancel_during_acquire_releasefirst() {
    lock_cancel_during_acquire(true).await;
}

#[anyio::test]
async fn lock_statistics() {
    let lock = Arc::new(Lock::new());
    let l = lock.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        assert!(!l.statistics().locked);
        assert_eq!(l.statistics().tasks_waiting, 0);
        let _held = l.acquire().await;
        assert!(l.statistics().locked);
        assert_eq!(l.statistics().tasks_waiting, 0);
        for i in 1..=2 {
            let lock = l.clone();
            tg.spawn(async move {
                let _guard = lock.acquire().await;
                Ok(())
            })?;
            wait_until(|| l.statistics().tasks_waiting == i).await;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert!(!lock.statistics().locked);
    assert_eq!(lock.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn lock_asyncio_deadlock() {
    let lock = Arc::new(Lock::new());
    task_group(|tg: TaskGroup<Error>| async move {
        let acquire = |lock: Arc<Lock>| async move {
            let _guard = lock.acquire().await;
            checkpoint().await;
            Ok(())
        };
        let task1 = tg.spawn(acquire(lock.clone()))?;
        let task2 = tg.spawn(acquire(lock.clone()))?;
        checkpoint().await;
        task1.cancel();
        fail_after(PATIENCE, task2).await??;
        Ok(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn lock_cancel_after_release() {
    let lock = Lock::new();
    forget(lock.try_acquire().unwrap());
    let mut task1 = Box::pin(lock.acquire());
    assert!(poll_once(&mut task1).is_pending());
    // Handed over to `task1`, which is then cancelled natively (dropped) before it runs.
    lock.release().unwrap();
    assert!(lock.locked());
    drop(task1);
    let stats = lock.statistics();
    assert!(!stats.locked, "the dropped acquisition gave the lock back");
    assert_eq!(stats.tasks_waiting, 0);
    forget(lock.try_acquire().unwrap());
}

#[anyio::test]
async fn lock_cancelled_after_acquire() {
    let lock = Arc::new(Lock::new());
    forget(lock.try_acquire().unwrap());
    let l = lock.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let lock = l.clone();
        let task1 = tg.spawn(async move {
            forget(lock.acquire().await);
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        task1.cancel();
        l.release()?;
        wait_until(|| l.statistics().tasks_waiting == 0).await;
        let _guard = fail_after(PATIENCE, l.acquire()).await?;
        Ok(())
    })
    .await
    .unwrap();
    assert!(!lock.locked());
}

impl From<anyio::sync::NotLocked> for Error {
    fn from(e: anyio::sync::NotLocked) -> Self {
        Self::Anyio(e.to_string())
    }
}

#[anyio::test]
async fn lock_instantiate_outside_event_loop() {
    let lock = std::thread::spawn(|| {
        let lock = Lock::new();
        let stats = lock.statistics();
        assert!(!stats.locked);
        assert_eq!(stats.tasks_waiting, 0);
        lock
    })
    .join()
    .unwrap();
    let _guard = lock.acquire().await;
}

// ---------------------------------------------------------------------------------------
// TestEvent
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn event_event() {
    let event = Arc::new(Event::new());
    let e = event.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let setter = e.clone();
        tg.spawn(async move {
            assert!(!setter.is_set());
            setter.set();
            Ok(())
        })?;
        e.wait().await;
        Ok(())
    })
    .await
    .unwrap();
    assert!(event.is_set());
}

#[anyio::test]
async fn event_event_cancel() {
    let event = Arc::new(Event::new());
    let (task_started, event_set) = (Counter::new(), Counter::new());
    let (e, started, set) = (event.clone(), task_started.clone(), event_set.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let waiter = e.clone();
        tg.spawn(async move {
            started.bump();
            waiter.wait().await;
            set.bump();
            Ok(())
        })?;
        tg.cancel();
        e.set();
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(task_started.get(), 1);
    assert_eq!(event_set.get(), 0);
}

#[anyio::test]
async fn event_event_wait_before_set_before_cancel() {
    let event = Arc::new(Event::new());
    let (setter_started, waiter_woke) = (Counter::new(), Counter::new());
    let (e, started, woke) = (event.clone(), setter_started.clone(), waiter_woke.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let (event, group) = (e.clone(), tg.clone());
        tg.spawn(async move {
            // The host waits first in AnyIO's single-threaded loop.
            spin_until(|| event.statistics().tasks_waiting == 1);
            started.bump();
            assert!(!event.is_set());
            event.set();
            group.cancel();
            Ok(())
        })?;
        e.wait().await;
        woke.bump();
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(setter_started.get(), 1);
    assert_eq!(
        waiter_woke.get(),
        1,
        "set before the cancellation: the wait returned"
    );
}

#[anyio::test]
async fn event_statistics() {
    let event = Arc::new(Event::new());
    let e = event.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        assert_eq!(e.statistics().tasks_waiting, 0);
        for i in 1..=2 {
            let event = e.clone();
            tg.spawn(async move {
                event.wait().await;
                Ok(())
            })?;
            wait_until(|| e.statistics().tasks_waiting == i).await;
        }
        e.set();
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(event.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn event_instantiate_outside_event_loop() {
    let event = std::thread::spawn(|| {
        let event = Event::new();
        assert!(!event.is_set());
        assert_eq!(event.statistics().tasks_waiting, 0);
        event.set();
        assert!(event.is_set());
        event
    })
    .join()
    .unwrap();
    event.wait().await;
}

// ---------------------------------------------------------------------------------------
// TestCondition
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn condition_contextmanager() {
    let condition = Arc::new(Condition::new());
    let c = condition.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let guard = c.acquire().await;
        assert!(c.locked());
        let notifier = c.clone();
        tg.spawn(async move {
            let _guard = notifier.acquire().await;
            notifier.notify_all();
            Ok(())
        })?;
        let _guard = c.wait(guard).await;
        Ok(())
    })
    .await
    .unwrap();
    assert!(!condition.locked());
}

#[anyio::test]
async fn condition_manual_acquire() {
    let condition = Arc::new(Condition::new());
    let c = condition.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let guard = c.acquire().await;
        assert!(c.locked());
        let notifier = c.clone();
        tg.spawn(async move {
            let guard = notifier.acquire().await;
            notifier.notify_all();
            drop(guard); // the explicit release
            Ok(())
        })?;
        let guard = c.wait(guard).await;
        drop(guard);
        Ok(())
    })
    .await
    .unwrap();
    assert!(!condition.locked());
}

#[anyio::test]
async fn condition_acquire_nowait() {
    let condition = Condition::new();
    forget(condition.try_acquire().unwrap());
    assert!(condition.locked());
}

#[anyio::test]
async fn condition_acquire_nowait_wouldblock() {
    let condition = Arc::new(Condition::new());
    let c = condition.clone();
    let _held = condition.acquire().await;
    task_group(|tg: TaskGroup<Error>| async move {
        assert!(c.locked());
        tg.spawn(async move {
            assert_eq!(c.try_acquire().err(), Some(WouldBlock::default()));
            Ok(())
        })?;
        Ok(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn condition_wait_cancel() {
    let condition = Arc::new(Condition::new());
    let event = Arc::new(Event::new());
    let (task_started, notified) = (Counter::new(), Counter::new());
    let (c, e, started, n) = (
        condition.clone(),
        event.clone(),
        task_started.clone(),
        notified.clone(),
    );
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let (condition, event) = (c.clone(), e.clone());
        tg.spawn(async move {
            started.bump();
            let guard = condition.acquire().await;
            event.set();
            let _guard = condition.wait(guard).await;
            n.bump();
            Ok(())
        })?;
        e.wait().await;
        wait_until(|| c.statistics().tasks_waiting == 1).await;
        tg.cancel();
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(task_started.get(), 1);
    assert_eq!(notified.get(), 0);
    assert!(!condition.locked());
}

#[anyio::test]
async fn condition_notification_handover_on_cancel() {
    let condition = Arc::new(Condition::new());
    let c = condition.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let scope1 = CancelScope::new();
        let cancel1 = scope1.handle();
        let first = c.clone();
        tg.spawn(async move {
            scope1
                .run(async {
                    let guard = first.acquire().await;
                    let _guard = first.wait(guard).await;
                })
                .await;
            Ok(())
        })?;
        let second = c.clone();
        tg.spawn(async move {
            // `fail_after(3)`: if the notification is lost, the group fails.
            fail_after(PATIENCE, async {
                let guard = second.acquire().await;
                let _guard = second.wait(guard).await;
            })
            .await?;
            Ok(())
        })?;
        wait_until(|| c.statistics().tasks_waiting == 2).await;
        let _guard = c.acquire().await;
        cancel1.cancel();
        c.notify(1);
        Ok(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn condition_statistics() {
    let condition = Arc::new(Condition::new());
    let c = condition.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        assert!(!c.statistics().lock.locked);
        assert_eq!(c.statistics().tasks_waiting, 0);
        {
            let _guard = c.acquire().await;
            assert!(c.statistics().lock.locked);
            assert_eq!(c.statistics().tasks_waiting, 0);
        }
        for i in 1..=2 {
            let condition = c.clone();
            tg.spawn(async move {
                let guard = condition.acquire().await;
                let _guard = condition.wait(guard).await;
                Ok(())
            })?;
            wait_until(|| c.statistics().tasks_waiting == i).await;
        }
        for i in (0..2).rev() {
            let _guard = c.acquire().await;
            c.notify(1);
            assert_eq!(c.statistics().tasks_waiting, i);
        }
        Ok(())
    })
    .await
    .unwrap();
    assert!(!condition.statistics().lock.locked);
    assert_eq!(condition.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn condition_instantiate_outside_event_loop() {
    let condition = std::thread::spawn(|| {
        let condition = Condition::new();
        assert_eq!(condition.statistics().tasks_waiting, 0);
        condition
    })
    .join()
    .unwrap();
    let _guard = condition.acquire().await;
}

#[anyio::test]
async fn condition_wait_for() {
    let condition = Arc::new(Condition::new());
    let value: Arc<Mutex<Option<&'static str>>> = Arc::default();
    let result: Arc<Mutex<Option<&'static str>>> = Arc::default();
    let (c, v, r) = (condition.clone(), value.clone(), result.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        let (condition, value, result) = (c.clone(), v.clone(), r.clone());
        tg.spawn(async move {
            let guard = condition.acquire().await;
            let _guard = condition
                .wait_for(guard, || value.lock().unwrap().is_some())
                .await;
            *result.lock().unwrap() = *value.lock().unwrap();
            Ok(())
        })?;
        wait_until(|| c.statistics().tasks_waiting == 1).await;
        {
            let _guard = c.acquire().await;
            c.notify_all();
        }
        // Woken, the predicate still false: back in line.
        wait_until(|| c.statistics().tasks_waiting == 1).await;
        assert_eq!(*r.lock().unwrap(), None);
        *v.lock().unwrap() = Some("foo");
        let _guard = c.acquire().await;
        c.notify_all();
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(*result.lock().unwrap(), Some("foo"));
}

// ---------------------------------------------------------------------------------------
// TestSemaphore
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn semaphore_contextmanager() {
    let semaphore = Arc::new(Semaphore::new(2));
    let s = semaphore.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        for _ in 0..2 {
            let semaphore = s.clone();
            tg.spawn(async move {
                let _permit = semaphore.acquire().await;
                assert!(semaphore.value() <= 1);
                Ok(())
            })?;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 2);
}

#[anyio::test]
async fn semaphore_manual_acquire() {
    let semaphore = Arc::new(Semaphore::new(2));
    let s = semaphore.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        for _ in 0..2 {
            let semaphore = s.clone();
            tg.spawn(async move {
                semaphore.acquire().await.forget();
                assert!(semaphore.value() <= 1);
                semaphore.release().unwrap();
                Ok(())
            })?;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 2);
}

#[anyio::test]
async fn semaphore_fast_acquire() {
    let fast = Semaphore::new(1).fast_acquire(true);
    assert_eq!(polls_to_complete(fast.acquire()).await, 1, "no yield");
    let semaphore = Semaphore::new(1);
    assert_eq!(polls_to_complete(semaphore.acquire()).await, 2, "one yield");
}

#[anyio::test]
async fn semaphore_acquire_nowait() {
    let semaphore = Semaphore::new(1);
    semaphore.try_acquire().unwrap().forget();
    assert_eq!(semaphore.value(), 0);
    assert_eq!(semaphore.try_acquire().err(), Some(WouldBlock::default()));
}

async fn semaphore_cancel_during_acquire(release_first: bool) {
    let semaphore = Arc::new(Semaphore::new(1));
    let acquired = Arc::new(AtomicBool::new(false));
    let gone = Counter::new();
    let (s, a, g) = (semaphore.clone(), acquired.clone(), gone.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        s.acquire().await.forget();
        let (semaphore, acquired, gone) = (s.clone(), a.clone(), g.clone());
        tg.start(|status: TaskStatus<()>| async move {
            let _gone = gone.on_drop();
            status.started(());
            let _permit = semaphore.acquire().await;
            acquired.store(true, Ordering::SeqCst);
            Ok(())
        })
        .await?;
        tg.cancel();
        CancelScope::new()
            .shield(true)
            .run(async {
                if release_first {
                    s.release().unwrap();
                    wait_until(|| g.get() == 1).await;
                } else {
                    wait_until(|| s.statistics().tasks_waiting == 1 || g.get() == 1).await;
                    s.release().unwrap();
                }
            })
            .await;
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert!(!acquired.load(Ordering::SeqCst));
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn semaphore_cancel_during_acquire_releaselast() {
    semaphore_cancel_during_acquire(false).await;
}

#[anyio::test]
async fn semaphore_cancel_during_acquire_releasefirst() {
    semaphore_cancel_during_acquire(true).await;
}

#[anyio::test]
async fn semaphore_max_value() {
    assert_eq!(
        Semaphore::with_max_value(0, 2).unwrap().max_value(),
        Some(2)
    );
    assert_eq!(Semaphore::new(0).max_value(), None);
}

#[anyio::test]
async fn semaphore_max_value_exceeded() {
    let semaphore = Semaphore::with_max_value(1, 2).unwrap();
    semaphore.release().unwrap();
    assert_eq!(semaphore.release(), Err(SemaphoreFull::default()));
}

#[anyio::test]
async fn semaphore_statistics() {
    let semaphore = Arc::new(Semaphore::new(1));
    let s = semaphore.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        assert_eq!(s.statistics().tasks_waiting, 0);
        let _permit = s.acquire().await;
        assert_eq!(s.statistics().tasks_waiting, 0);
        for i in 1..=2 {
            let semaphore = s.clone();
            tg.spawn(async move {
                let _permit = semaphore.acquire().await;
                Ok(())
            })?;
            wait_until(|| s.statistics().tasks_waiting == i).await;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
}

#[anyio::test]
async fn semaphore_acquire_race() {
    let semaphore = Arc::new(Semaphore::new(1));
    let s = semaphore.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        s.try_acquire().unwrap().forget();
        let semaphore = s.clone();
        tg.spawn(async move {
            semaphore.acquire().await.forget();
            Ok(())
        })?;
        wait_until(|| s.statistics().tasks_waiting == 1).await;
        s.release().unwrap();
        // The released unit belongs to the waiter now, even before it runs.
        assert_eq!(s.try_acquire().err(), Some(WouldBlock::default()));
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 0);
}

#[anyio::test]
async fn semaphore_asyncio_deadlock() {
    let semaphore = Arc::new(Semaphore::new(1));
    task_group(|tg: TaskGroup<Error>| async move {
        let acquire = |semaphore: Arc<Semaphore>| async move {
            let _permit = semaphore.acquire().await;
            checkpoint().await;
            Ok(())
        };
        let task1 = tg.spawn(acquire(semaphore.clone()))?;
        let task2 = tg.spawn(acquire(semaphore.clone()))?;
        checkpoint().await;
        task1.cancel();
        fail_after(PATIENCE, task2).await??;
        Ok(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn semaphore_cancel_after_release() {
    let semaphore = Semaphore::with_max_value(0, 1).unwrap();
    let mut task1 = Box::pin(semaphore.acquire());
    assert!(poll_once(&mut task1).is_pending());
    // Handed over to `task1`, which is then cancelled natively (dropped) before it runs.
    semaphore.release().unwrap();
    assert_eq!(semaphore.value(), 0);
    drop(task1);
    assert_eq!(
        semaphore.value(),
        1,
        "the dropped acquisition gave the unit back"
    );
    assert_eq!(semaphore.statistics().tasks_waiting, 0);
    semaphore.try_acquire().unwrap().forget();
}

#[anyio::test]
async fn semaphore_cancelled_after_acquire() {
    let semaphore = Arc::new(Semaphore::with_max_value(1, 1).unwrap());
    semaphore.try_acquire().unwrap().forget();
    let s = semaphore.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let semaphore = s.clone();
        let task1 = tg.spawn(async move {
            semaphore.acquire().await.forget();
            Ok(())
        })?;
        wait_until(|| s.statistics().tasks_waiting == 1).await;
        task1.cancel();
        s.release().unwrap();
        wait_until(|| s.statistics().tasks_waiting == 0).await;
        let _permit = fail_after(PATIENCE, s.acquire()).await?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(semaphore.value(), 1);
}

#[anyio::test]
async fn semaphore_instantiate_outside_event_loop() {
    let semaphore = std::thread::spawn(|| {
        let semaphore = Semaphore::with_max_value(1, 3).unwrap();
        assert_eq!(semaphore.value(), 1);
        assert_eq!(semaphore.max_value(), Some(3));
        assert_eq!(semaphore.statistics().tasks_waiting, 0);
        semaphore
    })
    .join()
    .unwrap();
    let _permit = semaphore.acquire().await;
}

// ---------------------------------------------------------------------------------------
// TestCapacityLimiter
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn capacity_limiter_zero_tokens() {
    let limiter = CapacityLimiter::new(0);
    assert_eq!(limiter.total_tokens(), 0);
    assert!(limiter.try_acquire().is_err());
}

#[anyio::test]
async fn capacity_limiter_borrow() {
    let limiter = CapacityLimiter::new(2);
    assert_eq!(limiter.total_tokens(), 2);
    assert_eq!(limiter.available_tokens(), 2);
    assert_eq!(limiter.borrowed_tokens(), 0);
    let _token = limiter.acquire().await;
    assert_eq!(limiter.total_tokens(), 2);
    assert_eq!(limiter.available_tokens(), 1);
    assert_eq!(limiter.borrowed_tokens(), 1);
}

#[anyio::test]
async fn capacity_limiter_limit() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let value = Arc::new(AtomicBool::new(false));
    let (l, v) = (limiter.clone(), value.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        for _ in 0..3 {
            let (limiter, value) = (l.clone(), v.clone());
            tg.spawn(async move {
                for _ in 0..5 {
                    let _token = limiter.acquire().await;
                    assert!(!value.swap(true, Ordering::SeqCst), "two holders at once");
                    for _ in 0..3 {
                        checkpoint().await; // the others run meanwhile
                    }
                    value.store(false, Ordering::SeqCst);
                }
                Ok(())
            })?;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn capacity_limiter_borrow_twice() {
    let limiter = CapacityLimiter::new(1);
    let me = Borrower::new(1);
    limiter.acquire_on_behalf_of(me).await.unwrap();
    let error = limiter.acquire_on_behalf_of(me).await.unwrap_err();
    assert_eq!(error, AlreadyBorrowed::default());
    assert!(error.to_string().contains("already holds"), "{error}");
}

#[anyio::test]
async fn capacity_limiter_bad_release() {
    let limiter = CapacityLimiter::new(1);
    let error = limiter.release_on_behalf_of(Borrower::new(1)).unwrap_err();
    assert_eq!(error, NotBorrowed::default());
    assert!(error.to_string().contains("holds no token"), "{error}");
}

#[anyio::test]
async fn capacity_limiter_increase_tokens() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let (event1, event2) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (l, e1, e2) = (limiter.clone(), event1.clone(), event2.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        let (limiter, event1, event2) = (l.clone(), e1.clone(), e2.clone());
        tg.spawn(async move {
            // Until `waiter` is inside the limiter.
            event1.wait().await;
            let _token = limiter.acquire().await;
            // Only possible once the total was raised.
            event2.set();
            Ok(())
        })?;
        let (limiter, event1, event2) = (l.clone(), e1.clone(), e2.clone());
        tg.spawn(async move {
            let _token = limiter.acquire().await;
            event1.set();
            event2.wait().await;
            Ok(())
        })?;
        wait_until(|| e1.is_set() && l.statistics().tasks_waiting == 1).await;
        assert!(!e2.is_set());
        l.set_total_tokens(2);
        Ok(())
    })
    .await
    .unwrap();
    assert!(event2.is_set());
}

#[anyio::test]
async fn capacity_limiter_current_default_thread_limiter() {
    let limiter = to_thread::current_default_thread_limiter();
    assert_eq!(limiter.total_tokens(), 40);
}

#[anyio::test]
async fn capacity_limiter_statistics() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    assert_eq!(limiter.statistics().total_tokens, 1);
    assert_eq!(limiter.statistics().borrowed_tokens, 0);
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    let l = limiter.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let _token = l.acquire().await;
        assert_eq!(l.statistics().borrowed_tokens, 1);
        assert_eq!(l.statistics().tasks_waiting, 0);
        for i in 1..=2 {
            let limiter = l.clone();
            tg.spawn(async move {
                let _token = limiter.acquire().await;
                Ok(())
            })?;
            wait_until(|| l.statistics().tasks_waiting == i).await;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.statistics().tasks_waiting, 0);
    assert_eq!(limiter.statistics().borrowed_tokens, 0);
}

#[anyio::test]
async fn capacity_limiter_asyncio_deadlock() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    task_group(|tg: TaskGroup<Error>| async move {
        let acquire = |limiter: Arc<CapacityLimiter>| async move {
            let _token = limiter.acquire().await;
            checkpoint().await;
            Ok(())
        };
        let task1 = tg.spawn(acquire(limiter.clone()))?;
        let task2 = tg.spawn(acquire(limiter.clone()))?;
        checkpoint().await;
        task1.cancel();
        fail_after(PATIENCE, task2).await??;
        Ok(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn capacity_limiter_ordered_queue() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let results = Log::new();
    let event = Arc::new(Event::new());
    let (l, r, e) = (limiter.clone(), results.clone(), event.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        for (i, name) in ["0", "1", "2"].into_iter().enumerate() {
            let (limiter, results, event) = (l.clone(), r.clone(), e.clone());
            tg.start(|status: TaskStatus<()>| async move {
                status.started(());
                let _token = limiter.acquire().await;
                event.wait().await;
                results.push(name);
                Ok(())
            })
            .await?;
            // In line (or holding the token) before the next one starts.
            wait_until(|| {
                let stats = l.statistics();
                stats.borrowed_tokens + stats.tasks_waiting == i + 1
            })
            .await;
        }
        e.set();
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(results.events(), ["0", "1", "2"]);
}

#[anyio::test]
async fn capacity_limiter_increase_tokens_lets_others_acquire() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let entered: Arc<Vec<Event>> = Arc::new((0..3).map(|_| Event::new()).collect());
    let proceed = Arc::new(Event::new());
    let (l, en, p) = (limiter.clone(), entered.clone(), proceed.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        let worker = |i: usize| {
            let (limiter, entered, proceed) = (l.clone(), en.clone(), p.clone());
            async move {
                let _token = limiter.acquire().await;
                entered[i].set();
                proceed.wait().await;
                Ok(())
            }
        };
        tg.spawn(worker(0))?;
        tg.spawn(worker(1))?;
        // One of them holds the token, the other waits.
        wait_until(|| l.statistics().tasks_waiting == 1 && en.iter().any(Event::is_set)).await;
        assert_eq!(en.iter().filter(|e| e.is_set()).count(), 1);
        // Raise the total and start another worker: everyone gets in.
        l.set_total_tokens(3);
        tg.spawn(worker(2))?;
        fail_after(PATIENCE, async {
            for event in en.iter() {
                event.wait().await;
            }
        })
        .await?;
        p.set();
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn capacity_limiter_instantiate_outside_event_loop() {
    let limiter = std::thread::spawn(|| {
        let limiter = CapacityLimiter::new(1);
        limiter.set_total_tokens(2);
        assert_eq!(limiter.total_tokens(), 2);
        assert_eq!(limiter.borrowed_tokens(), 0);
        let stats = limiter.statistics();
        assert_eq!(stats.total_tokens, 2);
        assert_eq!(stats.borrowed_tokens, 0);
        assert_eq!(stats.borrowers, 0);
        assert_eq!(stats.tasks_waiting, 0);
        limiter
    })
    .join()
    .unwrap();
    let _token = limiter.acquire().await;
}

#[anyio::test]
async fn capacity_limiter_zero_tokens_outside_event_loop() {
    std::thread::spawn(|| {
        let limiter = CapacityLimiter::new(1);
        limiter.set_total_tokens(0);
        assert_eq!(limiter.total_tokens(), 0);
        assert_eq!(CapacityLimiter::new(0).total_tokens(), 0);
    })
    .join()
    .unwrap();
}

/// `math.inf` tokens: `usize::MAX` is the total without a limit.
#[anyio::test]
async fn capacity_limiter_float_infinity_outside_event_loop() {
    std::thread::spawn(|| {
        assert_eq!(CapacityLimiter::new(usize::MAX).total_tokens(), usize::MAX);
        let limiter = CapacityLimiter::new(1);
        limiter.set_total_tokens(usize::MAX);
        assert_eq!(limiter.total_tokens(), usize::MAX);
        let tokens: Vec<_> = (0..1000).map(|_| limiter.try_acquire().unwrap()).collect();
        assert_eq!(limiter.borrowed_tokens(), tokens.len());
    })
    .join()
    .unwrap();
}

#[anyio::test]
async fn capacity_limiter_acquire_cancelled() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let l = limiter.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let borrower = |event: Arc<Event>| {
            let limiter = l.clone();
            move |status: TaskStatus<CancelHandle>| async move {
                let scope = CancelScope::new();
                status.started(scope.handle());
                scope
                    .run(async {
                        let _token = limiter.acquire().await;
                        event.set();
                        checkpoint().await;
                    })
                    .await;
                Ok(())
            }
        };
        let held = l.acquire().await;
        let (event1, event2) = (Arc::new(Event::new()), Arc::new(Event::new()));
        let scope1 = tg.start(borrower(event1.clone())).await?;
        tg.start(borrower(event2.clone())).await?;
        wait_until(|| l.statistics().tasks_waiting == 2).await;
        scope1.cancel();
        drop(held);
        fail_after(PATIENCE, event2.wait())
            .await
            .expect("the second borrower failed to acquire the limiter");
        assert!(!event1.is_set());
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}

#[anyio::test]
async fn capacity_limiter_acquire_nowait() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let _held = limiter.try_acquire().unwrap();
    let l = limiter.clone();
    let outcome = task_group(|tg: TaskGroup<WouldBlock>| async move {
        tg.spawn(async move { l.try_acquire().map(drop) }).unwrap();
        Ok(())
    })
    .await;
    assert_eq!(outcome.unwrap_err().into_errors(), [WouldBlock::default()]);
}

#[anyio::test]
async fn capacity_limiter_acquire_on_behalf_of_nowait() {
    let (borrower1, borrower2) = (Borrower::new(1), Borrower::new(2));
    let limiter = CapacityLimiter::new(1);
    limiter.try_acquire_on_behalf_of(borrower1).unwrap();
    assert_eq!(
        limiter.try_acquire_on_behalf_of(borrower2),
        Err(TryBorrowError::WouldBlock(WouldBlock::default()))
    );
}

#[anyio::test]
async fn capacity_limiter_nowait_acquire_after_release_does_not_oversubscribe() {
    let limiter = Arc::new(CapacityLimiter::new(1));
    let (a, b, x) = (Borrower::new(1), Borrower::new(2), Borrower::new(3));
    limiter.try_acquire_on_behalf_of(a).unwrap();
    let l = limiter.clone();
    task_group(|tg: TaskGroup<Error>| async move {
        let limiter = l.clone();
        tg.spawn(async move {
            limiter.acquire_on_behalf_of(b).await.unwrap();
            Ok(())
        })?;
        wait_until(|| l.statistics().tasks_waiting == 1).await;
        // Frees the only token and hands it to the still parked `b`.
        l.release_on_behalf_of(a).unwrap();
        assert_eq!(
            l.try_acquire_on_behalf_of(x),
            Err(TryBorrowError::WouldBlock(WouldBlock::default()))
        );
        Ok(())
    })
    .await
    .unwrap();
    assert!(limiter.borrowed_tokens() <= limiter.total_tokens());
    assert_eq!(limiter.statistics().borrowers, 1, "`b` holds it");
    limiter.release_on_behalf_of(b).unwrap();
    assert_eq!(limiter.borrowed_tokens(), 0);
}
