//! The shareable handle of a cancel scope.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use super::node::ScopeNode;

/// A cloneable, thread-safe handle to a cancel scope: cancel it or move its deadline from any
/// task or thread, and ask afterwards what happened.
///
/// Obtained from [`CancelScope::handle`](super::CancelScope::handle) (or
/// [`TaskGroup::cancel_handle`](crate::task::TaskGroup::cancel_handle)); it stays valid after
/// the scope has finished (cancelling a finished scope does nothing).
///
/// # Examples
///
/// Cancelling from another thread:
///
/// ```
/// use std::time::Duration;
///
/// # anyio::run(async {
/// let scope = anyio::CancelScope::new();
/// let handle = scope.handle();
/// let canceller = handle.clone();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(5));
///     canceller.cancel();
/// });
/// assert_eq!(scope.run(anyio::sleep_forever()).await, None);
/// assert!(handle.is_cancel_called());
/// assert!(handle.cancelled_caught());
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct CancelHandle {
    pub(crate) node: Arc<ScopeNode>,
}

impl CancelHandle {
    /// Cancels the scope: its body is dropped at its next suspension point, after any shielded
    /// part and any task-group children inside it have finished. Idempotent.
    ///
    /// Cancellation is level-triggered: every anyio checkpoint inside the scope stays cancelled
    /// from now on, so no code after the next checkpoint runs.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// let outcome = scope
    ///     .run(async move {
    ///         handle.cancel();
    ///         handle.cancel(); // idempotent
    ///         anyio::checkpoint().await;
    ///         unreachable!("dropped at the checkpoint");
    ///     })
    ///     .await;
    /// assert_eq!(outcome, None);
    /// # }).unwrap();
    /// ```
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// Whether [`cancel`](Self::cancel) has been called (a passed deadline does not count).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::with_deadline(Instant::now() + Duration::from_millis(5));
    /// let handle = scope.handle();
    /// assert_eq!(scope.run(anyio::sleep_forever()).await, None);
    /// assert!(!handle.is_cancel_called()); // the deadline stopped it
    /// handle.cancel();
    /// assert!(handle.is_cancel_called());
    /// # }).unwrap();
    /// ```
    pub fn is_cancel_called(&self) -> bool {
        self.node.cancel_called()
    }

    /// Whether the scope stopped its body because of its own cancellation or deadline.
    ///
    /// False while the scope runs, when the body completed, and when an outer scope's
    /// cancellation stopped it instead.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let outer = anyio::CancelScope::new();
    /// let inner = anyio::CancelScope::new();
    /// let (outer_handle, inner_handle) = (outer.handle(), inner.handle());
    /// let cancel_outer = outer.handle();
    /// let outcome = outer
    ///     .run(inner.run(async move {
    ///         cancel_outer.cancel();
    ///         anyio::sleep_forever().await
    ///     }))
    ///     .await;
    /// assert!(outcome.is_none());
    /// assert!(outer_handle.cancelled_caught());
    /// assert!(!inner_handle.cancelled_caught()); // stopped by the outer scope
    /// # }).unwrap();
    /// ```
    pub fn cancelled_caught(&self) -> bool {
        self.node.caught()
    }

    /// The scope's own deadline, if it has one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let scope = anyio::CancelScope::with_deadline(deadline);
    /// assert_eq!(scope.handle().deadline(), Some(deadline));
    /// assert_eq!(anyio::CancelScope::new().handle().deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline()
    }

    /// Moves (or, with `None`, removes) the scope's deadline. A running scope re-arms its timer;
    /// a deadline already in the past cancels it at once.
    ///
    /// # Examples
    ///
    /// Bringing a deadline forward from inside the body:
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::with_deadline(Instant::now() + Duration::from_secs(3600));
    /// let handle = scope.handle();
    /// let outcome = scope
    ///     .run(async move {
    ///         handle.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    ///         anyio::sleep_forever().await
    ///     })
    ///     .await;
    /// assert!(outcome.is_none()); // the timer was re-armed for the new deadline
    /// # }).unwrap();
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.node.set_deadline(deadline);
    }

    /// Whether the scope is shielded from cancellation of scopes outside it.
    ///
    /// # Examples
    ///
    /// ```
    /// let scope = anyio::CancelScope::new().shield(true);
    /// assert!(scope.handle().is_shielded());
    /// ```
    pub fn is_shielded(&self) -> bool {
        self.node.is_shielded()
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("deadline", &self.deadline())
            .field("shield", &self.is_shielded())
            .field("cancel_called", &self.is_cancel_called())
            .field("cancelled_caught", &self.cancelled_caught())
            .finish()
    }
}
