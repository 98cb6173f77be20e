//! The runtime waist: everything an async runtime must provide for anyio to run on it.
//!
//! This trait is the whole boundary between anyio's semantics (cancel scopes, task groups,
//! time) and a concrete runtime. A backend crate implements [`Runtime`] for a zero-sized or
//! cheaply copyable type, in a few hundred lines, and nothing else: every behaviour a user can
//! observe is written once in `anyio-core` against this trait.
//!
//! The trait is used through generics rather than trait objects so that the hot paths
//! (spawning a task, arming a timer) never allocate on anyio's behalf; the `anyio` facade
//! implements it for an enum over the enabled backends.
//!
//! # Examples
//!
//! Code generic over the runtime finds the one serving it, spawns on it and arms its timers:
//!
//! ```
//! use std::time::Duration;
//! use anyio_core::backend::Runtime;
//!
//! async fn answer_after<R: Runtime>(delay: Duration) -> Option<u32> {
//!     let runtime = R::current().ok()?;
//!     let task = runtime.spawn(async move {
//!         runtime.timer(runtime.now() + delay).await;
//!         42
//!     });
//!     task.await
//! }
//!
//! let answer = anyio::run(answer_after::<anyio::AnyRuntime>(Duration::from_millis(5)));
//! assert_eq!(answer.unwrap(), Some(42));
//! ```

#[cfg(feature = "conformance")]
pub mod conformance;
mod io;
mod latched;
mod locked;

#[cfg(unix)]
pub use io::Pollable;
pub use io::{retry_until_ready, Interest, Reactor, Registration};
pub use latched::LatchedTimer;
pub use locked::{LockedJoinHandle, NativeTask};

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// A runtime that anyio can run on.
///
/// Implementations must be multi-threaded where the runtime allows it, so that task-group
/// children run in parallel.
///
/// # Examples
///
/// Everything in `anyio-core` is written like this, generic over `R`:
///
/// ```
/// use std::time::Duration;
/// use anyio::{AnyRuntime, Backend};
/// use anyio_core::backend::Runtime;
///
/// /// Spawns `n` tasks on the runtime serving the caller and sums what they return.
/// async fn sum_on<R: Runtime>(n: u64) -> u64 {
///     let runtime = R::current().unwrap_or_else(|e| panic!("{e}"));
///     let tasks: Vec<_> = (0..n).map(|i| runtime.spawn(async move { i })).collect();
///     let mut sum = 0;
///     for task in tasks {
///         sum += task.await.expect("not aborted");
///     }
///     sum
/// }
///
/// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
/// assert_eq!(runtime.block_on(sum_on::<AnyRuntime>(10)), Ok(45));
/// ```
pub trait Runtime: Copy + Send + Sync + fmt::Debug + 'static {
    /// A timer that completes at a deadline and can be moved to another deadline; see
    /// [`Runtime::timer`].
    type Timer: Timer;

    /// A handle to a spawned task: awaiting it yields the task's output, and it can abort the
    /// task. Dropping it detaches the task, which keeps running. See [`Runtime::spawn`].
    type JoinHandle<T: Send + 'static>: JoinHandle<T>;

    /// The runtime serving the calling code.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let inside = anyio::run_with(Backend::Tokio, async { AnyRuntime::current() }).unwrap();
    /// assert_eq!(inside.map(AnyRuntime::backend), Ok(Backend::Tokio));
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`NoRuntime`] when the caller is not inside any runtime this type can serve.
    fn current() -> Result<Self, NoRuntime>;

    /// The runtime's name, as users write it (`"tokio"`, `"smol"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// assert_eq!(runtime.name(), "tokio");
    /// ```
    fn name(self) -> &'static str;

    /// Spawns `future` as a new task, concurrently and (on multi-threaded runtimes) in parallel.
    ///
    /// The task is a plain runtime task: no cancel scope reaches it. anyio's task groups build
    /// on this.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// let doubled = runtime.block_on(async move { runtime.spawn(async { 21 * 2 }).await });
    /// assert_eq!(doubled, Ok(Some(42)));
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned handle, or a pending `.await` on it, detaches the task, which keeps
    /// running; [`JoinHandle::abort`] stops it.
    fn spawn<F>(self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// A timer that completes at `deadline` (at once if it has passed).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// runtime
    ///     .block_on(async move {
    ///         let deadline = runtime.now() + Duration::from_millis(5);
    ///         runtime.timer(deadline).await;
    ///         assert!(runtime.now() >= deadline);
    ///     })
    ///     .unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the timer only disarms it.
    fn timer(self, deadline: Instant) -> Self::Timer;

    /// The runtime's clock. Runtimes that can pause or simulate time override this.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// let (first, second) = runtime
    ///     .block_on(async move { (runtime.now(), runtime.now()) })
    ///     .unwrap();
    /// assert!(second >= first);
    /// ```
    fn now(self) -> Instant {
        Instant::now()
    }

    /// Runs `f` with this runtime marked as the one serving the current thread, so that
    /// [`Runtime::current`] finds it without detection. Task roots wrap every poll in it.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// assert_eq!(runtime.enter(AnyRuntime::current), Ok(runtime));
    /// ```
    fn enter<T>(self, f: impl FnOnce() -> T) -> T {
        f()
    }

    /// Runs `future` to completion on this runtime, blocking the calling thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::Runtime;
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// assert_eq!(runtime.block_on(async { 6 * 7 }), Ok(42));
    /// ```
    ///
    /// # Errors
    ///
    /// Returns [`NestedRun`] when the calling thread is already driving a runtime, where
    /// blocking would deadlock.
    fn block_on<F: Future>(self, future: F) -> Result<F::Output, NestedRun>;
}

/// A resettable timer, as returned by [`Runtime::timer`].
///
/// Once its deadline has passed it stays ready until it is reset.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::{AnyRuntime, Backend};
/// use anyio_core::backend::{Runtime, Timer};
///
/// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
/// runtime
///     .block_on(async move {
///         let mut timer = Box::pin(runtime.timer(runtime.now() + Duration::from_secs(3600)));
///         timer.as_mut().reset(runtime.now() + Duration::from_millis(5));
///         timer.as_mut().await; // fires after 5 ms, not an hour
///         timer.as_mut().await; // and stays ready
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping a timer only disarms it.
pub trait Timer: Future<Output = ()> + Send + fmt::Debug {
    /// Moves the timer to a new deadline; a timer that had fired becomes pending again when the
    /// new deadline is in the future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::{Runtime, Timer};
    ///
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// runtime
    ///     .block_on(async move {
    ///         let mut timer = Box::pin(runtime.timer(runtime.now()));
    ///         timer.as_mut().await;
    ///         let again = Instant::now() + Duration::from_millis(5);
    ///         timer.as_mut().reset(again);
    ///         timer.as_mut().await; // pending again until the new deadline
    ///         assert!(Instant::now() >= again);
    ///     })
    ///     .unwrap();
    /// ```
    fn reset(self: Pin<&mut Self>, deadline: Instant);
}

/// A spawned task, as returned by [`Runtime::spawn`].
///
/// Resolves to `Some(output)`, or `None` when the task was aborted (or its runtime shut down)
/// before it finished.
///
/// # Examples
///
/// ```
/// use anyio::{AnyRuntime, Backend};
/// use anyio_core::backend::{JoinHandle, Runtime};
///
/// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
/// runtime
///     .block_on(async move {
///         assert_eq!(runtime.spawn(async { 7 }).await, Some(7));
///         let stuck = runtime.spawn(std::future::pending::<()>());
///         stuck.abort();
///         assert_eq!(stuck.await, None);
///     })
///     .unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping the handle, or a pending `.await` on it, detaches the task, which
/// keeps running.
pub trait JoinHandle<T>: Future<Output = Option<T>> + Send + Unpin + fmt::Debug {
    /// Stops the task at its next suspension point; its future is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use std::time::Duration;
    /// use anyio::{AnyRuntime, Backend};
    /// use anyio_core::backend::{JoinHandle, Runtime};
    ///
    /// struct Dropped(mpsc::Sender<()>);
    /// impl Drop for Dropped {
    ///     fn drop(&mut self) {
    ///         let _ = self.0.send(());
    ///     }
    /// }
    ///
    /// let (tx, rx) = mpsc::channel();
    /// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
    /// runtime
    ///     .block_on(async move {
    ///         let guard = Dropped(tx);
    ///         let task = runtime.spawn(async move {
    ///             let _guard = guard;
    ///             std::future::pending::<()>().await
    ///         });
    ///         task.abort();
    ///         assert_eq!(task.await, None);
    ///         // The task's future was dropped (while the runtime still runs).
    ///         rx.recv_timeout(Duration::from_secs(5)).unwrap();
    ///     })
    ///     .unwrap();
    /// ```
    fn abort(&self);
}

/// The error returned when anyio is called where no enabled runtime can serve it.
///
/// Its message should tell the user what to do; anyio's futures panic with it when they are
/// polled outside any runtime.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::NoRuntime;
///
/// let error = NoRuntime::new("not inside a runtime: call this inside anyio::run");
/// assert_eq!(error.to_string(), "not inside a runtime: call this inside anyio::run");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRuntime {
    message: String,
}

impl NoRuntime {
    /// An error carrying `message`, which should tell the user what to do.
    ///
    /// # Examples
    ///
    /// What a backend's [`Runtime::current`] returns outside its runtime:
    ///
    /// ```
    /// use anyio_core::backend::NoRuntime;
    ///
    /// fn current(inside: bool) -> Result<(), NoRuntime> {
    ///     if inside {
    ///         Ok(())
    ///     } else {
    ///         Err(NoRuntime::new("not inside my runtime: start it with my_runtime::run"))
    ///     }
    /// }
    /// assert!(current(false).unwrap_err().to_string().contains("my_runtime::run"));
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for NoRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NoRuntime {}

/// The error returned by [`Runtime::block_on`] when the thread is already running a runtime.
///
/// # Examples
///
/// ```
/// use anyio::{AnyRuntime, Backend};
/// use anyio_core::backend::{NestedRun, Runtime};
///
/// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
/// let nested = runtime.block_on(async move { runtime.block_on(async {}) }).unwrap();
/// assert_eq!(nested, Err(NestedRun::new("tokio")));
/// assert!(nested.unwrap_err().to_string().starts_with("cannot start a runtime from inside"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedRun {
    runtime: &'static str,
}

impl NestedRun {
    /// The error for a nested run inside the runtime named `runtime`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::backend::NestedRun;
    ///
    /// let error = NestedRun::new("smol");
    /// assert!(error.to_string().contains("inside a running smol runtime"));
    /// ```
    pub fn new(runtime: &'static str) -> Self {
        Self { runtime }
    }
}

impl fmt::Display for NestedRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot start a runtime from inside a running {} runtime: await the future instead of \
             calling anyio::run, or call it from a plain thread",
            self.runtime
        )
    }
}

impl std::error::Error for NestedRun {}
