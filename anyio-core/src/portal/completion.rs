//! The result slot shared by a portal task and the thread waiting for it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::marker;
use super::PortalError;

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
    waker: Option<Waker>,
    /// Cancels the task in the portal's group, once it has been spawned there.
    canceller: Option<Canceller>,
    cancel_requested: bool,
}

/// Written once by the task's [`Reporter`], read once by its [`PortalTask`].
pub(super) struct Completion<T> {
    state: Mutex<State<T>>,
    done: Condvar,
}

impl<T> Completion<T> {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                outcome: None,
                taken: false,
                waker: None,
                canceller: None,
                cancel_requested: false,
            }),
            done: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The lock is never held while user code runs, so poisoning cannot leave the state
        // half-updated.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn finish(&self, outcome: Outcome<T>) {
        let waker = {
            let mut state = self.lock();
            if state.outcome.is_some() || state.taken {
                return;
            }
            state.outcome = Some(outcome);
            state.canceller = None;
            state.waker.take()
        };
        self.done.notify_all();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Records how to cancel the spawned task, or cancels it now if that was already asked.
    pub(super) fn set_canceller(&self, canceller: Canceller) {
        let mut state = self.lock();
        if state.outcome.is_some() || state.taken {
            return;
        }
        if state.cancel_requested {
            drop(state);
            canceller();
        } else {
            state.canceller = Some(canceller);
        }
    }

    fn cancel(&self) {
        let canceller = {
            let mut state = self.lock();
            if state.outcome.is_some() || state.taken {
                return;
            }
            state.cancel_requested = true;
            state.canceller.take()
        };
        if let Some(canceller) = canceller {
            canceller();
        }
    }

    fn is_finished(&self) -> bool {
        let state = self.lock();
        state.outcome.is_some() || state.taken
    }

    fn take(state: &mut State<T>) -> Option<Result<T, PortalError>> {
        let outcome = state.outcome.take()?;
        state.taken = true;
        Some(match outcome {
            Outcome::Value(value) => Ok(value),
            Outcome::Cancelled => Err(PortalError::Cancelled),
            Outcome::Panicked(payload) => panic::resume_unwind(payload),
        })
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
        let mut state = self.completion.lock();
        if state.outcome.is_none() && !state.taken && marker::is_inside(self.portal) {
            return Err(PortalError::ReEntrant);
        }
        loop {
            if let Some(result) = Completion::take(&mut state) {
                return result;
            }
            if state.taken {
                return Err(PortalError::Cancelled);
            }
            state = self
                .completion
                .done
                .wait(state)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
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
        let mut state = self.completion.lock();
        if let Some(result) = Completion::take(&mut state) {
            return Poll::Ready(result);
        }
        if state.taken {
            return Poll::Ready(Err(PortalError::Cancelled));
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
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
