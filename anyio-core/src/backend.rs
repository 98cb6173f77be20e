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

mod locked;

pub use locked::{LockedJoinHandle, NativeTask};

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// A runtime that anyio can run on.
///
/// Implementations must be multi-threaded where the runtime allows it, so that task-group
/// children run in parallel.
pub trait Runtime: Copy + Send + Sync + fmt::Debug + 'static {
    /// A timer that completes at a deadline and can be moved to another deadline.
    type Timer: Timer;

    /// A handle to a spawned task: awaiting it yields the task's output, and it can abort the
    /// task. Dropping it detaches the task, which keeps running.
    type JoinHandle<T: Send + 'static>: JoinHandle<T>;

    /// The runtime serving the calling code.
    ///
    /// # Errors
    ///
    /// Returns [`NoRuntime`] when the caller is not inside any runtime this type can serve.
    fn current() -> Result<Self, NoRuntime>;

    /// The runtime's name, as users write it (`"tokio"`, `"smol"`, ...).
    fn name(self) -> &'static str;

    /// Spawns `future` as a new task, concurrently and (on multi-threaded runtimes) in parallel.
    fn spawn<F>(self, future: F) -> Self::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// A timer that completes at `deadline` (at once if it has passed).
    fn timer(self, deadline: Instant) -> Self::Timer;

    /// The runtime's clock. Runtimes that can pause or simulate time override this.
    fn now(self) -> Instant {
        Instant::now()
    }

    /// Runs `f` with this runtime marked as the one serving the current thread, so that
    /// [`Runtime::current`] finds it without detection. Task roots wrap every poll in it.
    fn enter<T>(self, f: impl FnOnce() -> T) -> T {
        f()
    }

    /// Runs `future` to completion on this runtime, blocking the calling thread.
    ///
    /// # Errors
    ///
    /// Returns [`NestedRun`] when the calling thread is already driving a runtime, where
    /// blocking would deadlock.
    fn block_on<F: Future>(self, future: F) -> Result<F::Output, NestedRun>;
}

/// A resettable timer, as returned by [`Runtime::timer`].
pub trait Timer: Future<Output = ()> + Send + fmt::Debug {
    /// Moves the timer to a new deadline; a timer that had fired becomes pending again when the
    /// new deadline is in the future.
    fn reset(self: Pin<&mut Self>, deadline: Instant);
}

/// A spawned task, as returned by [`Runtime::spawn`].
///
/// Resolves to `Some(output)`, or `None` when the task was aborted (or its runtime shut down)
/// before it finished.
pub trait JoinHandle<T>: Future<Output = Option<T>> + Send + Unpin + fmt::Debug {
    /// Stops the task at its next suspension point; its future is dropped.
    fn abort(&self);
}

/// The error returned when anyio is called where no enabled runtime can serve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoRuntime {
    message: String,
}

impl NoRuntime {
    /// An error carrying `message`, which should tell the user what to do.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedRun {
    runtime: &'static str,
}

impl NestedRun {
    /// The error for a nested run inside the runtime named `runtime`.
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
