//! from_thread: a to_thread worker runs futures and closures in the awaiting task, sees its
//! scope's cancellation, and gets a typed error when it is no worker at all.

/// AnyIO's own test cases for this area, translated.
#[path = "anyio_cases/thread_from_thread_anyio.rs"]
mod anyio_cases;
mod common;
mod spec;

use std::future::IntoFuture;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyio::core::backend::{Reactor, Runtime};
use anyio::from_thread::{self, FromThreadError};
use anyio::sync::Event;
use anyio::{move_on_after, to_thread, CancelScope};
use common::ms;

/// Loops until the worker's scope is cancelled; fails after 10 seconds instead of hanging.
fn until_cancelled() -> FromThreadError {
    let start = Instant::now();
    loop {
        if let Err(e) = from_thread::check_cancelled() {
            return e;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never cancelled");
        std::thread::sleep(ms(1));
    }
}

#[anyio::test]
async fn run_awaits_a_future_in_the_calling_task() {
    let n = to_thread::run_sync(|| {
        from_thread::run(async {
            anyio::sleep(ms(5)).await;
            5
        })
    })
    .await;
    assert_eq!(n, Ok(5));
}

#[anyio::test]
async fn run_sync_runs_a_closure_in_the_calling_task() {
    let event = Arc::new(Event::new());
    let e = event.clone();
    let caller = std::thread::current().id();
    let (ran_on, worker) = to_thread::run_sync(move || {
        let ran_on = from_thread::run_sync(move || {
            e.set();
            std::thread::current().id()
        });
        (ran_on, std::thread::current().id())
    })
    .await;
    assert!(event.is_set());
    assert_ne!(worker, caller);
    if anyio::Backend::current() != Some(anyio::Backend::Tokio) {
        // Single-threaded executors: the calling task runs on the test's thread.
        assert_eq!(ran_on, Ok(caller));
    }
    assert_ne!(ran_on, Ok(worker));
}

#[anyio::test]
async fn calls_run_inside_the_callers_scope() {
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = CancelScope::with_deadline(deadline)
        .run(
            to_thread::run_sync(|| from_thread::run(async { anyio::current_effective_deadline() }))
                .into_future(),
        )
        .await
        .unwrap();
    assert_eq!(seen, Ok(Some(deadline)));
}

#[anyio::test]
async fn check_cancelled_sees_the_scope_cancelled() {
    let saw = Arc::new(AtomicBool::new(false));
    let s = saw.clone();
    let call = to_thread::run_sync(move || {
        assert_eq!(from_thread::check_cancelled(), Ok(()));
        let error = until_cancelled();
        s.store(error == FromThreadError::Cancelled, Ordering::SeqCst);
        // Nothing more runs in a cancelled scope.
        from_thread::run(async { 1 })
    });
    let outcome = move_on_after(ms(10), call.into_future()).await;
    assert_eq!(outcome, None);
    assert!(saw.load(Ordering::SeqCst));
}

#[anyio::test]
async fn a_call_running_when_the_scope_is_cancelled_fails_with_cancelled() {
    let result = Arc::new(std::sync::Mutex::new(None));
    let r = result.clone();
    let call = to_thread::run_sync(move || {
        *r.lock().unwrap() = Some(from_thread::run(anyio::sleep_forever()));
    });
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    assert_eq!(
        *result.lock().unwrap(),
        Some(Err(FromThreadError::Cancelled))
    );
}

#[anyio::test]
async fn an_abandoned_worker_is_told_it_is_cancelled() {
    let (tx, rx) = std::sync::mpsc::channel();
    let call = to_thread::run_sync(move || {
        tx.send(until_cancelled()).unwrap();
        tx.send(from_thread::run(async { 1 }).unwrap_err()).unwrap();
    })
    .abandon_on_cancel(true);
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    let rx = Arc::new(std::sync::Mutex::new(rx));
    for _ in 0..2 {
        let rx = rx.clone();
        let error =
            to_thread::run_sync(move || rx.lock().unwrap().recv_timeout(Duration::from_secs(10)))
                .await
                .unwrap();
        assert_eq!(error, FromThreadError::Cancelled);
    }
}

#[anyio::test]
async fn a_panic_in_the_future_reaches_the_worker() {
    let payload = to_thread::run_sync(|| {
        panic::catch_unwind(AssertUnwindSafe(|| {
            from_thread::run(async { panic!("the async side failed") })
        }))
        .unwrap_err()
        .downcast_ref::<&str>()
        .copied()
    })
    .await;
    assert_eq!(payload, Some("the async side failed"));
}

#[anyio::test]
async fn outside_a_worker_it_is_an_error() {
    assert_eq!(
        from_thread::check_cancelled(),
        Err(FromThreadError::NotInWorker)
    );
    assert_eq!(
        from_thread::run(async { 1 }),
        Err(FromThreadError::NotInWorker)
    );
    let from_plain_thread = std::thread::spawn(|| {
        (
            from_thread::run(async { 1 }),
            from_thread::run_sync(|| 1),
            from_thread::check_cancelled(),
        )
    })
    .join()
    .unwrap();
    let expected = Err(FromThreadError::NotInWorker);
    assert_eq!(
        from_plain_thread,
        (expected, expected, Err(FromThreadError::NotInWorker))
    );
    let message = FromThreadError::NotInWorker.to_string();
    assert!(message.contains("outside a to_thread worker"), "{message}");
}

#[anyio::test]
async fn a_worker_context_ends_with_its_closure() {
    // Pool threads are reused: a later plain `spawn_blocking` on the same pool is no worker.
    to_thread::run_sync(|| from_thread::run(async {}).unwrap()).await;
    let runtime = anyio::AnyRuntime::current().unwrap();
    let after = runtime.spawn_blocking(from_thread::check_cancelled).await;
    assert_eq!(after, Some(Err(FromThreadError::NotInWorker)));
}

#[anyio::test]
async fn run_sync_still_runs_after_the_callers_scope_was_cancelled() {
    let ran = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let r = ran.clone();
    let call = to_thread::run_sync(move || {
        until_cancelled();
        // Sync code cannot be cancelled: it runs in the waiting task all the same.
        let result = from_thread::run_sync(move || {
            r.store(true, Ordering::SeqCst);
            7
        });
        tx.send(result).unwrap();
    });
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(rx.try_recv(), Ok(Ok(7)));
}

#[anyio::test]
async fn run_sync_still_runs_after_the_worker_was_abandoned() {
    let event = Arc::new(Event::new());
    let (tx, rx) = std::sync::mpsc::channel();
    let e = event.clone();
    let call = to_thread::run_sync(move || {
        until_cancelled();
        // Wait until the caller has stopped waiting for this thread altogether.
        while from_thread::run(async {}) != Err(FromThreadError::Cancelled) {}
        let result = from_thread::run_sync(move || {
            e.set();
            anyio::Backend::current()
        });
        tx.send(result).unwrap();
    })
    .abandon_on_cancel(true);
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    anyio::fail_after(Duration::from_secs(10), event.wait())
        .await
        .expect("the closure ran");
    let result = to_thread::run_sync(move || rx.recv_timeout(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(
        result,
        Ok(anyio::Backend::current()),
        "on the caller's runtime"
    );
}

#[anyio::test]
async fn run_sync_after_abandoning_reports_a_panic_to_the_worker() {
    let (tx, rx) = std::sync::mpsc::channel();
    let call = to_thread::run_sync(move || {
        until_cancelled();
        while from_thread::run(async {}) != Err(FromThreadError::Cancelled) {}
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            from_thread::run_sync(|| panic!("the sync side failed"))
        }));
        let payload = caught.unwrap_err().downcast_ref::<&str>().copied();
        tx.send(payload).unwrap();
    })
    .abandon_on_cancel(true);
    assert_eq!(move_on_after(ms(10), call.into_future()).await, None);
    let payload = to_thread::run_sync(move || rx.recv_timeout(Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(payload, Some("the sync side failed"));
}
