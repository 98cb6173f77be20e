//! The checks every backend must pass, written once: each backend crate runs them against its
//! runtime with [`runtime_conformance_tests!`](crate::runtime_conformance_tests).
//!
//! Each function panics (like a failing test) when the runtime breaks the waist's contract.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use super::{JoinHandle, Runtime, Timer};

const PATIENCE: Duration = Duration::from_secs(5);

/// Outside the runtime, [`Runtime::current`] fails with a message that says what to do.
pub fn current_outside_says_what_to_do<R: Runtime>() {
    let error = R::current().expect_err("a plain test thread is outside every runtime");
    assert!(error.to_string().contains("anyio::run"), "{error}");
}

/// `block_on` runs its future, `current` finds the runtime inside it, and a nested
/// `block_on` is refused instead of deadlocking; afterwards the thread is outside again, also
/// after a panic.
pub fn block_on_runs_and_rejects_nesting<R: Runtime + PartialEq>(rt: R) {
    let nested = rt
        .block_on(async move {
            assert_eq!(R::current().ok(), Some(rt));
            rt.block_on(async {})
        })
        .expect("the outer block_on runs");
    let error = nested.expect_err("a nested block_on is refused");
    assert!(error.to_string().contains(rt.name()), "{error}");
    assert!(R::current().is_err(), "left the runtime after block_on");

    let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { panic!("expected panic") })
    }));
    assert!(panicked.is_err());
    assert!(R::current().is_err(), "left the runtime after a panic");
}

/// A spawned task yields its value; an aborted or panicking one yields `None`.
pub fn spawn_join_abort_and_panic<R: Runtime>(rt: R) {
    rt.block_on(async move {
        assert_eq!(rt.spawn(async { 7 }).await, Some(7));

        let pending = rt.spawn(std::future::pending::<()>());
        pending.abort();
        assert_eq!(pending.await, None);

        let panicked = rt.spawn(async { panic!("expected panic") });
        assert_eq!(panicked.await, None::<()>);
    })
    .expect("block_on runs");
}

/// Aborting a task drops its future.
pub fn aborting_drops_the_future<R: Runtime>(rt: R) {
    struct SendOnDrop(mpsc::Sender<()>);
    impl Drop for SendOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(());
        }
    }
    let (tx, rx) = mpsc::channel();
    rt.block_on(async move {
        let guard = SendOnDrop(tx);
        let handle = rt.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        handle.abort();
        assert_eq!(handle.await, None);
    })
    .expect("block_on runs");
    rx.recv_timeout(PATIENCE)
        .expect("the aborted future was dropped");
}

/// Aborting from another thread wakes a task waiting on the handle.
pub fn abort_wakes_a_waiting_joiner<R: Runtime>(rt: R) {
    rt.block_on(async move {
        // Locked only while polling, so the other thread can abort while the joiner waits.
        let handle = Arc::new(Mutex::new(rt.spawn(std::future::pending::<()>())));
        let aborter = Arc::clone(&handle);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            aborter.lock().unwrap().abort();
        });
        let joined = std::future::poll_fn(|cx| Pin::new(&mut *handle.lock().unwrap()).poll(cx));
        assert_eq!(joined.await, None);
    })
    .expect("block_on runs");
}

/// Dropping a handle detaches the task, which runs to completion.
pub fn dropping_the_handle_detaches<R: Runtime>(rt: R) {
    let (tx, rx) = mpsc::channel();
    rt.block_on(async move {
        drop(rt.spawn(async move {
            std::future::ready(()).await;
            tx.send(()).unwrap();
        }));
        // Keep the runtime alive, yielding, until the detached task has reported.
        let deadline = Instant::now() + PATIENCE;
        std::future::poll_fn(|cx| {
            if rx.try_recv().is_ok() {
                return Poll::Ready(());
            }
            assert!(Instant::now() < deadline, "the detached task did not run");
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
    })
    .expect("block_on runs");
}

/// Timers fire, stay ready once fired, can be reset to fire again, and accept deadlines
/// centuries away (and the very last representable instant) without panicking.
pub fn timers_fire_stay_ready_reset_and_accept_absurd_deadlines<R: Runtime>(rt: R) {
    rt.block_on(async move {
        let mut timer = Box::pin(rt.timer(Instant::now() + Duration::from_secs(1 << 40)));
        timer.as_mut().reset(last_instant());
        timer
            .as_mut()
            .reset(Instant::now() + Duration::from_millis(5));
        timer.as_mut().await;
        timer.as_mut().await;
        timer
            .as_mut()
            .reset(Instant::now() + Duration::from_millis(5));
        let start = Instant::now();
        timer.as_mut().await;
        assert!(start.elapsed() >= Duration::from_millis(4));

        let mut end = Box::pin(rt.timer(last_instant()));
        let first = std::future::poll_fn(|cx| Poll::Ready(end.as_mut().poll(cx))).await;
        assert!(first.is_pending());
    })
    .expect("block_on runs");
}

/// The largest `Instant` this platform represents.
fn last_instant() -> Instant {
    let mut at = Instant::now();
    let mut step = Duration::from_secs(u64::MAX);
    while step > Duration::ZERO {
        match at.checked_add(step) {
            Some(next) => at = next,
            None => step /= 2,
        }
    }
    at
}

/// Generates one `#[test]` per conformance check for the runtime value `$rt`.
///
/// Backend crates call it inside their test module: `anyio_core::runtime_conformance_tests!(MyRuntime);`
#[macro_export]
macro_rules! runtime_conformance_tests {
    ($rt:expr) => {
        #[test]
        fn current_outside_says_what_to_do() {
            fn of<R: $crate::backend::Runtime>(_: R) {
                $crate::backend::conformance::current_outside_says_what_to_do::<R>();
            }
            of($rt);
        }

        #[test]
        fn block_on_runs_and_rejects_nesting() {
            $crate::backend::conformance::block_on_runs_and_rejects_nesting($rt);
        }

        #[test]
        fn spawn_join_abort_and_panic() {
            $crate::backend::conformance::spawn_join_abort_and_panic($rt);
        }

        #[test]
        fn aborting_drops_the_future() {
            $crate::backend::conformance::aborting_drops_the_future($rt);
        }

        #[test]
        fn abort_wakes_a_waiting_joiner() {
            $crate::backend::conformance::abort_wakes_a_waiting_joiner($rt);
        }

        #[test]
        fn dropping_the_handle_detaches() {
            $crate::backend::conformance::dropping_the_handle_detaches($rt);
        }

        #[test]
        fn timers_fire_stay_ready_reset_and_accept_absurd_deadlines() {
            $crate::backend::conformance::timers_fire_stay_ready_reset_and_accept_absurd_deadlines(
                $rt,
            );
        }
    };
}
