//! `move_on_after` / `fail_after`: a scope with a deadline around one future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::handle::CancelHandle;
use super::scoped::{EntryDeadline, Scoped};
use crate::backend::Runtime;
use crate::error::TimeoutError;

/// The future returned by [`move_on_after`] and [`move_on_at`]: a [`Scoped`] whose scope has
/// a deadline.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio_core::cancel::{move_on_after, MoveOnAfter};
///
/// # anyio::run(async {
/// let fast: MoveOnAfter<_, anyio::AnyRuntime> =
///     move_on_after(Duration::from_secs(1), async { 7 });
/// assert_eq!(fast.await, Some(7));
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping it drops the body; it is as cancel safe as the body is.
pub type MoveOnAfter<F, R> = Scoped<F, R>;

/// Runs `body` with a deadline `delay` after it starts: `Some(output)` if it finished in time,
/// `None` if the deadline passed first (the body is dropped at its next checkpoint).
///
/// The deadline is counted from the first poll, not from this call, on the runtime's clock.
/// [`Scoped::shield`] shields the body from enclosing cancellation, and [`Scoped::handle`]
/// gives a handle to the scope (to move its deadline, say).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::AnyRuntime;
/// use anyio_core::cancel::move_on_after;
///
/// # anyio::run(async {
/// let slow = move_on_after::<_, AnyRuntime>(Duration::from_millis(5), anyio::sleep_forever());
/// assert_eq!(slow.await, None);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When the body suspends where `R::current()` finds no runtime to arm the timer on; the
/// message says what to do.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn move_on_after<F: Future, R: Runtime>(delay: Duration, body: F) -> MoveOnAfter<F, R> {
    Scoped::lazy(EntryDeadline::After(delay), body)
}

/// Like [`move_on_after`], with an absolute deadline (already passed: cancelled on entry,
/// before the body first runs).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use anyio::AnyRuntime;
/// use anyio_core::cancel::move_on_at;
///
/// # anyio::run(async {
/// let deadline = Instant::now() + Duration::from_secs(1);
/// assert_eq!(move_on_at::<_, AnyRuntime>(deadline, async { 7 }).await, Some(7));
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When the body suspends where `R::current()` finds no runtime to arm the timer on; the
/// message says what to do.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn move_on_at<F: Future, R: Runtime>(deadline: Instant, body: F) -> MoveOnAfter<F, R> {
    Scoped::lazy(EntryDeadline::At(deadline), body)
}

/// Runs `body` with a deadline `delay` after it starts, failing with [`TimeoutError`] if the
/// deadline passes first (the body is dropped at its next suspension point).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::AnyRuntime;
/// use anyio_core::cancel::fail_after;
///
/// # anyio::run(async {
/// let slow = fail_after::<_, AnyRuntime>(Duration::from_millis(5), anyio::sleep_forever());
/// assert!(slow.await.is_err());
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
/// When the body suspends where `R::current()` finds no runtime to arm the timer on; the
/// message says what to do.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
///
/// [`FailAfter::shield`] and [`FailAfter::handle`] are as for `move_on_after`.
pub fn fail_after<F: Future, R: Runtime>(delay: Duration, body: F) -> FailAfter<F, R> {
    FailAfter {
        inner: move_on_after(delay, body),
    }
}

/// Like [`fail_after`], with an absolute deadline.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use anyio::AnyRuntime;
/// use anyio_core::cancel::fail_at;
///
/// # anyio::run(async {
/// let deadline = Instant::now() + Duration::from_secs(1);
/// assert_eq!(fail_at::<_, AnyRuntime>(deadline, async { 7 }).await, Ok(7));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`TimeoutError`] only when this deadline was reached.
///
/// # Panics
///
/// When the body suspends where `R::current()` finds no runtime to arm the timer on; the
/// message says what to do.
///
/// # Cancel safety
///
/// Dropping the future drops `body`; it is as cancel safe as `body` is.
pub fn fail_at<F: Future, R: Runtime>(deadline: Instant, body: F) -> FailAfter<F, R> {
    FailAfter {
        inner: move_on_at(deadline, body),
    }
}

pin_project! {
    /// The future returned by [`fail_after`] and [`fail_at`]: `Ok(output)`, or
    /// `Err(TimeoutError)` when the deadline passed first.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio_core::cancel::FailAfter;
    ///
    /// # anyio::run(async {
    /// let fast: FailAfter<_, anyio::AnyRuntime> =
    ///     anyio::fail_after(Duration::from_secs(1), async { 7 });
    /// assert_eq!(fast.await, Ok(7));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`TimeoutError`] only when this future's own deadline was reached.
    ///
    /// # Panics
    ///
    /// When the body suspends where `R::current()` finds no runtime to arm the timer on; the
    /// message says what to do.
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the body; it is as cancel safe as the body is.
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct FailAfter<F, R: Runtime> {
        #[pin]
        inner: Scoped<F, R>,
    }
}

impl<F, R: Runtime> FailAfter<F, R> {
    /// Shields the body from the cancellation of enclosing scopes; the deadline still applies.
    /// Call it before the future is first polled.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let outer = anyio::CancelScope::new();
    /// outer.cancel();
    /// let outcome = outer
    ///     .run(anyio::fail_after(Duration::from_millis(5), anyio::sleep_forever()).shield(true))
    ///     .await;
    /// // The shielded body ran until its own deadline, which it reports.
    /// assert!(outcome.unwrap().is_err());
    /// # }).unwrap();
    /// ```
    pub fn shield(self, shield: bool) -> Self {
        Self {
            inner: self.inner.shield(shield),
        }
    }

    /// A handle to the scope, to move its deadline or read its state. Cancelling the scope
    /// through it also ends this future with [`TimeoutError`], since it has no value to return;
    /// use [`move_on_after`] to tell a cancellation from a deadline.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let mut slow = anyio::fail_after(Duration::from_millis(1), async {
    ///     anyio::sleep(Duration::from_millis(20)).await;
    ///     7
    /// });
    /// let handle = slow.handle();
    /// let extend = async move {
    ///     handle.set_deadline(Some(anyio::current_time() + Duration::from_secs(5)));
    /// };
    /// let (value, ()) = futures_util::join!(slow, extend);
    /// assert_eq!(value, Ok(7));
    /// # }).unwrap();
    /// ```
    pub fn handle(&mut self) -> CancelHandle {
        self.inner.handle()
    }
}

impl<F: Future, R: Runtime> Future for FailAfter<F, R> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(output)) => Poll::Ready(Ok(output)),
            // The scope has no handle, so its deadline is the only thing it can catch.
            Poll::Ready(None) => Poll::Ready(Err(TimeoutError::new())),
        }
    }
}
