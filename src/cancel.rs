//! Cancel scopes, deadlines and shields.

use std::future::Future;
use std::time::{Duration, Instant};

use anyio_core::cancel as core;

use crate::AnyRuntime;

pub use anyio_core::error::TimeoutError;
pub use core::{current_effective_deadline, CancelHandle};

/// A cancel scope, ready to run one body; see the [crate docs](crate#cancel-scopes) for the
/// model.
///
/// # Examples
///
/// Cancel from another task, then ask whether the scope caught it:
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let scope = anyio::CancelScope::new();
/// let handle = scope.handle();
/// let canceller = handle.clone();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(10));
///     canceller.cancel();
/// });
/// let outcome = scope.run(anyio::sleep_forever()).await;
/// assert!(outcome.is_none());
/// assert!(handle.cancelled_caught());
/// # }).unwrap();
/// ```
///
/// A shield protects its body from an outer cancellation:
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let outer = anyio::CancelScope::new();
/// let cancel_outer = outer.handle();
/// let outcome = outer
///     .run(async move {
///         anyio::CancelScope::new()
///             .shield(true)
///             .run(async move {
///                 cancel_outer.cancel();
///                 anyio::sleep(Duration::from_millis(5)).await; // still runs
///                 "cleaned up"
///             })
///             .await
///     })
///     .await;
/// assert_eq!(outcome, Some(Some("cleaned up")));
/// # }).unwrap();
/// ```
pub type CancelScope = core::CancelScope<AnyRuntime>;

/// The future returned by [`CancelScope::run`], [`move_on_after`] and [`move_on_at`]:
/// `Some(output)`, or `None` when the scope caught its own cancellation.
pub type Scoped<F> = core::Scoped<F, AnyRuntime>;

/// The future returned by [`fail_after`] and [`fail_at`].
pub type FailAfter<F> = core::FailAfter<F, AnyRuntime>;

/// Runs `body` with a deadline `delay` after it starts: `Some(output)` if it finished in time,
/// `None` if the deadline came first (the body is dropped at its next suspension point).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let fast = anyio::move_on_after(Duration::from_secs(1), async { 7 }).await;
/// assert_eq!(fast, Some(7));
/// let slow = anyio::move_on_after(Duration::from_millis(10), anyio::sleep(Duration::from_secs(10))).await;
/// assert_eq!(slow, None);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn move_on_after<F: Future>(delay: Duration, body: F) -> Scoped<F> {
    core::move_on_after(delay, body)
}

/// Like [`move_on_after`], with an absolute deadline (already passed: cancelled on entry).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # anyio::run(async {
/// let past = Instant::now() - Duration::from_millis(1);
/// assert_eq!(anyio::move_on_at(past, async { anyio::checkpoint().await; 1 }).await, None);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn move_on_at<F: Future>(deadline: Instant, body: F) -> Scoped<F> {
    core::move_on_at(deadline, body)
}

/// Runs `body` with a deadline `delay` after it starts; if the deadline comes first the body
/// is dropped and the result is [`TimeoutError`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let result = anyio::fail_after(Duration::from_millis(10), anyio::sleep(Duration::from_secs(5))).await;
/// assert!(result.is_err());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`TimeoutError`] only when this deadline was reached; an outer scope's cancellation is
/// caught by that scope instead.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn fail_after<F: Future>(delay: Duration, body: F) -> FailAfter<F> {
    core::fail_after(delay, body)
}

/// Like [`fail_after`], with an absolute deadline.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// # anyio::run(async {
/// let deadline = Instant::now() + Duration::from_secs(1);
/// assert_eq!(anyio::fail_at(deadline, async { 3 }).await, Ok(3));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`TimeoutError`] only when this deadline was reached.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn fail_at<F: Future>(deadline: Instant, body: F) -> FailAfter<F> {
    core::fail_at(deadline, body)
}
