//! The result slot shared by a portal task and the thread waiting for it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::marker;
use super::PortalError;
use crate::wait::Parked;

/// How a portal task ended.
enum Outcome<T> {
    Value(T),
    Panicked(Box<dyn Any + Send + 'static>),
    Cancelled,
}

type Canceller = Box<dyn FnOnce() + Send + 'static>;

struct State<T> {
    outcome: Option<Outcome<T>>,
    /// The outcome has been handed to the waiter.
    taken: bool,
    /// Cancels the task in the portal's group, once it has been spawned there.
    canceller: Option<Canceller>,
    cancel_requested: bool,
}

impl<T> State<T> {
    fn is_finished(&self) -> bool {
        self.outcome.is_some() || self.taken
    }

    /// The outcome for the waiter, once: `Some(Err(Cancelled))` after it was taken.
    fn take(&mut self) -> Option<Result<Outcome<T>, PortalError>> {
        if let Some(outcome) = self.outcome.take() {
            self.taken = true;
            return Some(Ok(outcome));
        }
        self.taken.then_some(Err(PortalError::Cancelled))
    }
}

/// Written once by the task's [`Reporter`], read once by its [`PortalTask`], which may wait
/// as a task or as a thread.
pub(super) struct Completion<T> {
    state: Parked<State<T>>,
}

impl<T> Completion<T> {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Parked::new(State {
                outcome: None,
                taken: false,
                canceller: None,
                cancel_requested: false,
            }),
        })
    }

    fn finish(&self, outcome: Outcome<T>) {
        // A refused outcome (the task finished already) is dropped outside the lock.
        let refused = self.state.update(|state| {
            if state.is_finished() {
                return (Some(outcome), false);
            }
            state.outcome = Some(outcome);
            state.canceller = None;
            (None, true)
        });
        drop(refused);
    }

    /// Records how to cancel the spawned task, or cancels it now if that was already asked.
    pub(super) fn set_canceller(&self, canceller: Canceller) {
        let now = self.state.with(|state| {
            if state.is_finished() {
                return None;
            }
            if state.cancel_requested {
                return Some(canceller);
            }
            state.canceller = Some(canceller);
            None
        });
        if let Some(canceller) = now {
            canceller();
        }
    }

    fn cancel(&self) {
        let canceller = self.state.with(|state| {
            if state.is_finished() {
                return None;
            }
            state.cancel_requested = true;
            state.canceller.take()
        });
        if let Some(canceller) = canceller {
            canceller();
        }
    }

    fn is_finished(&self) -> bool {
        self.state.with(|state| state.is_finished())
    }
}

/// What the waiter gets: the value, the cancellation, or the task's panic, resumed.
fn deliver<T>(taken: Result<Outcome<T>, PortalError>) -> Result<T, PortalError> {
    match taken? {
        Outcome::Value(value) => Ok(value),
        Outcome::Cancelled => Err(PortalError::Cancelled),
        Outcome::Panicked(payload) => panic::resume_unwind(payload),
    }
}

/// Reports the task's outcome; dropped without reporting (the task was cancelled, or never
/// spawned because the portal stopped) it reports a cancellation.
pub(super) struct Reporter<T>(pub(super) Arc<Completion<T>>);

impl<T> Reporter<T> {
    pub(super) fn value(&self, value: T) {
        self.0.finish(Outcome::Value(value));
    }

    pub(super) fn panicked(&self, payload: Box<dyn Any + Send + 'static>) {
        self.0.finish(Outcome::Panicked(payload));
    }
}

impl<T> Drop for Reporter<T> {
    fn drop(&mut self) {
        self.0.finish(Outcome::Cancelled);
    }
}

/// A task started through [`BlockingPortal::start_task_soon`](super::BlockingPortal::start_task_soon):
/// wait for it from sync code, await it from async code, or cancel it.
///
/// Dropping the handle leaves the task running in the portal.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), anyio::portal::PortalError> {
/// use std::time::Duration;
///
/// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
/// let quick = portal.start_task_soon(async { 6 * 7 })?;
/// let stuck = portal.start_task_soon(async {
///     anyio::sleep(Duration::from_secs(60)).await;
/// })?;
/// assert_eq!(quick.wait()?, 42);
/// stuck.cancel();
/// assert!(matches!(stuck.wait(), Err(anyio::portal::PortalError::Cancelled)));
/// portal.stop(false);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
///
/// Waiting or awaiting gives [`PortalError::Cancelled`] when the task was cancelled (by
/// [`cancel`](Self::cancel) or by stopping the portal with `cancel_remaining`), and
/// [`PortalError::ReEntrant`] when [`wait`](Self::wait) would block the portal's own event loop.
///
/// # Panics
///
/// Waiting or awaiting re-raises the task's panic.
///
/// # Cancel safety
///
/// Awaiting it is cancel safe: dropping a pending `.await` does not affect the task.
pub struct PortalTask<T> {
    completion: Arc<Completion<T>>,
    portal: u64,
}

impl<T> PortalTask<T> {
    pub(super) fn new(completion: Arc<Completion<T>>, portal: u64) -> Self {
        Self { completion, portal }
    }

    /// Blocks the calling thread until the task has finished, and returns its value.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let task = portal.start_task_soon(async {
    ///     anyio::checkpoint().await;
    ///     "done"
    /// })?;
    /// assert_eq!(task.wait()?, "done");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`PortalError::Cancelled`] if the task was cancelled; [`PortalError::ReEntrant`] if
    /// called from the portal's own event loop while the task is still running (await the
    /// handle there instead).
    ///
    /// # Panics
    ///
    /// Re-raises the task's panic.
    pub fn wait(self) -> Result<T, PortalError> {
        let running = !self.completion.is_finished();
        if running && marker::is_inside(self.portal) {
            return Err(PortalError::ReEntrant);
        }
        deliver(self.completion.state.wait_blocking(State::take))
    }

    /// Cancels the task: it is dropped at its next suspension point (after any shielded part);
    /// a task that has not started yet never runs. Does nothing once it has finished.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let task = portal.start_task_soon(anyio::sleep_forever())?;
    /// task.cancel();
    /// assert!(matches!(task.wait(), Err(anyio::portal::PortalError::Cancelled)));
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel(&self) {
        self.completion.cancel();
    }

    /// Whether the task has finished (with a value, a panic, or cancelled).
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let task = portal.start_task_soon(anyio::sleep_forever())?;
    /// assert!(!task.is_finished());
    /// task.cancel();
    /// # let _ = task.wait();
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_finished(&self) -> bool {
        self.completion.is_finished()
    }
}

impl<T> Future for PortalTask<T> {
    type Output = Result<T, PortalError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let taken = self.completion.state.poll(cx, |state, _| {
            state.take().map_or(Poll::Pending, Poll::Ready)
        });
        taken.map(deliver)
    }
}

impl<T> fmt::Debug for PortalTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortalTask")
            .field("portal", &self.portal)
            .field("finished", &self.is_finished())
            .finish()
    }
}
