//! Sleeping, the clock, and checkpoints.

use std::time::{Duration, Instant};

use anyio_core::time as core;

use crate::AnyRuntime;

pub use core::{Checkpoint, SleepForever};

/// The future returned by [`sleep`] and [`sleep_until`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// # anyio::run(async {
/// let deadline = Instant::now() + Duration::from_millis(5);
/// let sleep: anyio::Sleep = anyio::sleep_until(deadline);
/// assert_eq!(sleep.deadline(), Some(deadline));
/// sleep.await;
/// assert!(Instant::now() >= deadline);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When a sleep that needs a timer (a delay neither zero nor too large for the clock) is
/// polled outside any runtime an enabled backend can serve; the message names the cargo
/// feature to enable.
///
/// # Cancel safety
///
/// Cancel safe: dropping it only disarms its timer.
pub type Sleep = core::Sleep<AnyRuntime>;

/// Sleeps for `delay`; a checkpoint even when `delay` is zero.
///
/// `Duration::MAX`, or any delay the clock cannot represent, sleeps forever (until cancelled).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # anyio::run(async {
/// let start = Instant::now();
/// anyio::sleep(Duration::from_millis(20)).await;
/// assert!(start.elapsed() >= Duration::from_millis(20));
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When a sleep that needs a timer (a delay neither zero nor too large for the clock) is
/// polled outside any runtime an enabled backend can serve; the message names the cargo
/// feature to enable.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future only disarms its timer.
pub fn sleep(delay: Duration) -> Sleep {
    core::sleep(delay)
}

/// Sleeps until `deadline`; just a checkpoint if it has passed.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # anyio::run(async {
/// let deadline = Instant::now() + Duration::from_millis(10);
/// anyio::sleep_until(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When polled outside any runtime an enabled backend can serve; the message names the cargo
/// feature to enable.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future only disarms its timer.
pub fn sleep_until(deadline: Instant) -> Sleep {
    core::sleep_until(deadline)
}

/// Waits until the enclosing scope is cancelled; never completes on its own.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let outcome = anyio::move_on_after(Duration::from_millis(10), anyio::sleep_forever()).await;
/// assert!(outcome.is_none());
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: there is nothing to lose.
pub fn sleep_forever() -> SleepForever {
    core::sleep_forever()
}

/// The current time of the runtime serving the caller.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let before = anyio::current_time();
/// anyio::checkpoint().await;
/// assert!(anyio::current_time() >= before);
/// # }).unwrap();
/// ```
pub fn current_time() -> Instant {
    core::current_time::<AnyRuntime>()
}

/// Yields to the scheduler once: lets other tasks run, and is a cancellation point (inside a
/// cancelled scope it never completes, so the scope drops the code around it).
///
/// Call it in long computations that would otherwise never suspend.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let mut total = 0u64;
/// for i in 0..10_000u64 {
///     total += i;
///     if i % 1_000 == 0 {
///         anyio::checkpoint().await;
///     }
/// }
/// assert_eq!(total, 49_995_000);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe.
pub fn checkpoint() -> Checkpoint {
    core::checkpoint()
}
