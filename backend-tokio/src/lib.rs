//! The [tokio] backend of [anyio](https://docs.rs/anyio).
//!
//! [`TokioRuntime`] implements [`anyio_core::backend::Runtime`] with tokio's multi-threaded
//! scheduler: tasks are `tokio::spawn`ed, timers are [`tokio::time::Sleep`], and the clock is
//! tokio's (so a paused tokio clock is honoured). This crate only adapts tokio; every behaviour
//! users observe lives in `anyio-core`. Applications normally use it through the `anyio` facade
//! (its `tokio` feature, on by default) rather than directly.
//!
//! Inside a runtime the application started itself (`#[tokio::main]`,
//! `Runtime::block_on`), [`TokioRuntime::current`] finds it through
//! [`tokio::runtime::Handle::try_current`].
//!
//! # Examples
//!
//! Used directly through the waist (applications go through `anyio` instead):
//!
//! ```
//! use std::time::{Duration, Instant};
//! use anyio_core::backend::Runtime;
//! use anyio_backend_tokio::TokioRuntime;
//!
//! let value = TokioRuntime
//!     .block_on(async {
//!         let start = Instant::now();
//!         TokioRuntime.timer(start + Duration::from_millis(5)).await;
//!         assert!(start.elapsed() >= Duration::from_millis(5));
//!         TokioRuntime.spawn(async { 6 * 7 }).await
//!     })
//!     .unwrap();
//! assert_eq!(value, Some(42));
//! ```
//!
//! [tokio]: https://docs.rs/tokio

// Denied, not forbidden: registering a socket with tokio is an `unsafe` call, made once in
// `io.rs` with its proof next to it.
#![deny(unsafe_code)]

#[cfg(unix)]
mod io;

#[cfg(unix)]
pub use io::TokioRegistration;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use anyio_core::backend::{self, NestedRun, NoRuntime, Runtime};
use pin_project_lite::pin_project;
use tokio::runtime::Handle;

/// The tokio runtime serving the caller.
///
/// A zero-sized token: spawning and timers go to the tokio runtime of the calling thread, so
/// they must be used inside one (which [`Runtime::current`] checks and [`Runtime::block_on`]
/// provides).
///
/// # Examples
///
/// ```
/// use anyio_core::backend::Runtime;
/// use anyio_backend_tokio::TokioRuntime;
///
/// let answer = TokioRuntime
///     .block_on(async {
///         assert_eq!(TokioRuntime::current(), Ok(TokioRuntime));
///         TokioRuntime.spawn(async { 6 * 7 }).await
///     })
///     .unwrap();
/// assert_eq!(answer, Some(42));
/// assert_eq!(TokioRuntime.name(), "tokio");
/// ```
///
/// Inside a tokio runtime started natively, no `block_on` is needed:
///
/// ```
/// use anyio_core::backend::Runtime;
/// use anyio_backend_tokio::TokioRuntime;
///
/// let native = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// let answer = native.block_on(async {
///     let runtime = TokioRuntime::current().unwrap();
///     runtime.spawn(async { 6 * 7 }).await
/// });
/// assert_eq!(answer, Some(42));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TokioRuntime;

impl TokioRuntime {
    /// Whether the calling thread is inside a tokio runtime (a worker thread, or entered).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::backend::Runtime;
    /// use anyio_backend_tokio::TokioRuntime;
    ///
    /// assert!(!TokioRuntime::is_inside());
    /// assert_eq!(TokioRuntime.block_on(async { TokioRuntime::is_inside() }), Ok(true));
    /// ```
    pub fn is_inside() -> bool {
        Handle::try_current().is_ok()
    }
}

impl Runtime for TokioRuntime {
    type Timer = TokioTimer;
    type JoinHandle<T: Send + 'static> = TokioJoinHandle<T>;

    fn current() -> Result<Self, NoRuntime> {
        if Self::is_inside() {
            Ok(Self)
        } else {
            Err(NoRuntime::new(
                "not inside a tokio runtime: start one with anyio::run (or #[tokio::main]) and \
                 call this from inside it",
            ))
        }
    }

    fn name(self) -> &'static str {
        "tokio"
    }

    fn spawn<F>(self, future: F) -> TokioJoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoinHandle {
            inner: tokio::spawn(future),
        }
    }

    fn timer(self, deadline: Instant) -> TokioTimer {
        TokioTimer {
            sleep: tokio::time::sleep_until(clamp(deadline).into()),
        }
    }

    fn now(self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    /// Runs `future` on a fresh multi-threaded tokio runtime with all drivers enabled.
    ///
    /// # Panics
    ///
    /// Panics if the operating system refuses to create the runtime's threads or drivers.
    fn block_on<F: Future>(self, future: F) -> Result<F::Output, NestedRun> {
        if Self::is_inside() {
            return Err(NestedRun::new("tokio"));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("failed to start the tokio runtime");
        Ok(runtime.block_on(future))
    }
}

/// Tokio adds just under a millisecond to every deadline when it rounds it to its timer wheel,
/// which overflows `Instant` for deadlines at the very end of its range; such deadlines are
/// centuries away, so moving them a second earlier changes nothing observable.
fn clamp(deadline: Instant) -> Instant {
    const MARGIN: Duration = Duration::from_secs(1);
    match deadline.checked_add(MARGIN) {
        Some(_) => deadline,
        None => deadline.checked_sub(MARGIN).unwrap_or(deadline),
    }
}

pin_project! {
    /// A resettable tokio timer, as returned by [`Runtime::timer`] for [`TokioRuntime`].
    ///
    /// Once its deadline has passed it stays ready until it is reset.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use anyio_core::backend::{Runtime, Timer};
    /// use anyio_backend_tokio::{TokioRuntime, TokioTimer};
    ///
    /// TokioRuntime
    ///     .block_on(async {
    ///         let in_an_hour = Instant::now() + Duration::from_secs(3600);
    ///         let timer: TokioTimer = TokioRuntime.timer(in_an_hour);
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
    #[derive(Debug)]
    pub struct TokioTimer {
        #[pin]
        sleep: tokio::time::Sleep,
    }
}

impl Future for TokioTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().sleep.poll(cx)
    }
}

impl backend::Timer for TokioTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().sleep.reset(clamp(deadline).into());
    }
}

/// A task spawned on tokio, as returned by [`Runtime::spawn`] for [`TokioRuntime`].
///
/// Resolves to `None` when the task was aborted, panicked, or its runtime shut down. Dropping
/// it detaches the task.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{JoinHandle, Runtime};
/// use anyio_backend_tokio::{TokioRuntime, TokioJoinHandle};
///
/// TokioRuntime
///     .block_on(async {
///         let task: TokioJoinHandle<u32> = TokioRuntime.spawn(async { 7 });
///         assert_eq!(task.await, Some(7));
///
///         let stuck = TokioRuntime.spawn(std::future::pending::<()>());
///         stuck.abort();
///         assert_eq!(stuck.await, None);
///
///         let panicked = TokioRuntime.spawn(async { panic!("expected") });
///         assert_eq!(panicked.await, None::<()>);
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it, or a pending `.await` on it, detaches the task, which keeps
/// running.
pub struct TokioJoinHandle<T> {
    inner: tokio::task::JoinHandle<T>,
}

impl<T> std::fmt::Debug for TokioJoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokioJoinHandle")
            .field("id", &self.inner.id())
            .finish()
    }
}

impl<T> Future for TokioJoinHandle<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.inner).poll(cx).map(Result::ok)
    }
}

impl<T: Send> backend::JoinHandle<T> for TokioJoinHandle<T> {
    fn abort(&self) {
        self.inner.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    anyio_core::runtime_conformance_tests!(TokioRuntime);
}
