//! Running blocking code on a thread without blocking the event loop.
//!
//! [`run_sync`] runs a blocking closure on the backend's pool for blocking work (tokio's
//! blocking pool, async-std's, or smol's `blocking` crate) and resolves to its result. At most
//! 40 such closures run at once by default ([`current_default_thread_limiter`]); a call can
//! use a [`CapacityLimiter`](crate::CapacityLimiter) of its own. Inside the closure,
//! [`from_thread`](crate::from_thread) calls back into the awaiting task.
//!
//! # Examples
//!
//! ```
//! # anyio::run(async {
//! let digest = anyio::to_thread::run_sync(|| {
//!     // Stand-in for a blocking library call (file hashing, compression, a sync client...).
//!     std::thread::sleep(std::time::Duration::from_millis(5));
//!     0xbeef_u32
//! })
//! .await;
//! assert_eq!(digest, 0xbeef);
//! # }).unwrap();
//! ```

use anyio_core::thread::to_thread as core;

use crate::AnyRuntime;

pub use core::{current_default_thread_limiter, RunSyncFuture, DEFAULT_THREAD_TOKENS};

/// A configured [`run_sync`] call; awaiting it runs the closure. Set
/// [`limiter`](RunSync::limiter) and [`abandon_on_cancel`](RunSync::abandon_on_cancel) first.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio::CapacityLimiter;
///
/// # anyio::run(async {
/// let two_at_a_time = Arc::new(CapacityLimiter::new(2));
/// let call: anyio::to_thread::RunSync<_, u32> =
///     anyio::to_thread::run_sync(|| 6 * 7).limiter(two_at_a_time);
/// assert_eq!(call.await, 42);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// See [`run_sync`].
pub type RunSync<F, T> = core::RunSync<AnyRuntime, F, T>;

/// Runs the blocking `f` on the backend's pool for blocking work and resolves to its result,
/// holding a token of [`current_default_thread_limiter`] (40 tokens) while it runs.
///
/// # Examples
///
/// ```
/// use std::future::IntoFuture;
/// use std::time::Duration;
///
/// # anyio::run(async {
/// // A cancelled call waits for the closure by default: the side effect is there afterwards.
/// let (tx, rx) = std::sync::mpsc::channel();
/// let call = anyio::to_thread::run_sync(move || {
///     std::thread::sleep(Duration::from_millis(50));
///     tx.send("written").unwrap();
/// });
/// let outcome = anyio::move_on_after(Duration::from_millis(5), call.into_future()).await;
/// assert_eq!(outcome, None);
/// assert_eq!(rx.try_recv(), Ok("written"));
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When `f` panics, awaiting resumes that panic with its original payload. When awaited
/// outside any runtime an enabled backend can serve.
///
/// # Cancel safety
///
/// Waiting for a token is a cancellable checkpoint. Once `f` runs, a cancelled call waits
/// (shielded) for it to finish and discards its result, unless
/// [`abandon_on_cancel(true)`](RunSync::abandon_on_cancel) was set: then it is dropped at
/// once and the thread runs on (a result `f` returned before the cancellation is still
/// delivered, one it returned after is not). The token is given back when `f` returns.
///
/// The wait is shielded only from cancel scopes: dropping the future in any other way (a
/// `select!` that picks another branch, a runtime shutting down) detaches the thread, as
/// abandoning does.
pub fn run_sync<F, T>(f: F) -> RunSync<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    core::run_sync::<AnyRuntime, F, T>(f)
}
