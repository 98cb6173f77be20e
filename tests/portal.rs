//! Blocking portals: plain sync code calling async code.
//!
//! A portal is started from sync code and starts its own runtime, so these are plain
//! `#[test]`s (not `#[anyio::test]`, which would already run inside a runtime) that loop over
//! every enabled backend.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use anyio::portal::PortalError;
use anyio::{start_blocking_portal, Backend, BlockingPortal};

fn portals() -> impl Iterator<Item = (Backend, BlockingPortal)> {
    Backend::available().into_iter().map(|backend| {
        let portal = start_blocking_portal(backend).expect("the portal starts");
        (backend, portal)
    })
}

/// Runs `f` on a thread and fails the test if it has not finished well within 10 s, so a
/// deadlock shows as a failure rather than a hung test run.
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(f());
    });
    result
        .recv_timeout(Duration::from_secs(10))
        .expect("finished well within 10 s")
}

#[test]
fn call_returns_the_value_on_the_chosen_backend() {
    for (backend, portal) in portals() {
        let ran_on = portal.call(async { anyio::Backend::current() }).unwrap();
        assert_eq!(ran_on, Some(backend));
        assert_eq!(portal.call(async { 6 * 7 }).unwrap(), 42);
        assert_eq!(portal.call_sync(|| "sync").unwrap(), "sync");
    }
}

#[test]
fn call_runs_anyio_time_inside() {
    for (backend, portal) in portals() {
        let start = Instant::now();
        let slept = portal
            .call(async {
                anyio::sleep(Duration::from_millis(20)).await;
                anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever()).await
            })
            .unwrap();
        assert_eq!(slept, None, "{backend}");
        assert!(start.elapsed() >= Duration::from_millis(20), "{backend}");
    }
}

#[test]
fn a_panic_reaches_the_caller_and_the_portal_carries_on() {
    for (backend, portal) in portals() {
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            portal.call(async {
                anyio::checkpoint().await;
                panic!("boom in the portal");
            })
        }))
        .unwrap_err();
        assert_eq!(
            caught.downcast_ref::<&str>(),
            Some(&"boom in the portal"),
            "{backend}"
        );
        assert_eq!(portal.call(async { 1 }).unwrap(), 1, "{backend}");
    }
}

#[test]
fn start_task_soon_then_wait_or_await() {
    for (backend, portal) in portals() {
        let task = portal
            .start_task_soon(async {
                anyio::sleep(Duration::from_millis(5)).await;
                "waited"
            })
            .unwrap();
        assert_eq!(task.wait().unwrap(), "waited", "{backend}");

        // A handle is also a future, awaitable from another runtime.
        let task = portal.start_task_soon(async { 7 }).unwrap();
        let awaited = anyio::run_with(backend, task).unwrap().unwrap();
        assert_eq!(awaited, 7, "{backend}");
    }
}

#[test]
fn cancelling_a_task_makes_it_cancelled() {
    for (backend, portal) in portals() {
        let task = portal.start_task_soon(anyio::sleep_forever()).unwrap();
        assert!(!task.is_finished(), "{backend}");
        task.cancel();
        let outcome = within_10s(move || task.wait());
        assert!(matches!(outcome, Err(PortalError::Cancelled)), "{backend}");
        // Cancelling one task leaves the portal running.
        assert_eq!(portal.call(async { 2 }).unwrap(), 2, "{backend}");
    }
}

#[test]
fn graceful_stop_waits_for_running_tasks() {
    for (backend, portal) in portals() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&finished);
        let task = portal
            .start_task_soon(async move {
                anyio::sleep(Duration::from_millis(20)).await;
                flag.store(true, Ordering::SeqCst);
                "done"
            })
            .unwrap();
        portal.stop(false);
        assert!(finished.load(Ordering::SeqCst), "{backend}");
        assert!(task.is_finished(), "{backend}");
        assert_eq!(task.wait().unwrap(), "done", "{backend}");
    }
}

#[test]
fn stop_with_cancel_remaining_cancels_running_tasks() {
    for (backend, portal) in portals() {
        let task = portal.start_task_soon(anyio::sleep_forever()).unwrap();
        // Let it start, so the cancellation reaches a running task.
        portal.call(anyio::checkpoint()).unwrap();
        let portal = within_10s(move || {
            portal.stop(true);
            portal
        });
        assert!(portal.is_stopped(), "{backend}");
        assert!(
            matches!(task.wait(), Err(PortalError::Cancelled)),
            "{backend}"
        );
    }
}

#[test]
fn stop_with_cancel_remaining_upgrades_a_waiting_graceful_stop() {
    for (backend, portal) in portals() {
        let portal = Arc::new(portal);
        let task = portal.start_task_soon(anyio::sleep_forever()).unwrap();
        portal.call(anyio::checkpoint()).unwrap();
        let graceful = {
            let portal = Arc::clone(&portal);
            thread::spawn(move || portal.stop(false))
        };
        // The graceful stop waits for the endless task until it is cancelled.
        while !portal.is_stopped() {
            thread::yield_now();
        }
        assert!(!task.is_finished(), "{backend}");
        within_10s(move || {
            portal.stop(true);
            graceful.join().unwrap();
        });
        assert!(
            matches!(task.wait(), Err(PortalError::Cancelled)),
            "{backend}"
        );
    }
}

#[test]
fn dropping_the_portal_waits_for_running_tasks() {
    for (backend, portal) in portals() {
        let task = portal
            .start_task_soon(async {
                anyio::sleep(Duration::from_millis(20)).await;
                "finished before the drop returned"
            })
            .unwrap();
        drop(portal);
        assert!(task.is_finished(), "{backend}");
        assert_eq!(task.wait().unwrap(), "finished before the drop returned");
    }
}

#[test]
fn a_stopped_portal_refuses_calls() {
    for (backend, portal) in portals() {
        portal.stop(false);
        let error = portal.call(async { 1 }).unwrap_err();
        assert!(matches!(error, PortalError::Stopped), "{backend}");
        assert!(
            error.to_string().contains("start a new portal"),
            "{backend}"
        );
        let error = portal.start_task_soon(async { 1 }).unwrap_err();
        assert!(matches!(error, PortalError::Stopped), "{backend}");
        portal.stop(true); // a second stop is harmless
    }
}

#[test]
fn calling_the_portal_from_its_own_tasks_is_an_error_not_a_deadlock() {
    for backend in Backend::available() {
        let portal = Arc::new(start_blocking_portal(backend).unwrap());
        let inner = Arc::clone(&portal);
        let outcome = within_10s(move || {
            let inner_portal = Arc::clone(&inner);
            let nested = inner
                .call(async move {
                    let nested_call = inner_portal.call(async { 1 });
                    let nested_sync = inner_portal.call_sync(|| 2);
                    // Starting is fine from inside; waiting on it there is not.
                    let task = inner_portal
                        .start_task_soon(anyio::sleep_forever())
                        .unwrap();
                    task.cancel();
                    let awaited = task.await;
                    (nested_call, nested_sync, awaited)
                })
                .unwrap();
            drop(inner);
            nested
        });
        let (nested_call, nested_sync, awaited) = outcome;
        assert!(
            matches!(nested_call, Err(PortalError::ReEntrant)),
            "{backend}"
        );
        assert!(
            matches!(nested_sync, Err(PortalError::ReEntrant)),
            "{backend}"
        );
        assert!(matches!(awaited, Err(PortalError::Cancelled)), "{backend}");
        assert!(
            nested_call
                .unwrap_err()
                .to_string()
                .contains("await the future directly"),
            "{backend}"
        );
        assert_eq!(portal.call(async { 3 }).unwrap(), 3, "{backend}");
    }
}

#[test]
fn many_threads_call_one_portal() {
    const THREADS: usize = 8;
    const CALLS: usize = 50;
    for (backend, portal) in portals() {
        let portal = Arc::new(portal);
        let total = within_10s(move || {
            let workers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let portal = Arc::clone(&portal);
                    thread::spawn(move || {
                        (0..CALLS)
                            .map(|i| {
                                portal
                                    .call(async move {
                                        anyio::checkpoint().await;
                                        t * CALLS + i
                                    })
                                    .unwrap()
                            })
                            .sum::<usize>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap())
                .sum::<usize>()
        });
        let n = THREADS * CALLS;
        assert_eq!(total, n * (n - 1) / 2, "{backend}");
    }
}

/// Only meaningful, and only built, when some backend is disabled.
#[cfg(not(all(feature = "tokio", feature = "async-std", feature = "smol")))]
#[test]
fn an_unavailable_backend_is_a_start_error() {
    let mut checked = 0;
    for backend in Backend::ALL {
        if Backend::available().contains(&backend) {
            continue;
        }
        checked += 1;
        let error = start_blocking_portal(backend).unwrap_err();
        assert!(matches!(error, PortalError::Start(_)));
        assert!(error.to_string().contains("feature"), "{error}");
    }
    assert!(checked > 0);
}
