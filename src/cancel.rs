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
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # anyio::run(async {
/// let scoped: anyio::Scoped<_> = anyio::CancelScope::new().run(async { 7 });
/// assert_eq!(scoped.await, Some(7));
/// let timed_out: anyio::Scoped<_> =
///     anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever());
/// assert_eq!(timed_out.await, None);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When the body suspends outside any runtime an enabled backend can serve (the deadline needs
/// a timer); the message names the cargo feature to enable.
///
/// # Cancel safety
///
/// Dropping it drops the body, exactly as cancelling the scope would; it is as cancel safe as
/// the body is.
pub type Scoped<F> = core::Scoped<F, AnyRuntime>;

/// The future returned by [`fail_after`] and [`fail_at`]: `Ok(output)`, or
/// `Err(TimeoutError)` when the deadline passed first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # anyio::run(async {
/// let fast: anyio::FailAfter<_> = anyio::fail_after(Duration::from_secs(1), async { 7 });
/// assert_eq!(fast.await, Ok(7));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`TimeoutError`] only when its own deadline was reached.
///
/// # Panics
///
/// When the body suspends outside any runtime an enabled backend can serve (the deadline needs
/// a timer); the message names the cargo feature to enable.
///
/// # Cancel safety
///
/// Dropping it drops the body; it is as cancel safe as the body is.
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
/// let slow = anyio::move_on_after(Duration::from_millis(10), anyio::sleep_forever()).await;
/// assert_eq!(slow, None);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When the body suspends outside any runtime an enabled backend can serve (the deadline needs
/// a timer); the message names the cargo feature to enable.
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
/// # Panics
///
/// When the body suspends outside any runtime an enabled backend can serve (the deadline needs
/// a timer); the message names the cargo feature to enable.
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
/// let result = anyio::fail_after(Duration::from_millis(10), anyio::sleep_forever()).await;
/// assert_eq!(result.unwrap_err().to_string(), "deadline elapsed before the operation finished");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`TimeoutError`] only when this deadline was reached; an outer scope's cancellation is
/// caught by that scope instead.
///
/// # Panics
///
/// When the body suspends outside any runtime an enabled backend can serve (the deadline needs
/// a timer); the message names the cargo feature to enable.
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
/// # Panics
///
/// When the body suspends outside any runtime an enabled backend can serve (the deadline needs
/// a timer); the message names the cargo feature to enable.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn fail_at<F: Future>(deadline: Instant, body: F) -> FailAfter<F> {
    core::fail_at(deadline, body)
}
