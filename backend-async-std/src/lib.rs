//! The [async-std] backend of [anyio](https://docs.rs/anyio).
//!
//! **async-std is discontinued upstream**: its crate is marked "Deprecated in favor of smol".
//! anyio still supports it fully, as an opt-in feature (`async-std` on the `anyio` facade), for
//! code bases that already run on it; new applications should prefer the smol or tokio backend.
//!
//! [`AsyncStdRuntime`] implements [`anyio_core::backend::Runtime`] with async-std's global,
//! multi-threaded executor (`async_std::task::spawn` / `block_on`) and [`async_io::Timer`]s.
//! This crate only adapts async-std; every behaviour users observe lives in `anyio-core`.
//!
//! Inside a runtime the application started itself (`async_std::task::block_on`,
//! `#[async_std::main]`, a spawned task), [`AsyncStdRuntime::current`] finds it through
//! [`async_std::task::try_current`].
//!
//! # Examples
//!
//! Used directly through the waist (applications go through `anyio` instead):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use anyio_core::backend::Runtime;
//! use anyio_backend_async_std::AsyncStdRuntime;
//!
//! let value = AsyncStdRuntime
//!     .block_on(async {
//!         let start = Instant::now();
//!         AsyncStdRuntime.timer(start + Duration::from_millis(5)).await;
//!         assert!(start.elapsed() >= Duration::from_millis(5));
//!         AsyncStdRuntime.spawn(async { 6 * 7 }).await
//!     })
//!     .unwrap();
//! assert_eq!(value, Some(42));
//! ```
//!
//! [async-std]: https://docs.rs/async-std

#![forbid(unsafe_code)]

#[cfg(unix)]
mod io;

#[cfg(unix)]
pub use io::AsyncStdRegistration;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use anyio_core::backend::{
    LatchedTimer, LockedJoinHandle, NativeTask, NestedRun, NoRuntime, Runtime,
};
use futures_util::FutureExt as _;

/// async-std's global runtime.
///
/// A zero-sized token: async-std has one process-wide executor, started on first use.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::Runtime;
/// use anyio_backend_async_std::AsyncStdRuntime;
///
/// let answer = AsyncStdRuntime
///     .block_on(async {
///         assert_eq!(AsyncStdRuntime::current(), Ok(AsyncStdRuntime));
///         AsyncStdRuntime.spawn(async { 6 * 7 }).await
///     })
///     .unwrap();
/// assert_eq!(answer, Some(42));
/// assert_eq!(AsyncStdRuntime.name(), "async-std");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AsyncStdRuntime;

impl AsyncStdRuntime {
    /// Whether the calling code runs inside an async-std task (spawned, or `block_on`).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::backend::Runtime;
    /// use anyio_backend_async_std::AsyncStdRuntime;
    ///
    /// assert!(!AsyncStdRuntime::is_inside());
    /// assert_eq!(AsyncStdRuntime.block_on(async { AsyncStdRuntime::is_inside() }), Ok(true));
    /// ```
    pub fn is_inside() -> bool {
        async_std::task::try_current().is_some()
    }
}

impl Runtime for AsyncStdRuntime {
    type Timer = AsyncStdTimer;
    type JoinHandle<T: Send + 'static> = AsyncStdJoinHandle<T>;

    fn current() -> Result<Self, NoRuntime> {
        if Self::is_inside() {
            Ok(Self)
        } else {
            Err(NoRuntime::new(
                "not inside an async-std task: start one with anyio::run (or \
                 async_std::task::block_on) and call this from inside it",
            ))
        }
    }

    fn name(self) -> &'static str {
        "async-std"
    }

    fn spawn<F>(self, future: F) -> AsyncStdJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // Panics are caught so that awaiting the handle reports `None` rather than re-raising
        // them.
        let task = AssertUnwindSafe(future).catch_unwind().map(Result::ok);
        LockedJoinHandle::new(NativeHandle(async_std::task::spawn(task)))
    }

    fn timer(self, deadline: Instant) -> AsyncStdTimer {
        LatchedTimer::new(async_io::Timer::at(deadline), async_io::Timer::set_at)
    }

    /// Runs `future` on the calling thread while async-std's worker threads run spawned tasks.
    fn block_on<F: Future>(self, future: F) -> Result<F::Output, NestedRun> {
        if Self::is_inside() {
            return Err(NestedRun::new("async-std"));
        }
        Ok(async_std::task::block_on(future))
    }
}

/// A resettable timer, as returned by [`Runtime::timer`] for [`AsyncStdRuntime`].
///
/// Once its deadline has passed it stays ready until it is reset.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use anyio_core::backend::{Runtime, Timer};
/// use anyio_backend_async_std::{AsyncStdRuntime, AsyncStdTimer};
///
/// AsyncStdRuntime
///     .block_on(async {
///         let in_an_hour = Instant::now() + Duration::from_secs(3600);
///         let timer: AsyncStdTimer = AsyncStdRuntime.timer(in_an_hour);
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
pub type AsyncStdTimer = LatchedTimer<async_io::Timer>;

/// A task spawned on async-std, as returned by [`Runtime::spawn`] for [`AsyncStdRuntime`].
///
/// Resolves to `None` when the task was aborted or panicked. Dropping it detaches the task.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{JoinHandle, Runtime};
/// use anyio_backend_async_std::{AsyncStdRuntime, AsyncStdJoinHandle};
///
/// AsyncStdRuntime
///     .block_on(async {
///         let task: AsyncStdJoinHandle<u32> = AsyncStdRuntime.spawn(async { 7 });
///         assert_eq!(task.await, Some(7));
///
///         let stuck = AsyncStdRuntime.spawn(std::future::pending::<()>());
///         stuck.abort();
///         assert_eq!(stuck.await, None);
///
///         let panicked = AsyncStdRuntime.spawn(async { panic!("expected") });
///         assert_eq!(panicked.await, None::<()>);
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it, or a pending `.await` on it, detaches the task, which keeps
/// running.
pub type AsyncStdJoinHandle<T> = LockedJoinHandle<NativeHandle<T>>;

/// async-std's own handle; it detaches when dropped and cancels only when awaited.
///
/// The [`NativeTask`] inside an [`AsyncStdJoinHandle`]: stopping it spawns a detached task
/// that awaits async-std's cancellation.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{JoinHandle, LockedJoinHandle, Runtime};
/// use anyio_backend_async_std::{AsyncStdRuntime, NativeHandle};
///
/// AsyncStdRuntime
///     .block_on(async {
///         let task: LockedJoinHandle<NativeHandle<()>> =
///             AsyncStdRuntime.spawn(std::future::pending());
///         task.abort(); // stops the `NativeHandle`
///         assert_eq!(task.await, None);
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it detaches the task, which keeps running.
pub struct NativeHandle<T>(async_std::task::JoinHandle<Option<T>>);

impl<T> std::fmt::Debug for NativeHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("NativeHandle").field(self.0.task()).finish()
    }
}

impl<T> Future for NativeHandle<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl<T: Send + 'static> NativeTask for NativeHandle<T> {
    type Value = T;

    fn stop(self) {
        // Cancelling is asynchronous in async-std; a detached task carries it out.
        async_std::task::spawn(async move {
            self.0.cancel().await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    anyio_core::runtime_conformance_tests!(AsyncStdRuntime);
}
