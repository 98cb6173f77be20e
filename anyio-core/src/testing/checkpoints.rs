//! Trio's `assert_checkpoints` and `assert_no_checkpoints`, as future wrappers.
//!
//! A checkpoint is a cancel point (the code asked whether its scope is cancelled, and would
//! have stopped there) and a schedule point (it returned `Pending`, letting other tasks run)
//! together. Either alone is not a checkpoint, as in Trio.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context;

/// Wraps `future` so that it panics, when it completes, unless it went through a checkpoint:
/// at least one cancel point and at least one schedule point. Trio's `assert_checkpoints`,
/// for testing that an operation cannot hold the event loop or ignore cancellation.
///
/// A future dropped before it completes (cancelled by its scope, say) is not checked: as in
/// Trio, leaving early passes.
///
/// # Examples
///
/// ```
/// use anyio::testing::assert_checkpoints;
///
/// # anyio::run(async {
/// assert_checkpoints(anyio::checkpoint()).await;
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When the future completes without a cancel point or without a schedule point; the message
/// says which was missing.
pub fn assert_checkpoints<F: Future>(future: F) -> AssertCheckpoints<F> {
    AssertCheckpoints::new(future, true)
}

/// Wraps `future` so that it panics, when it completes, if it reached a cancel point or a
/// schedule point: it ran straight through. Trio's `assert_no_checkpoints`, for code that
/// must not give other tasks a chance to see a half-done state.
///
/// # Examples
///
/// ```
/// use anyio::testing::assert_no_checkpoints;
///
/// # anyio::run(async {
/// let sum = assert_no_checkpoints(async { 1 + 1 }).await;
/// assert_eq!(sum, 2);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When the future reached a cancel point or a schedule point; the message says which.
pub fn assert_no_checkpoints<F: Future>(future: F) -> AssertCheckpoints<F> {
    AssertCheckpoints::new(future, false)
}

pin_project! {
    /// The future of [`assert_checkpoints`] and [`assert_no_checkpoints`]: the wrapped
    /// future's output, checked when it completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::{assert_checkpoints, AssertCheckpoints};
    ///
    /// # anyio::run(async {
    /// let checked: AssertCheckpoints<_> = assert_checkpoints(anyio::checkpoint());
    /// checked.await;
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As the wrapped future; dropped before it completes, it checks nothing.
    #[must_use = "futures do nothing unless polled"]
    pub struct AssertCheckpoints<F> {
        #[pin]
        future: F,
        expected: bool,
        cancel_points: u64,
        schedule_points: u64,
    }
}

impl<F> AssertCheckpoints<F> {
    fn new(future: F, expected: bool) -> Self {
        Self {
            future,
            expected,
            cancel_points: 0,
            schedule_points: 0,
        }
    }
}

impl<F: Future> Future for AssertCheckpoints<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // Counted per poll on the polling thread, so a task that moves between threads
        // between polls is still counted right.
        let before = context::cancel_points();
        let poll = this.future.poll(cx);
        *this.cancel_points += context::cancel_points().wrapping_sub(before);
        let output = match poll {
            Poll::Pending => {
                *this.schedule_points += 1;
                return Poll::Pending;
            }
            Poll::Ready(output) => output,
        };
        let (cancel, schedule) = (*this.cancel_points > 0, *this.schedule_points > 0);
        if *this.expected && !(cancel && schedule) {
            let missing = match (cancel, schedule) {
                (false, false) => "neither a cancel point nor a schedule point",
                (false, true) => "no cancel point (it yielded, but never checked for cancellation)",
                _ => "no schedule point (it checked for cancellation, but never yielded)",
            };
            panic!("assert_checkpoints: the future completed without a checkpoint: {missing}");
        }
        if !*this.expected && (cancel || schedule) {
            panic!(
                "assert_no_checkpoints: the future went through {} cancel point(s) and {} \
                 schedule point(s)",
                this.cancel_points, this.schedule_points
            );
        }
        Poll::Ready(output)
    }
}

impl<F> fmt::Debug for AssertCheckpoints<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssertCheckpoints")
            .field("expected", &self.expected)
            .field("cancel_points", &self.cancel_points)
            .field("schedule_points", &self.schedule_points)
            .finish_non_exhaustive()
    }
}
