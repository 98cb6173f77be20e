//! The [smol] backend of [anyio](https://docs.rs/anyio).
//!
//! [`SmolRuntime`] implements [`anyio_core::backend::Runtime`] with the crates smol is made of:
//! one process-wide [`async_executor::Executor`], run by as many worker threads as
//! [`std::thread::available_parallelism`] reports (started on first use, like smol's global
//! executor), and [`async_io::Timer`]s. [`Runtime::block_on`] drives its future with
//! [`async_io::block_on`] while also helping to run the executor's tasks. This crate only
//! adapts smol; every behaviour users observe lives in `anyio-core`.
//!
//! # Detection
//!
//! smol has no notion of "the current runtime": its pieces serve any thread. So
//! [`SmolRuntime::current`] only recognises threads it drives itself (inside
//! [`Runtime::block_on`] and on the worker threads); the `anyio` facade falls back to this
//! backend elsewhere, which is sound because spawning and timers work from any thread.
//!
//! # Examples
//!
//! Used directly through the waist (applications go through `anyio` instead):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use anyio_core::backend::Runtime;
//! use anyio_backend_smol::SmolRuntime;
//!
//! let value = SmolRuntime
//!     .block_on(async {
//!         let start = Instant::now();
//!         SmolRuntime.timer(start + Duration::from_millis(5)).await;
//!         assert!(start.elapsed() >= Duration::from_millis(5));
//!         SmolRuntime.spawn(async { 6 * 7 }).await
//!     })
//!     .unwrap();
//! assert_eq!(value, Some(42));
//! ```
//!
//! [smol]: https://docs.rs/smol

#![forbid(unsafe_code)]

use std::cell::Cell;
#[cfg(unix)]
mod io;

#[cfg(unix)]
pub use io::SmolRegistration;

use std::future::Future;
use std::num::NonZeroUsize;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};
use std::thread;
use std::time::Instant;

use anyio_core::backend::{
    LatchedTimer, LockedJoinHandle, NativeTask, NestedRun, NoRuntime, Runtime,
};
use async_executor::{Executor, Task};
use futures_util::FutureExt as _;

static EXECUTOR: Executor<'static> = Executor::new();
static WORKERS: Once = Once::new();

thread_local! {
    /// Whether this thread is already driving the executor, where blocking would deadlock.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

/// The process-wide smol executor.
///
/// A zero-sized token: all `SmolRuntime`s share one executor and one set of worker threads.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::Runtime;
/// use anyio_backend_smol::SmolRuntime;
///
/// let answer = SmolRuntime
///     .block_on(async {
///         assert_eq!(SmolRuntime::current(), Ok(SmolRuntime));
///         SmolRuntime.spawn(async { 6 * 7 }).await
///     })
///     .unwrap();
/// assert_eq!(answer, Some(42));
/// assert_eq!(SmolRuntime.name(), "smol");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SmolRuntime;

impl SmolRuntime {
    /// Whether the calling thread is driving the executor: a worker thread, or inside
    /// [`Runtime::block_on`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::backend::Runtime;
    /// use anyio_backend_smol::SmolRuntime;
    ///
    /// assert!(!SmolRuntime::is_inside());
    /// assert_eq!(SmolRuntime.block_on(async { SmolRuntime::is_inside() }), Ok(true));
    /// ```
    pub fn is_inside() -> bool {
        INSIDE.with(Cell::get)
    }
}

fn start_workers() {
    WORKERS.call_once(|| {
        let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        for n in 1..=threads {
            thread::Builder::new()
                .name(format!("anyio-smol-{n}"))
                .spawn(|| {
                    INSIDE.with(|inside| inside.set(true));
                    // Tasks' panics are caught in `spawn`; this only guards against the
                    // executor itself unwinding, which must not lose a worker.
                    loop {
                        let run = || async_io::block_on(EXECUTOR.run(std::future::pending::<()>()));
                        let _ = panic::catch_unwind(run);
                    }
                })
                .expect("failed to start the smol executor's worker threads");
        }
    });
}

/// Restores the thread's flag even when the future driven by `block_on` panics.
struct InsideGuard;

impl Drop for InsideGuard {
    fn drop(&mut self) {
        INSIDE.with(|inside| inside.set(false));
    }
}

impl Runtime for SmolRuntime {
    type Timer = SmolTimer;
    type JoinHandle<T: Send + 'static> = SmolJoinHandle<T>;

    fn current() -> Result<Self, NoRuntime> {
        if Self::is_inside() {
            Ok(Self)
        } else {
            Err(NoRuntime::new(
                "not inside the smol runtime: start it with anyio::run and call this from inside \
                 it",
            ))
        }
    }

    fn name(self) -> &'static str {
        "smol"
    }

    fn spawn<F>(self, future: F) -> SmolJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        start_workers();
        // async-executor re-raises a task's panic in whoever awaits it; the waist reports it
        // as `None` instead.
        let task = EXECUTOR.spawn(AssertUnwindSafe(future).catch_unwind().map(Result::ok));
        LockedJoinHandle::new(DetachOnDrop(Some(task)))
    }

    fn timer(self, deadline: Instant) -> SmolTimer {
        LatchedTimer::new(async_io::Timer::at(deadline), async_io::Timer::set_at)
    }

    /// Runs `future` on the calling thread, which also runs spawned tasks meanwhile.
    fn block_on<F: Future>(self, future: F) -> Result<F::Output, NestedRun> {
        if Self::is_inside() {
            return Err(NestedRun::new("smol"));
        }
        start_workers();
        INSIDE.with(|inside| inside.set(true));
        let _guard = InsideGuard;
        Ok(async_io::block_on(EXECUTOR.run(future)))
    }
}

/// A resettable timer, as returned by [`Runtime::timer`] for [`SmolRuntime`].
///
/// Once its deadline has passed it stays ready until it is reset.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use anyio_core::backend::{Runtime, Timer};
/// use anyio_backend_smol::{SmolRuntime, SmolTimer};
///
/// SmolRuntime
///     .block_on(async {
///         let in_an_hour = Instant::now() + Duration::from_secs(3600);
///         let timer: SmolTimer = SmolRuntime.timer(in_an_hour);
///         let mut timer = Box::pin(timer);
///         let soon = Instant::now() + Duration::from_millis(5);
///         timer.as_mut().reset(soon);
///         timer.as_mut().await;
///         assert!(Instant::now() >= soon);
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it only disarms it.
pub type SmolTimer = LatchedTimer<async_io::Timer>;

/// A task spawned on smol, as returned by [`Runtime::spawn`] for [`SmolRuntime`].
///
/// Resolves to `None` when the task was aborted or panicked. Dropping it detaches the task
/// (a bare [`async_executor::Task`] would cancel it).
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{JoinHandle, Runtime};
/// use anyio_backend_smol::{SmolRuntime, SmolJoinHandle};
///
/// SmolRuntime
///     .block_on(async {
///         let task: SmolJoinHandle<u32> = SmolRuntime.spawn(async { 7 });
///         assert_eq!(task.await, Some(7));
///
///         let stuck = SmolRuntime.spawn(std::future::pending::<()>());
///         stuck.abort();
///         assert_eq!(stuck.await, None);
///
///         let panicked = SmolRuntime.spawn(async { panic!("expected") });
///         assert_eq!(panicked.await, None::<()>);
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it, or a pending `.await` on it, detaches the task, which keeps
/// running.
pub type SmolJoinHandle<T> = LockedJoinHandle<DetachOnDrop<T>>;

/// An [`async_executor::Task`] that detaches instead of cancelling when dropped; it stops the
/// task only through [`NativeTask::stop`].
///
/// The [`NativeTask`] inside a [`SmolJoinHandle`].
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
/// use anyio_core::backend::{LockedJoinHandle, Runtime};
/// use anyio_backend_smol::{DetachOnDrop, SmolRuntime};
///
/// let (tx, rx) = mpsc::channel();
/// SmolRuntime
///     .block_on(async move {
///         let task: LockedJoinHandle<DetachOnDrop<()>> = SmolRuntime.spawn(async move {
///             tx.send("still ran").unwrap();
///         });
///         drop(task); // detached, not cancelled
///     })
///     .unwrap();
/// assert_eq!(rx.recv().unwrap(), "still ran");
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it detaches the task, which keeps running.
pub struct DetachOnDrop<T>(Option<Task<Option<T>>>);

impl<T> std::fmt::Debug for DetachOnDrop<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("DetachOnDrop")
            .field(&self.0.is_some())
            .finish()
    }
}

impl<T> Future for DetachOnDrop<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self.0.as_mut() {
            Some(task) => Pin::new(task).poll(cx),
            None => Poll::Ready(None),
        }
    }
}

impl<T: Send> NativeTask for DetachOnDrop<T> {
    type Value = T;

    fn stop(mut self) {
        // Dropping a smol task cancels it.
        drop(self.0.take());
    }
}

impl<T> Drop for DetachOnDrop<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    anyio_core::runtime_conformance_tests!(SmolRuntime);

    #[test]
    fn workers_count_as_inside() {
        let rt = SmolRuntime;
        let inside = thread::spawn(move || {
            async_io::block_on(rt.spawn(async { SmolRuntime::current().is_ok() }))
        });
        assert_eq!(inside.join().unwrap(), Some(true));
    }
}
