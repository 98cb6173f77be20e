//! The handle to one child of a task group.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::backend::Runtime;
use crate::error::{JoinError, JoinErrorKind};
use crate::tree::NodeRef;

/// How a child ended, as its [`TaskHandle`] sees it. Failures themselves
/// go to the group, which is the one place that reports them.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    Value(T),
    Failed,
    Panicked,
    Cancelled,
}

/// A child task of a task group: await it for the child's value, or cancel that one child.
///
/// Dropping the handle does not affect the child, which stays in its group.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let answer = tg.spawn(async { Ok(42) })?;
///     assert_eq!(answer.await?, 42);
///
///     let stuck = tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
///     stuck.cancel();
///     assert!(stuck.await.unwrap_err().is_cancelled());
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap(); // a cancelled child is not a failure
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// Awaiting it gives [`JoinError`] when the child produced no value: it was cancelled, it
/// failed (its error went to the group), or it panicked (the group re-raises the panic).
///
/// # Cancel safety
///
/// Cancel safe: dropping the handle, or a pending `.await` on it, does not affect the child.
pub struct TaskHandle<R: Runtime, T: Send + 'static> {
    join: R::JoinHandle<Outcome<T>>,
    node: NodeRef,
}

impl<R: Runtime, T: Send + 'static> TaskHandle<R, T> {
    pub(crate) fn new(join: R::JoinHandle<Outcome<T>>, node: NodeRef) -> Self {
        Self { join, node }
    }

    /// Cancels this child only: it is dropped at its next checkpoint (after any shielded
    /// part), and its group carries on. A child that has not run yet still runs up to its
    /// first checkpoint, as every body started in a cancelled scope does. Cancelling a finished
    /// child does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let value = anyio::task_group(|tg| async move {
    ///     let slow = tg.spawn(async { anyio::sleep(Duration::from_secs(60)).await; Ok(1) })?;
    ///     let fast = tg.spawn(async { Ok(2) })?;
    ///     slow.cancel();
    ///     assert!(slow.await.unwrap_err().is_cancelled());
    ///     Ok::<_, anyio::BoxError>(fast.await?)
    /// })
    /// .await;
    /// assert_eq!(value.unwrap(), 2);
    /// # }).unwrap();
    /// ```
    pub fn cancel(&self) {
        self.node.cancel(None);
    }

    /// The child's node, to cancel it.
    pub(crate) fn node(&self) -> &NodeRef {
        &self.node
    }
}

impl<R: Runtime, T: Send + 'static> Future for TaskHandle<R, T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.join)
            .poll(cx)
            .map(|outcome| match outcome {
                Some(Outcome::Value(value)) => Ok(value),
                Some(Outcome::Failed) => Err(JoinError::new(JoinErrorKind::Failed)),
                Some(Outcome::Panicked) => Err(JoinError::new(JoinErrorKind::Panicked)),
                Some(Outcome::Cancelled) | None => Err(JoinError::new(JoinErrorKind::Cancelled)),
            })
    }
}

impl<R: Runtime, T: Send + 'static> fmt::Debug for TaskHandle<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("cancel_called", &self.node.cancel_called())
            .finish_non_exhaustive()
    }
}
