//! The cancel scope builder.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Instant;

use super::handle::CancelHandle;
use super::scoped::Scoped;
use crate::backend::Runtime;
use crate::context;
use crate::instant;
use crate::time::current_time;
use crate::tree::{Kind, Node, NodeRef, Reason, Sources};

/// A cancel scope, ready to run one body.
///
/// Configure it (deadline, shield), take a [`CancelHandle`] if other tasks need to cancel it,
/// then [`run`](Self::run) a future inside it. `R` is the runtime whose clock and timers serve
/// the deadline; the `anyio` facade names this type `anyio::CancelScope`, for its
/// `AnyRuntime`.
///
/// # The delivery rule
///
/// Cancellation is delivered at checkpoints. When the scope is cancelled (by its handle, from
/// any task or thread, or by its deadline), every task started inside it is woken, whatever it
/// waits on. Each polls on until it suspends: every anyio checkpoint inside a cancelled scope
/// returns `Pending` at once and does nothing, and the first time the body returns `Pending`
/// it is dropped. A body that starts cancelled runs to its first checkpoint; an operation
/// that completed before the cancellation reached it keeps its result. The outermost cancelled
/// scope (up to a shield) catches the cancellation and resolves to `None`.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use anyio_core::cancel::CancelScope;
///
/// # anyio::run(async {
/// static STEPS: AtomicU32 = AtomicU32::new(0);
/// let deadline = anyio::current_time() + Duration::from_millis(5);
/// let scope = CancelScope::<anyio::AnyRuntime>::with_deadline(deadline);
/// let handle = scope.handle();
/// let outcome = scope
///     .run(async {
///         STEPS.fetch_add(1, Ordering::Relaxed);
///         anyio::sleep(Duration::from_secs(5)).await; // the deadline is delivered here
///         STEPS.fetch_add(1, Ordering::Relaxed); // never runs
///     })
///     .await;
/// assert_eq!(outcome, None);
/// assert_eq!(STEPS.load(Ordering::Relaxed), 1);
/// assert!(handle.cancelled_caught());
/// # }).unwrap();
/// ```
pub struct CancelScope<R> {
    node: NodeRef,
    _runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> CancelScope<R> {
    /// A scope with no deadline and no shield.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// assert_eq!(scope.run(async { 1 + 1 }).await, Some(2));
    /// # }).unwrap();
    /// ```
    pub fn new() -> Self {
        Self {
            node: Node::new(Kind::Scope, Sources::default()),
            _runtime: PhantomData,
        }
    }

    /// A scope that cancels itself at `deadline` (at once if it has passed).
    ///
    /// # Examples
    ///
    /// A deadline in the past cancels the scope on entry. As always, the body still runs up
    /// to its first checkpoint, where the cancellation is delivered:
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// static STEPS: AtomicU32 = AtomicU32::new(0);
    /// let past = anyio::current_time() - Duration::from_millis(1);
    /// let outcome = anyio::CancelScope::with_deadline(past)
    ///     .run(async {
    ///         STEPS.fetch_add(1, Ordering::Relaxed); // runs
    ///         anyio::checkpoint().await; // the cancellation lands here
    ///         STEPS.fetch_add(1, Ordering::Relaxed); // never runs
    ///     })
    ///     .await;
    /// assert_eq!(outcome, None);
    /// assert_eq!(STEPS.load(Ordering::Relaxed), 1);
    /// # }).unwrap();
    /// ```
    pub fn with_deadline(deadline: Instant) -> Self {
        let scope = Self::new();
        scope.node.init_deadline(instant::to_nanos(deadline));
        // A deadline already past cancels the scope now: its handle says so before entry.
        scope.node.cancel_if_deadline_passed(current_time::<R>());
        scope
    }

    /// Shields the body from cancellation of scopes outside this one. The scope's own deadline
    /// and [`CancelHandle::cancel`] still apply.
    ///
    /// While a shielded scope runs, a cancelled outer scope defers dropping its body until the
    /// shielded part has finished; the body is then dropped at its next suspension point.
    ///
    /// # Examples
    ///
    /// Cleanup that must finish even though the task is being cancelled, with its own time
    /// limit:
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::time::{Duration, Instant};
    ///
    /// # anyio::run(async {
    /// static FLUSHED: AtomicBool = AtomicBool::new(false);
    /// let outer = anyio::CancelScope::new();
    /// let cancel_outer = outer.handle();
    /// let outcome = outer
    ///     .run(async move {
    ///         cancel_outer.cancel();
    ///         let limit = Instant::now() + Duration::from_secs(1);
    ///         anyio::CancelScope::with_deadline(limit)
    ///             .shield(true)
    ///             .run(async {
    ///                 anyio::sleep(Duration::from_millis(5)).await; // runs despite the cancel
    ///                 FLUSHED.store(true, Ordering::Relaxed);
    ///             })
    ///             .await;
    ///         anyio::checkpoint().await; // the outer cancellation takes effect here
    ///         unreachable!();
    ///     })
    ///     .await;
    /// assert!(outcome.is_none());
    /// assert!(FLUSHED.load(Ordering::Relaxed));
    /// # }).unwrap();
    /// ```
    pub fn shield(self, shield: bool) -> Self {
        self.node.set_shield(shield);
        self
    }

    /// A handle to cancel this scope or move its deadline, from any task or thread.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// let outcome = anyio::task_group(|tg| async move {
    ///     tg.spawn(async move {
    ///         anyio::sleep(Duration::from_millis(5)).await;
    ///         handle.cancel();
    ///         Ok(())
    ///     })?;
    ///     Ok::<_, anyio::BoxError>(scope.run(anyio::sleep_forever()).await)
    /// })
    /// .await;
    /// assert!(outcome.unwrap().is_none());
    /// # }).unwrap();
    /// ```
    pub fn handle(&self) -> CancelHandle {
        CancelHandle::new::<R>(NodeRef::clone(&self.node))
    }

    /// Cancels the scope. A scope cancelled before it is entered still runs its body up to
    /// the body's first checkpoint, where the cancellation is delivered.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// scope.cancel();
    /// let outcome = scope
    ///     .run(async {
    ///         anyio::checkpoint().await;
    ///         unreachable!("cancelled at the first checkpoint");
    ///     })
    ///     .await;
    /// assert_eq!(outcome, None::<()>);
    /// # }).unwrap();
    /// ```
    pub fn cancel(&self) {
        self.node.cancel(None);
    }

    /// Cancels the scope, recording why: the reason shows in the scope's `Debug`, in
    /// [`CancelHandle::cancel_reason`] and in the error of a task group cancelled this way.
    /// The first reason given stays.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// scope.cancel_with_reason("shutting down");
    /// assert_eq!(scope.run(anyio::sleep_forever()).await, None);
    /// assert_eq!(handle.cancel_reason().as_deref(), Some("shutting down"));
    /// # }).unwrap();
    /// ```
    pub fn cancel_with_reason(&self, reason: impl Into<String>) {
        self.node.cancel(Some(Reason::from(reason.into())));
    }

    /// Runs `body` inside the scope: `Some(output)` if it completed, `None` if the scope caught
    /// its own cancellation.
    ///
    /// When the scope is cancelled, the body is polled on and dropped at its next checkpoint,
    /// once any shielded part and any task-group children started inside it have finished
    /// (see the [delivery rule](Self#the-delivery-rule)). If an outer scope's cancellation
    /// stops the body instead, this future never completes: the outer scope drops it along
    /// with the body.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let scope = anyio::CancelScope::new();
    /// let handle = scope.handle();
    /// let outcome = scope
    ///     .run(async move {
    ///         anyio::sleep(Duration::from_millis(1)).await;
    ///         handle.cancel();
    ///         anyio::sleep(Duration::from_secs(60)).await;
    ///         "not reached"
    ///     })
    ///     .await;
    /// assert_eq!(outcome, None);
    /// # }).unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// When the scope has a deadline and its body suspends where [`Runtime::current`] finds no
    /// runtime to arm the timer on; the message says what to do.
    ///
    /// # Cancel safety
    ///
    /// Dropping the returned future drops the body, exactly as cancelling the scope would; it is
    /// as cancel safe as the body is.
    pub fn run<F: Future>(self, body: F) -> Scoped<F, R> {
        Scoped::with_node(self.node, body)
    }
}

impl<R: Runtime> Default for CancelScope<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> fmt::Debug for CancelScope<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelScope")
            .field("deadline", &self.node.deadline())
            .field("shield", &self.node.is_shielded())
            .field("cancel_called", &self.node.cancel_called())
            .field("reason", &self.node.reason())
            .finish()
    }
}

/// The earliest deadline that applies to the calling code: the minimum over the enclosing
/// scopes up to and including the nearest shield. `None` means no deadline; a scope that has
/// been cancelled counts as a deadline in the past.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use anyio::current_effective_deadline;
///
/// # anyio::run(async {
/// let outer = Instant::now() + Duration::from_secs(10);
/// let inner = Instant::now() + Duration::from_secs(20);
/// anyio::CancelScope::with_deadline(outer)
///     .run(async move {
///         anyio::CancelScope::with_deadline(inner)
///             .run(async move {
///                 assert_eq!(current_effective_deadline(), Some(outer)); // the earlier one
///             })
///             .await;
///         anyio::CancelScope::new()
///             .shield(true)
///             .run(async { assert_eq!(current_effective_deadline(), None) })
///             .await;
///     })
///     .await;
/// assert_eq!(current_effective_deadline(), None); // outside every scope
/// # }).unwrap();
/// ```
pub fn current_effective_deadline() -> Option<Instant> {
    context::effective_deadline()
}
