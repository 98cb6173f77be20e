//! The shareable handle of a cancel scope.

use std::fmt;
use std::time::Instant;

use crate::backend::Runtime;
use crate::time::current_time;
use crate::tree::{NodeRef, Reason};

/// The reason a deadline gives, in [`CancelHandle::cancel_reason`] and errors.
pub(crate) const DEADLINE_REASON: &str = "deadline exceeded";

/// A cloneable, thread-safe handle to a cancel scope: cancel it, move its deadline or switch
/// its shield from any task or thread, and ask afterwards what happened.
///
/// Obtained from [`CancelScope::handle`](super::CancelScope::handle),
/// [`Scoped::handle`](super::Scoped::handle) (a `move_on_after`'s scope) or
/// [`TaskGroup::cancel_handle`](crate::task::TaskGroup::cancel_handle); it stays valid after
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
    node: NodeRef,
    /// The clock of the runtime serving the scope, so a deadline read through the handle is on
    /// that clock.
    now: fn() -> Instant,
}

impl CancelHandle {
    pub(crate) fn new<R: Runtime>(node: NodeRef) -> Self {
        Self {
            node,
            now: current_time::<R>,
        }
    }

    /// Delivers a deadline that has passed without the scope's owner noticing yet (it has not
    /// been entered, or is busy between checkpoints), as reading `cancel_called` in Trio does.
    /// A deadline that passes after the scope finished does not count.
    fn deadline_check(&self) {
        self.node.cancel_if_deadline_passed((self.now)());
    }

    /// Cancels the scope. Idempotent.
    ///
    /// The scope wakes and polls its body, which runs on to its next checkpoint: there the
    /// body is dropped (after any shielded part and any task-group children inside it have
    /// finished). Cancellation is level-triggered: every anyio checkpoint inside the scope
    /// stays cancelled from now on.
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
        self.node.cancel(None);
    }

    /// Cancels the scope, recording why; see [`cancel_reason`](Self::cancel_reason). The first
    /// reason given stays.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// handle.cancel_with_reason("user pressed stop");
    /// assert!(format!("{handle:?}").contains("user pressed stop"));
    /// # }).unwrap();
    /// ```
    pub fn cancel_with_reason(&self, reason: impl Into<String>) {
        self.node.cancel(Some(Reason::from(reason.into())));
    }

    /// Why the scope was cancelled: the reason given to
    /// [`cancel_with_reason`](Self::cancel_with_reason), `"deadline exceeded"` when its
    /// deadline passed, or `None` (not cancelled, or cancelled without a reason).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let mut wait = anyio::move_on_after(Duration::ZERO, anyio::sleep_forever());
    /// let handle = wait.handle();
    /// assert_eq!(wait.await, None);
    /// assert_eq!(handle.cancel_reason().as_deref(), Some("deadline exceeded"));
    /// # }).unwrap();
    /// ```
    pub fn cancel_reason(&self) -> Option<String> {
        self.deadline_check();
        if self.node.cancelled_by_deadline() {
            return Some(DEADLINE_REASON.to_string());
        }
        self.node.reason().map(|reason| reason.to_string())
    }

    /// Whether [`cancel`](Self::cancel) has been called or the scope's deadline has passed
    /// (on the runtime's clock; a passed deadline found here cancels the scope at once, as it
    /// would at the scope's next poll).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let deadline = anyio::current_time() + Duration::from_millis(5);
    /// let scope = anyio::CancelScope::with_deadline(deadline);
    /// let handle = scope.handle();
    /// assert!(!handle.is_cancel_called());
    /// assert_eq!(scope.run(anyio::sleep_forever()).await, None);
    /// assert!(handle.is_cancel_called()); // the deadline passed
    /// # }).unwrap();
    /// ```
    pub fn is_cancel_called(&self) -> bool {
        self.deadline_check();
        self.node.cancel_called()
    }

    /// Whether the scope stopped its body because of its own cancellation or deadline.
    ///
    /// False while the scope runs, when the body completed, and when an enclosing scope's
    /// cancellation stopped it instead: the outermost cancelled scope up to a shield is the one
    /// that catches.
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
    /// use std::time::Duration;
    ///
    /// let deadline = anyio::current_time() + Duration::from_secs(1);
    /// let scope = anyio::CancelScope::with_deadline(deadline);
    /// assert_eq!(scope.handle().deadline(), Some(deadline));
    /// assert_eq!(anyio::CancelScope::new().handle().deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline()
    }

    /// Moves (or, with `None`, removes) the scope's deadline. A running scope re-arms its timer;
    /// a deadline already in the past cancels it at once. A deadline that has already fired
    /// stays fired: moving it later does not undo the cancellation.
    ///
    /// # Examples
    ///
    /// Bringing a deadline forward from inside the body:
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let later = anyio::current_time() + Duration::from_secs(3600);
    /// let scope = anyio::CancelScope::with_deadline(later);
    /// let handle = scope.handle();
    /// let outcome = scope
    ///     .run(async move {
    ///         handle.set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    ///         anyio::sleep_forever().await
    ///     })
    ///     .await;
    /// assert!(outcome.is_none()); // the timer was re-armed for the new deadline
    /// # }).unwrap();
    /// ```
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.node.set_deadline(deadline);
        self.deadline_check();
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

    /// Switches the shield while the scope runs, with effect at once: switched on, checkpoints
    /// inside stop seeing the enclosing scopes' cancellation; switched off, an enclosing
    /// cancellation reaches the body at its next checkpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    ///
    /// # anyio::run(async {
    /// static FLUSHED: AtomicBool = AtomicBool::new(false);
    /// let outer = anyio::CancelScope::new();
    /// let cancel_outer = outer.handle();
    /// let outcome = outer
    ///     .run(async move {
    ///         let inner = anyio::CancelScope::new();
    ///         let inner_handle = inner.handle();
    ///         inner
    ///             .run(async move {
    ///                 inner_handle.set_shield(true);
    ///                 cancel_outer.cancel();
    ///                 anyio::checkpoint().await; // shielded: goes on
    ///                 FLUSHED.store(true, Ordering::Relaxed);
    ///                 inner_handle.set_shield(false);
    ///                 anyio::checkpoint().await; // the outer cancellation lands here
    ///                 unreachable!();
    ///             })
    ///             .await
    ///     })
    ///     .await;
    /// assert!(outcome.is_none());
    /// assert!(FLUSHED.load(Ordering::Relaxed));
    /// # }).unwrap();
    /// ```
    pub fn set_shield(&self, shield: bool) {
        self.node.set_shield(shield);
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("deadline", &self.deadline())
            .field("shield", &self.is_shielded())
            .field("cancel_called", &self.is_cancel_called())
            .field("cancelled_caught", &self.cancelled_caught())
            .field("reason", &self.cancel_reason())
            .finish()
    }
}
