//! AnyIO's `tests/test_from_thread.py`, translated: worker threads calling back into the
//! event loop (`from_thread`), their cancellation, and blocking portals.
//!
//! How the Python maps to Rust here:
//! - `threading.Event` = a [`Gate`] with a timeout; a raised exception = a panic, which
//!   reaches the other side with its payload; `except Cancelled:` / `finally:` = drop guards
//!   ([`spec::defer`]).
//! - `sniffio.current_async_library()` = [`Backend::current`].
//! - A portal always runs its own runtime on its own thread. AnyIO's `async with
//!   BlockingPortal()` (a portal in the test's own event loop) becomes a portal started on
//!   the test's backend, used from a worker thread, since its calls block.
//!
//! Where we deliberately differ, the test asserts our behaviour:
//! - `test_cancelscope_propagation_when_abandoned`: AnyIO lets a future sent by an abandoned
//!   worker run on after the call returned. anyio runs it inside the caller's scope, so it
//!   ends with that scope: nothing started on behalf of a cancelled scope outlives it, and the
//!   worker gets `FromThreadError::Cancelled` (`from_thread`'s module docs say so).
//!
//! Not translated (no meaning in Rust):
//! - `test_run_asyncgen_from_thread`, `TestBlockingPortal::test_call_anext`: async generators.
//! - `test_run_async_from_unclaimed_thread`, `test_run_sync_from_unclaimed_thread`,
//!   `test_run_async_closed_event_loop`, `test_run_sync_closed_event_loop`: event loop tokens
//!   (`current_token()`); a thread that is no worker reaches the event loop through a
//!   `BlockingPortal` instead.
//! - `test_run_sync_from_thread_pooling`: reusing worker threads is the backend's blocking
//!   pool's business.
//! - `test_contextvar_propagation` (both classes), `TestBlockingPortal::
//!   test_contextvar_propagation_sync` / `_async`: there are no context variables.
//! - `test_start_with_thread_name`, `test_start_without_thread_name`,
//!   `test_start_task_soon_with_name`, `test_start_with_name`: there are no task names, and a
//!   portal's tasks run on its runtime's worker threads, not on one named thread.
//! - `test_async_context_manager_success`, `_error`, `_error_ignore`,
//!   `_exception_in_task_group`: there is no `wrap_async_context_manager` (Rust has no async
//!   context managers).
//! - `test_start_no_value`, `test_start_with_value`, `test_start_non_corofunc`,
//!   `test_start_crash_before_started_call`, `test_start_crash_after_started_call`,
//!   `test_start_no_started_call`: the portal has no `start_task` (a task that reports it
//!   started); only `call`, `call_sync` and `start_task_soon`.
//! - `test_asyncio_run_sync_called`: asyncio's logging of a `CancelledError` raised by a task.
//! - `test_raise_baseexception_from_task`: skipped upstream.

use crate::common;
use crate::spec;

use std::future::IntoFuture;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyio::from_thread::{self, FromThreadError};
use anyio::portal::PortalError;
use anyio::sync::Event;
use anyio::{
    checkpoint, fail_after, sleep, sleep_forever, start_blocking_portal, task_group, to_thread,
    Backend, BlockingPortal, CancelScope, TaskGroup,
};
use common::{wait_until, Counter, Watchdog};
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

async fn async_add(a: u32, b: u32) -> u32 {
    checkpoint().await;
    a + b
}

/// Runs `f` on a worker thread with a portal on the test's own backend, then stops the
/// portal. A watchdog turns a deadlock into a failure.
async fn with_portal<T: Send + 'static>(
    what: &'static str,
    f: impl FnOnce(&Arc<BlockingPortal>) -> T + Send + 'static,
) -> T {
    let _watchdog = Watchdog::new(what, Duration::from_secs(30));
    let backend = Backend::current().expect("inside a runtime");
    to_thread::run_sync(move || {
        let portal = Arc::new(start_blocking_portal(backend).expect("the portal starts"));
        let output = f(&portal);
        portal.stop(false);
        output
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Module-level tests: cancellation of worker threads
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn thread_cancelled() {
    let gate = Gate::default();
    let (started, finished) = (Counter::new(), Counter::new());
    let (g, s, f) = (gate.clone(), started.clone(), finished.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        let (gate, group, started) = (g.clone(), tg.clone(), s.clone());
        tg.spawn(async move {
            wait_until(|| started.get() == 1).await;
            group.cancel();
            gate.set();
            Ok(())
        })?;
        to_thread::run_sync(move || {
            s.bump();
            g.wait(PATIENCE);
            if from_thread::check_cancelled().is_err() {
                return;
            }
            f.bump();
        })
        .await;
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    assert_eq!(started.get(), 1);
    assert_eq!(finished.get(), 0);
}

#[anyio::test]
async fn thread_cancelled_and_abandoned() {
    let gate = Gate::default();
    let started = Counter::new();
    let (tx, rx) = mpsc::channel();
    let (g, s) = (gate.clone(), started.clone());
    let outcome = task_group(|tg: TaskGroup<Error>| async move {
        tg.spawn(async move {
            to_thread::run_sync(move || {
                s.bump();
                g.wait(PATIENCE);
                tx.send(from_thread::check_cancelled()).unwrap();
            })
            .abandon_on_cancel(true)
            .await;
            Ok(())
        })?;
        wait_until(|| started.get() == 1).await;
        tg.cancel();
        Ok(())
    })
    .await;
    assert!(outcome.unwrap_err().is_cancelled());
    gate.set();
    let seen = to_thread::run_sync(move || rx.recv_timeout(PATIENCE))
        .await
        .unwrap();
    assert_eq!(seen, Err(FromThreadError::Cancelled));
}

#[anyio::test]
async fn thread_cancelled_not_in_worker_thread() {
    let error = from_thread::check_cancelled().unwrap_err();
    assert_eq!(error, FromThreadError::NotInWorker);
    assert!(
        error.to_string().contains("outside a to_thread worker"),
        "{error}"
    );
}

#[anyio::test]
async fn cancelscope_propagation() {
    let scope = CancelScope::new();
    let handle = scope.handle();
    let h = handle.clone();
    let outcome = scope
        .run(
            to_thread::run_sync(move || {
                from_thread::run(async move {
                    h.cancel();
                    fail_after(Duration::from_secs(1), sleep(Duration::from_secs(3))).await
                })
            })
            .into_future(),
        )
        .await;
    assert!(outcome.is_none());
    assert!(handle.cancelled_caught());
}

#[anyio::test]
async fn cancelscope_propagation_when_abandoned() {
    let host_cancelled = Arc::new(Event::new());
    let (completed, dropped) = (Counter::new(), Counter::new());
    let (tx, rx) = mpsc::channel();
    let scope = CancelScope::new();
    let handle = scope.handle();
    let (h, e, c, d) = (
        handle.clone(),
        host_cancelled.clone(),
        completed.clone(),
        dropped.clone(),
    );
    let outcome = scope
        .run(
            to_thread::run_sync(move || {
                let result = from_thread::run(async move {
                    let _dropped = d.on_drop();
                    h.cancel();
                    let _ = fail_after(Duration::from_secs(3), e.wait()).await;
                    c.bump();
                });
                tx.send(result).unwrap();
            })
            .abandon_on_cancel(true)
            .into_future(),
        )
        .await;
    assert!(outcome.is_none());
    assert!(handle.cancelled_caught());
    host_cancelled.set();
    let result = to_thread::run_sync(move || rx.recv_timeout(PATIENCE))
        .await
        .unwrap();
    assert_eq!(
        result,
        Err(FromThreadError::Cancelled),
        "it ended with the scope"
    );
    assert_eq!(dropped.get(), 1);
    assert_eq!(completed.get(), 0);
}

// ---------------------------------------------------------------------------------------
// TestRunAsyncFromThread
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn run_corofunc_from_thread() {
    let result = to_thread::run_sync(|| {
        let worker = thread::current().id();
        from_thread::run(async move {
            assert_ne!(thread::current().id(), worker, "back on the event loop");
            async_add(1, 2).await
        })
    })
    .await;
    assert_eq!(result, Ok(3));
}

#[anyio::test]
async fn run_sync_from_thread() {
    let result = to_thread::run_sync(|| {
        let worker = thread::current().id();
        from_thread::run_sync(move || {
            assert_ne!(thread::current().id(), worker, "back on the event loop");
            1 + 2
        })
    })
    .await;
    assert_eq!(result, Ok(3));
}

#[anyio::test]
async fn run_async_from_thread_exception() {
    let call = to_thread::run_sync(|| from_thread::run(async { panic!("unsupported operand") }));
    let payload = AssertUnwindSafe(call.into_future())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"unsupported operand"));
}

#[anyio::test]
async fn run_sync_from_thread_exception() {
    let call = to_thread::run_sync(|| from_thread::run_sync(|| panic!("unsupported operand")));
    let payload = AssertUnwindSafe(call.into_future())
        .catch_unwind()
        .await
        .unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"unsupported operand"));
}

#[anyio::test]
async fn run_anyio_async_func_from_thread() {
    let worked = to_thread::run_sync(|| from_thread::run(sleep(Duration::ZERO)).is_ok()).await;
    assert!(worked);
}

#[anyio::test]
async fn run_async_no_event_loop() {
    let error = thread::spawn(|| from_thread::run(sleep(Duration::from_millis(100))))
        .join()
        .unwrap()
        .unwrap_err();
    assert_eq!(error, FromThreadError::NotInWorker);
    assert!(
        error.to_string().contains("outside a to_thread worker"),
        "{error}"
    );
}

#[anyio::test]
async fn run_async_sniffio() {
    let host = Backend::current();
    let seen = to_thread::run_sync(|| from_thread::run(async { Backend::current() })).await;
    assert_eq!(seen, Ok(host));
}

// ---------------------------------------------------------------------------------------
// TestRunSyncFromThread
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn run_sync_from_unclaimed_thread_no_token() {
    let error = thread::spawn(|| from_thread::run_sync(|| ()))
        .join()
        .unwrap()
        .unwrap_err();
    assert_eq!(error, FromThreadError::NotInWorker);
}

#[anyio::test]
async fn run_sync_sniffio() {
    let host = Backend::current();
    let seen = to_thread::run_sync(|| from_thread::run_sync(Backend::current)).await;
    assert_eq!(seen, Ok(host));
}

// ---------------------------------------------------------------------------------------
// TestBlockingPortal
// ---------------------------------------------------------------------------------------

#[anyio::test]
async fn blocking_portal_call_corofunc() {
    let result = with_portal("call_corofunc", |portal| portal.call(async_add(1, 2))).await;
    assert_eq!(result.unwrap(), 3);
}

/// Any future, not only an `async fn`'s.
#[anyio::test]
async fn blocking_portal_call_non_corofunc() {
    let result = with_portal("call_non_corofunc", |portal| {
        portal.call(std::future::ready(1 + 2))
    })
    .await;
    assert_eq!(result.unwrap(), 3);
}

/// `test_aexit_with_exception`: leaving with an error (stopping with `cancel_remaining`)
/// cancels the tasks still running.
#[anyio::test]
async fn blocking_portal_aexit_with_exception() {
    let results = with_portal("aexit_with_exception", |portal| {
        let running = Arc::new(AtomicUsize::new(0));
        thread::scope(|s| {
            let calls: Vec<_> = (0..2)
                .map(|_| {
                    let running = running.clone();
                    s.spawn(move || {
                        portal.call(async move {
                            running.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_secs(3)).await;
                        })
                    })
                })
                .collect();
            spin_until(|| running.load(Ordering::SeqCst) == 2);
            portal.stop(true);
            calls
                .into_iter()
                .map(|call| call.join().unwrap())
                .collect::<Vec<_>>()
        })
    })
    .await;
    assert_eq!(results.len(), 2);
    for result in results {
        assert!(matches!(result, Err(PortalError::Cancelled)), "{result:?}");
    }
}

#[anyio::test]
async fn blocking_portal_aexit_without_exception() {
    let results = with_portal("aexit_without_exception", |portal| {
        let running = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        thread::scope(|s| {
            let calls: Vec<_> = (0..2)
                .map(|_| {
                    let (running, finished) = (running.clone(), finished.clone());
                    s.spawn(move || {
                        portal.call(async move {
                            running.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_millis(200)).await;
                            finished.fetch_add(1, Ordering::SeqCst);
                        })
                    })
                })
                .collect();
            spin_until(|| running.load(Ordering::SeqCst) == 2);
            assert_eq!(finished.load(Ordering::SeqCst), 0);
            portal.stop(false); // waits for both
            assert_eq!(finished.load(Ordering::SeqCst), 2);
            calls
                .into_iter()
                .map(|call| call.join().unwrap())
                .collect::<Vec<_>>()
        })
    })
    .await;
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[anyio::test]
async fn blocking_portal_call_portal_from_event_loop_thread() {
    let result = with_portal("call_portal_from_event_loop_thread", |portal| {
        let inner = Arc::clone(portal);
        portal.call(async move { inner.call(async { thread::current().id() }) })
    })
    .await;
    assert!(
        matches!(result, Ok(Err(PortalError::ReEntrant))),
        "{result:?}"
    );
}

#[anyio::test]
async fn blocking_portal_start_with_new_event_loop() {
    let (theirs, ours) = with_portal("start_with_new_event_loop", |portal| {
        (
            portal.call(async { thread::current().id() }).unwrap(),
            thread::current().id(),
        )
    })
    .await;
    assert_ne!(theirs, ours);
}

#[anyio::test]
async fn blocking_portal_start_with_nonexistent_backend() {
    let error = "foo".parse::<Backend>().unwrap_err();
    assert!(
        error.to_string().contains("unknown backend `foo`"),
        "{error}"
    );
}

#[anyio::test]
async fn blocking_portal_call_stopped_portal() {
    let error = with_portal("call_stopped_portal", |portal| {
        portal.stop(false);
        portal.call_sync(|| thread::current().id()).unwrap_err()
    })
    .await;
    assert!(matches!(error, PortalError::Stopped));
    assert!(error.to_string().contains("has been stopped"), "{error}");
}

#[anyio::test]
async fn blocking_portal_start_task_soon() {
    let result = with_portal("start_task_soon", |portal| {
        let (event1, event2) = (Arc::new(Event::new()), Arc::new(Event::new()));
        let (e1, e2) = (event1.clone(), event2.clone());
        let task = portal
            .start_task_soon(async move {
                e1.wait().await;
                e2.set();
                "test"
            })
            .unwrap();
        portal.call_sync(move || event1.set()).unwrap();
        portal.call(async move { event2.wait().await }).unwrap();
        task.wait()
    })
    .await;
    assert_eq!(result.unwrap(), "test");
}

#[anyio::test]
async fn blocking_portal_start_task_soon_non_corofunc() {
    let result = with_portal("start_task_soon_non_corofunc", |portal| {
        let task = portal.start_task_soon(std::future::ready("test")).unwrap();
        portal.stop(false);
        task.wait()
    })
    .await;
    assert_eq!(result.unwrap(), "test");
}

#[anyio::test]
async fn blocking_portal_start_task_soon_cancel_later() {
    let result = with_portal("start_task_soon_cancel_later", |portal| {
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let task = portal
            .start_task_soon(async move {
                s.store(true, Ordering::SeqCst);
                sleep(Duration::from_secs(2)).await;
            })
            .unwrap();
        spin_until(|| started.load(Ordering::SeqCst));
        task.cancel();
        portal.stop(false);
        task.wait()
    })
    .await;
    assert!(matches!(result, Err(PortalError::Cancelled)), "{result:?}");
}

/// A task that records whether it was cancelled (`except Cancelled:`) and always signals
/// when it is over (`finally:`).
fn cancellable_sleeper(
    cancelled: &Arc<AtomicBool>,
    done: &Gate,
    started: &Arc<AtomicBool>,
    how_long: Duration,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let (cancelled, done, started) = (cancelled.clone(), done.clone(), started.clone());
    async move {
        let _finally = defer(move || done.set());
        let on_cancel = defer(move || cancelled.store(true, Ordering::SeqCst));
        started.store(true, Ordering::SeqCst);
        sleep(how_long).await;
        on_cancel.disarm();
    }
}

#[anyio::test]
async fn blocking_portal_start_task_soon_cancel_immediately() {
    let cancelled = with_portal("start_task_soon_cancel_immediately", |portal| {
        let (cancelled, done, started) = (Arc::default(), Gate::default(), Arc::default());
        let task = portal
            .start_task_soon(cancellable_sleeper(
                &cancelled,
                &done,
                &started,
                Duration::from_secs(3),
            ))
            .unwrap();
        task.cancel();
        assert!(done.wait(PATIENCE), "the task ended");
        cancelled.load(Ordering::SeqCst)
    })
    .await;
    assert!(cancelled);
}

#[anyio::test]
async fn blocking_portal_start_task_soon_cancel_after_stop() {
    let cancelled = with_portal("start_task_soon_cancel_after_stop", |portal| {
        let (cancelled, done, started) = (Arc::default(), Gate::default(), Arc::default());
        let task = portal
            .start_task_soon(cancellable_sleeper(
                &cancelled,
                &done,
                &started,
                Duration::from_secs(10),
            ))
            .unwrap();
        spin_until(|| started.load(Ordering::SeqCst));
        // Called from the portal's own event loop, `stop` only starts a graceful stop.
        let inner = Arc::clone(portal);
        portal.call(async move { inner.stop(false) }).unwrap();
        task.cancel();
        assert!(done.wait(Duration::from_secs(5)), "the task ended");
        cancelled.load(Ordering::SeqCst)
    })
    .await;
    assert!(cancelled);
}

/// Portals on every backend, started and called from async code on the event loop's own
/// thread, do not deadlock.
#[anyio::test]
async fn blocking_portal_from_async() {
    let _watchdog = Watchdog::new("blocking_portal_from_async", Duration::from_secs(30));
    for backend in Backend::available() {
        let portal = start_blocking_portal(backend).unwrap();
        portal.call(checkpoint()).unwrap();
        portal.stop(false);
    }
}

#[anyio::test]
async fn blocking_portal_cancel_portal_future() {
    let _watchdog = Watchdog::new("cancel_portal_future", Duration::from_secs(30));
    let backend = Backend::current().unwrap();
    let portal =
        to_thread::run_sync(move || Arc::new(start_blocking_portal(backend).unwrap())).await;
    let event = Arc::new(Event::new());
    let (p, e) = (portal.clone(), event.clone());
    task_group(|tg: TaskGroup<Error>| async move {
        let (portal, event) = (p.clone(), e.clone());
        let worker = tg.spawn(async move {
            let outcome = to_thread::run_sync(move || {
                let task = portal.start_task_soon(sleep_forever()).unwrap();
                from_thread::run_sync(move || event.set()).unwrap();
                task.wait()
            })
            .await;
            Ok(outcome)
        })?;
        e.wait().await;
        let portal = p.clone();
        to_thread::run_sync(move || portal.stop(true)).await;
        let outcome = fail_after(PATIENCE, worker).await??;
        assert!(
            matches!(outcome, Err(PortalError::Cancelled)),
            "{outcome:?}"
        );
        Ok(())
    })
    .await
    .unwrap();
    assert!(portal.is_stopped());
}
