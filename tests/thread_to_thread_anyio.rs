//! AnyIO's `tests/test_to_thread.py`, translated: running blocking closures on worker
//! threads, limiters, cancellation with and without abandoning the thread.
//!
//! How the Python maps to Rust here:
//! - `threading.Event` = a [`Gate`] (a mutex and a condition variable) with a timeout;
//!   `concurrent.futures.Future` = a channel.
//! - A raised exception = a panic: it reaches the awaiting task with its payload.
//! - `finally:` = a drop guard ([`spec::defer`]).
//! - Runtimes are multi-threaded: where AnyIO relies on a child not having run yet, the child
//!   spins on the host's action first ([`spec::spin_until`]).
//!
//! Not translated (no meaning in Rust):
//! - `test_deprecated_cancellable_param`: no deprecated parameter.
//! - `test_contextvar_propagation`: there are no context variables; thread-locals stay with
//!   their thread.
//! - `test_asyncio_no_root_task`, `test_asyncio_future_callback_partial`,
//!   `test_asyncio_run_sync_no_asyncio_run`, `test_asyncio_run_sync_multiple`: asyncio's root
//!   task, done callbacks and loop shutdown hooks; a runtime started natively is covered by
//!   `tests/runtime_native.rs`.
//! - `test_stopiteration`: Python's generator protocol.
//! - `TestBlockingPortalProvider` (3 tests): there is no portal provider; a
//!   [`BlockingPortal`](anyio::BlockingPortal) is shared by reference or in an `Arc`.
//! - `test_asyncio_run_does_not_leak_event_loop`: the garbage collector; the closure's own
//!   references are checked by `test_run_sync_worker_cyclic_references`.

mod common;
mod spec;

use std::collections::HashSet;
use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::{Context, Waker};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use anyio::sync::{CapacityLimiter, Event};
use anyio::{fail_after, from_thread, task_group, to_thread, Backend, TaskGroup};
use common::{ms, wait_until, Counter};
use futures_util::FutureExt;
use spec::{defer, spin_until, Error};

const PATIENCE: Duration = Duration::from_secs(10);

/// Python's `threading.Event`: threads block on it until it is set.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    /// Waits until the gate is open or `timeout` passed; whether it is open.
    fn wait(&self, timeout: Duration) -> bool {
        let (open, changed) = &*self.0;
        let deadline = Instant::now() + timeout;
        let mut is_open = open.lock().unwrap();
        while !*is_open {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            is_open = changed.wait_timeout(is_open, left).unwrap().0;
        }
        true
    }

    fn set(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }
}

#[anyio::test]
async fn run_in_thread_cancelled() {
    let state = Arc::new(AtomicUsize::new(0));
    let cancelled = Arc::new(AtomicBool::new(false));
    let (s, c) = (state.clone(), cancelled.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        tg.spawn(async move {
            spin_until(|| c.load(Ordering::SeqCst));
            s.store(1, Ordering::SeqCst);
            let thread_state = s.clone();
            to_thread::run_sync(move || thread_state.store(2, Ordering::SeqCst)).await;
            s.store(3, Ordering::SeqCst);
            Ok(())
        })?;
        tg.cancel();
        cancelled.store(true, Ordering::SeqCst);
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(state.load(Ordering::SeqCst), 1, "the closure never ran");
}

#[anyio::test]
async fn run_in_thread_exception() {
    let payload = AssertUnwindSafe(to_thread::run_sync(|| -> u8 { panic!("foo") }).into_future())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"foo"));
}

#[anyio::test]
async fn run_in_custom_limiter() {
    let gate = Gate::default();
    let threads_started = Arc::new(Event::new());
    let limiter = Arc::new(CapacityLimiter::new(3));
    let active: Arc<Mutex<HashSet<ThreadId>>> = Arc::default();
    let max_active = Arc::new(AtomicUsize::new(0));
    let (g, started, l, a, m) = (
        gate.clone(),
        threads_started.clone(),
        limiter.clone(),
        active.clone(),
        max_active.clone(),
    );
    task_group(|tg: TaskGroup<Error>| async move {
        for _ in 0..4 {
            let (gate, started, limiter, active, max_active) =
                (g.clone(), started.clone(), l.clone(), a.clone(), m.clone());
            tg.spawn(async move {
                to_thread::run_sync(move || {
                    let now = {
                        let mut active = active.lock().unwrap();
                        active.insert(thread::current().id());
                        active.len()
                    };
                    max_active.fetch_max(now, Ordering::SeqCst);
                    if now == 3 {
                        let started = started.clone();
                        from_thread::run_sync(move || started.set()).unwrap();
                    }
                    gate.wait(PATIENCE);
                    active.lock().unwrap().remove(&thread::current().id());
                })
                .limiter(limiter)
                .await;
                Ok(())
            })?;
        }
        started.wait().await;
        assert_eq!(a.lock().unwrap().len(), 3);
        assert_eq!(l.borrowed_tokens(), 3);
        g.set();
        Ok(())
    })
    .await
    .unwrap();
    assert!(active.lock().unwrap().is_empty());
    assert_eq!(max_active.load(Ordering::SeqCst), 3);
}

/// `test_cancel_worker_thread`: the cancellation of a task that runs a worker thread is acted
/// on only when the thread has finished, unless the call abandons the thread; either way the
/// thread's `from_thread::run_sync` calls still run.
async fn cancel_worker_thread(abandon_on_cancel: bool, expected_last_active: &'static str) {
    let last_active: Arc<Mutex<Option<&'static str>>> = Arc::default();
    let sleep_event = Arc::new(Event::new());
    let finish_event = Arc::new(Event::new());
    let (last, sleep, finish) = (
        last_active.clone(),
        sleep_event.clone(),
        finish_event.clone(),
    );
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let (thread_last, task_last) = (last.clone(), last.clone());
        let (sleep_set, finish_set) = (sleep.clone(), finish.clone());
        tg.spawn(async move {
            let _finally = defer(move || *task_last.lock().unwrap() = Some("task"));
            to_thread::run_sync(move || {
                from_thread::run_sync(move || sleep_set.set()).unwrap();
                // AnyIO sleeps 0.2 s; here the thread waits for what it must outlast.
                if abandon_on_cancel {
                    spin_until(|| *thread_last.lock().unwrap() == Some("task"));
                } else {
                    spin_until(|| from_thread::check_cancelled().is_err());
                }
                *thread_last.lock().unwrap() = Some("thread");
                from_thread::run_sync(move || finish_set.set()).unwrap();
            })
            .abandon_on_cancel(abandon_on_cancel)
            .await;
            Ok(())
        })?;
        sleep.wait().await;
        tg.cancel();
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    fail_after(PATIENCE, finish_event.wait())
        .await
        .expect("the thread's last from_thread::run_sync ran");
    assert_eq!(*last_active.lock().unwrap(), Some(expected_last_active));
}

#[anyio::test]
async fn cancel_worker_thread_noabandon() {
    cancel_worker_thread(false, "task").await;
}

#[anyio::test]
async fn cancel_worker_thread_abandon() {
    cancel_worker_thread(true, "thread").await;
}

#[anyio::test]
async fn cancel_wait_on_thread() {
    let gate = Gate::default();
    let (tx, rx) = mpsc::channel();
    let g = gate.clone();
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        tg.spawn(async move {
            to_thread::run_sync(move || {
                s.store(true, Ordering::SeqCst);
                tx.send(g.wait(Duration::from_secs(5))).unwrap();
            })
            .abandon_on_cancel(true)
            .await;
            Ok(())
        })?;
        wait_until(|| started.load(Ordering::SeqCst)).await;
        tg.cancel();
        Ok(())
    })
    .await;
    assert!(
        outcome.unwrap_err().is_cancelled(),
        "returned while the thread waits"
    );
    let g = gate.clone();
    to_thread::run_sync(move || g.set()).await;
    let result = to_thread::run_sync(move || rx.recv_timeout(Duration::from_secs(5)))
        .await
        .unwrap();
    assert!(result, "the abandoned thread saw the gate open");
}

/// `test_asynclib_detection`: no async library runs in a worker thread. anyio's detection in a
/// thread it has not marked is the documented one (`AnyRuntime`'s docs): tokio's context,
/// which tokio also sets on its blocking pool threads, else the smol fallback, which serves
/// any thread. anyio does not mark its workers: `anyio::run` works in them.
#[anyio::test]
async fn asynclib_detection() {
    let host = Backend::current();
    let in_worker = to_thread::run_sync(Backend::current).await;
    let expected = if host == Some(Backend::Tokio) {
        host
    } else if cfg!(feature = "smol") {
        Some(Backend::Smol)
    } else {
        None
    };
    assert_eq!(in_worker, expected);
}

/// `test_asyncio_cancel_native_task`: cancelling the awaiting task natively (here: dropping
/// the call, as a foreign `select!` does) while an abandonable thread runs leaves the thread
/// to finish on its own, with no error anywhere.
#[anyio::test]
async fn asyncio_cancel_native_task() {
    let finished = Arc::new(AtomicBool::new(false));
    let f = finished.clone();
    let mut call = to_thread::run_sync(move || {
        thread::sleep(ms(50));
        f.store(true, Ordering::SeqCst);
    })
    .abandon_on_cancel(true)
    .into_future();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut call).poll(&mut cx).is_pending());
    drop(call);
    wait_until(|| finished.load(Ordering::SeqCst)).await;
}

/// `test_asyncio_no_recycle_stopping_worker`: worker threads keep serving calls that follow
/// each other from two tasks, without hanging.
#[anyio::test]
async fn asyncio_no_recycle_stopping_worker() {
    let (event1, event2) = (Arc::new(Event::new()), Arc::new(Event::new()));
    let (e1, e2) = (event1.clone(), event2.clone());
    fail_after(
        PATIENCE,
        task_group(|tg: TaskGroup<Error>| async move {
            let (event1, event2) = (e1.clone(), e2.clone());
            tg.spawn(async move {
                to_thread::run_sync(|| thread::sleep(Duration::ZERO)).await;
                event1.set();
                event2.wait().await;
                Ok(())
            })?;
            let (event1, event2) = (e1.clone(), e2.clone());
            tg.spawn(async move {
                event1.wait().await;
                event2.set();
                to_thread::run_sync(|| thread::sleep(Duration::ZERO)).await;
                to_thread::run_sync(|| thread::sleep(Duration::ZERO)).await;
                Ok(())
            })?;
            Ok(())
        }),
    )
    .await
    .expect("a worker call hung")
    .unwrap();
}

/// `test_run_sync_worker_cyclic_references`: once the call returned, nothing holds on to the
/// closure or what it captured.
#[anyio::test]
async fn run_sync_worker_cyclic_references() {
    let arg = Arc::new(Counter::new());
    let a = arg.clone();
    to_thread::run_sync(move || a.bump()).await;
    anyio::checkpoint().await;
    assert_eq!(arg.get(), 1);
    assert_eq!(
        Arc::strong_count(&arg),
        1,
        "the closure and its captures are gone"
    );
}
