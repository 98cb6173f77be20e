//! `move_on_after` / `fail_after`: a scope with a deadline around one future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use super::node::ScopeNode;
use super::scoped::Scoped;
use crate::backend::Runtime;
use crate::error::TimeoutError;

/// The future returned by [`move_on_after`] and [`move_on_at`].
pub type MoveOnAfter<F, R> = Scoped<F, R>;

/// Runs `body` with a deadline `delay` after it starts: `Some(output)` if it finished in time,
/// `None` if the deadline passed first (the body is dropped at its next suspension point).
pub fn move_on_after<F: Future, R: Runtime>(delay: Duration, body: F) -> MoveOnAfter<F, R> {
    Scoped::with_delay(ScopeNode::new(false), delay, body)
}

/// Like [`move_on_after`], with an absolute deadline.
pub fn move_on_at<F: Future, R: Runtime>(deadline: Instant, body: F) -> MoveOnAfter<F, R> {
    let node = ScopeNode::new(false);
    node.init_deadline(Some(deadline));
    Scoped::new(node, body)
}

/// Runs `body` with a deadline `delay` after it starts, failing with [`TimeoutError`] if the
/// deadline passes first.
pub fn fail_after<F: Future, R: Runtime>(delay: Duration, body: F) -> FailAfter<F, R> {
    FailAfter {
        inner: move_on_after(delay, body),
    }
}

/// Like [`fail_after`], with an absolute deadline.
pub fn fail_at<F: Future, R: Runtime>(deadline: Instant, body: F) -> FailAfter<F, R> {
    FailAfter {
        inner: move_on_at(deadline, body),
    }
}

pin_project! {
    /// The future returned by [`fail_after`] and [`fail_at`].
    ///
    /// # Cancel safety
    ///
    /// Dropping it drops the body.
    #[must_use = "futures do nothing unless polled"]
    #[derive(Debug)]
    pub struct FailAfter<F, R: Runtime> {
        #[pin]
        inner: Scoped<F, R>,
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
