//! `start` / `started`: waiting until a child reports that it is ready.

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use super::handle::TaskHandle;
use super::shared::Panic;
use crate::backend::Runtime;
use crate::context;
use crate::error::{SpawnError, StartError};
use crate::tree::NodeRef;
use crate::wait::{Acquire, Parked};

enum State<V, E> {
    Waiting,
    Started(V),
    /// `started` was called and its value taken by the caller of `start`.
    Delivered,
    Failed(E),
    Panicked(Panic),
    NeverStarted,
    Cancelled,
    /// The caller of `start` went away before the child started.
    Abandoned,
}

pub(crate) struct StartSlot<V, E> {
    state: Parked<State<V, E>>,
}

impl<V, E> StartSlot<V, E> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: Parked::new(State::Waiting),
        })
    }

    /// Moves from `Waiting` to `next` and wakes the caller of `start`; hands `next` back if
    /// the slot had already left `Waiting`.
    fn settle(&self, next: State<V, E>) -> Result<(), State<V, E>> {
        self.state.update(|state| {
            if matches!(state, State::Waiting) {
                *state = next;
                (Ok(()), true)
            } else {
                (Err(next), false)
            }
        })
    }
}

/// Where a child started with `start` sends what happens before it calls `started()`.
pub(crate) trait StartSink<E>: Send + Sync {
    /// Takes the error if the child has not started yet; hands it back otherwise.
    fn fail(&self, error: E) -> Option<E>;
    /// Takes the panic if the child has not started yet; hands it back otherwise.
    fn panic(&self, panic: Panic) -> Option<Panic>;
    /// The child completed or was cancelled; if it never started, the caller of `start` learns.
    fn ended(&self, cancelled: bool);
}

/// What a [`TaskStatus`] needs, without the group's error type in its signature.
pub(crate) trait Deliver<V>: Send + Sync {
    fn started(&self, value: V);
}

impl<V: Send, E: Send> Deliver<V> for StartSlot<V, E> {
    fn started(&self, value: V) {
        // If the caller of `start` went away, the child is being cancelled; nothing to deliver.
        let _ = self.settle(State::Started(value));
    }
}

impl<V: Send, E: Send> StartSink<E> for StartSlot<V, E> {
    fn fail(&self, error: E) -> Option<E> {
        match self.settle(State::Failed(error)) {
            Ok(()) => None,
            Err(State::Failed(error)) => Some(error),
            Err(_) => unreachable!("settle hands back what it was given"),
        }
    }

    fn panic(&self, panic: Panic) -> Option<Panic> {
        match self.settle(State::Panicked(panic)) {
            Ok(()) => None,
            Err(State::Panicked(panic)) => Some(panic),
            Err(_) => unreachable!("settle hands back what it was given"),
        }
    }

    fn ended(&self, cancelled: bool) {
        let _ = self.settle(if cancelled {
            State::Cancelled
        } else {
            State::NeverStarted
        });
    }
}

/// Given to a child spawned with [`TaskGroup::start`](super::TaskGroup::start): call
/// [`started`](Self::started) once the child is ready.
///
/// # Examples
///
/// ```
/// use anyio::TaskStatus;
///
/// async fn serve(status: TaskStatus<u16>) -> Result<(), anyio::BoxError> {
///     let port = 8080; // bind here
///     status.started(port);
///     anyio::sleep_forever().await; // serve here
///     Ok(())
/// }
///
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let (port, server) = tg.start_with_handle(serve).await?;
///     assert_eq!(port, 8080);
///     server.cancel(); // stop serving
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
///
/// `started` consumes the status, so it can only be called once:
///
/// ```compile_fail
/// fn twice(status: anyio_core::task::TaskStatus<u16>) {
///     status.started(1);
///     status.started(2); // error: use of moved value
/// }
/// ```
pub struct TaskStatus<V> {
    slot: Arc<dyn Deliver<V>>,
}

impl<V> TaskStatus<V> {
    pub(crate) fn new(slot: Arc<dyn Deliver<V>>) -> Self {
        Self { slot }
    }

    /// Reports that the child is ready, handing `value` to the caller of `start`. From now on
    /// the child's failures go to its group.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     let ready = tg
    ///         .start(|status| async move {
    ///             status.started("ready");
    ///             Err::<(), _>("crashed later".into())
    ///         })
    ///         .await?;
    ///     assert_eq!(ready, "ready");
    ///     anyio::sleep_forever().await;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// // After `started`, the failure went to the group.
    /// assert_eq!(error.first().unwrap().to_string(), "crashed later");
    /// # }).unwrap();
    /// ```
    pub fn started(self, value: V) {
        self.slot.started(value);
    }
}

impl<V> fmt::Debug for TaskStatus<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskStatus").finish_non_exhaustive()
    }
}

/// The future returned by [`TaskGroup::start`](super::TaskGroup::start): the value the child
/// passed to [`TaskStatus::started`].
///
/// # Examples
///
/// ```
/// use anyio::StartFuture;
///
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let start: StartFuture<u16, anyio::BoxError> = tg.start(|status| async move {
///         status.started(8080);
///         Ok(())
///     });
///     assert_eq!(start.await?, 8080);
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// Resolves to [`StartError`] when the child failed before `started`, finished without
/// calling it, was cancelled first, or the group had already finished.
///
/// # Panics
///
/// Re-raises the child's panic if it panicked before `started`.
///
/// # Cancel safety
///
/// Dropping it before the child has started cancels the child (and only that child). Once the
/// child has started, dropping it loses only the value passed to `started`.
#[must_use = "futures do nothing unless polled"]
pub struct StartFuture<V, E> {
    slot: Option<Arc<StartSlot<V, E>>>,
    /// Spawns the child on the first poll, told whether the caller is cancelled by then.
    spawn: Option<SpawnStart>,
    child: Option<NodeRef>,
}

/// Spawns a `start` child, born cancelled if asked; its node, or why it could not be spawned.
pub(crate) type SpawnStart = Box<dyn FnOnce(bool) -> Result<NodeRef, SpawnError> + Send>;

impl<V, E> StartFuture<V, E> {
    pub(crate) fn new(slot: Arc<StartSlot<V, E>>, spawn: SpawnStart) -> Self {
        Self {
            slot: Some(slot),
            spawn: Some(spawn),
            child: None,
        }
    }
}

impl<V, E> Unpin for StartFuture<V, E> {}

impl<V, E> Future for StartFuture<V, E> {
    type Output = Result<V, StartError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(spawn) = self.spawn.take() {
            // Until it calls `started`, the child belongs to its caller's cancel scope as well:
            // a caller already cancelled starts it cancelled, so it runs to its first
            // checkpoint only; a caller cancelled later drops this future, which cancels it.
            match spawn(context::is_cancelled()) {
                Ok(child) => self.child = Some(child),
                Err(error) => {
                    self.slot = None;
                    return Poll::Ready(Err(StartError::Spawn(error)));
                }
            }
        }
        let slot = Arc::clone(
            self.slot
                .as_ref()
                .expect("StartFuture polled after completion"),
        );
        let cancelled = context::is_cancelled();
        let polled = slot.state.poll(cx, |state, _| {
            // A checkpoint while the child has not started: a cancelled caller stops here,
            // unless what it waits for has completed (a start value, or the child's own
            // failure, which would otherwise be lost).
            if matches!(state, State::Waiting) || cancelled && matches!(state, State::Cancelled) {
                return Poll::Pending;
            }
            Poll::Ready(std::mem::replace(state, State::Delivered))
        });
        let Poll::Ready(state) = polled else {
            return Poll::Pending;
        };
        self.slot = None;
        Poll::Ready(match state {
            State::Started(value) => Ok(value),
            State::Failed(error) => Err(StartError::Failed(error)),
            State::Panicked(panic) => resume_unwind(panic),
            State::NeverStarted => Err(StartError::NeverStarted),
            State::Cancelled | State::Abandoned => Err(StartError::Cancelled),
            State::Waiting | State::Delivered => unreachable!("the value is delivered once"),
        })
    }
}

impl<V, E> Drop for StartFuture<V, E> {
    fn drop(&mut self) {
        let Some(slot) = self.slot.take() else {
            return;
        };
        let abandoned = slot.state.with(|state| {
            let waiting = matches!(state, State::Waiting);
            if waiting {
                *state = State::Abandoned;
            }
            waiting
        });
        if abandoned {
            if let Some(child) = &self.child {
                child.cancel(None);
            }
        }
    }
}

impl<V, E> fmt::Debug for StartFuture<V, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartFuture")
            .field("done", &self.slot.is_none())
            .finish_non_exhaustive()
    }
}

/// The future returned by [`TaskGroup::start_with_handle`](super::TaskGroup::start_with_handle):
/// the value the child passed to [`TaskStatus::started`], and a [`TaskHandle`] to await or
/// cancel the child afterwards (AnyIO's `start(..., return_handle=True)`).
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let (port, server) = tg
///         .start_with_handle(|status| async move {
///             status.started(8080u16);
///             anyio::sleep_forever().await;
///             Ok(())
///         })
///         .await?;
///     assert_eq!(port, 8080);
///     server.cancel(); // stops this child only: the group ends normally
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// As [`StartFuture`].
///
/// # Panics
///
/// Re-raises the child's panic if it panicked before `started`.
///
/// # Cancel safety
///
/// As [`StartFuture`]; once the child has started, dropping it loses the value and the
/// handle, not the child.
#[must_use = "futures do nothing unless polled"]
pub struct StartWithHandle<R: Runtime, V, T: Send + 'static, E> {
    start: StartFuture<V, E>,
    handle: HandleSlot<R, T>,
}

/// Where the spawn of a [`StartWithHandle`] leaves the child's handle.
pub(crate) type HandleSlot<R, T> = Arc<Mutex<Option<TaskHandle<R, T>>>>;

impl<R: Runtime, V, T: Send + 'static, E> StartWithHandle<R, V, T, E> {
    pub(crate) fn new(start: StartFuture<V, E>, handle: HandleSlot<R, T>) -> Self {
        Self { start, handle }
    }
}

impl<R: Runtime, V, T: Send + 'static, E> Unpin for StartWithHandle<R, V, T, E> {}

impl<R: Runtime, V, T: Send + 'static, E> Future for StartWithHandle<R, V, T, E> {
    type Output = Result<(V, TaskHandle<R, T>), StartError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let value = std::task::ready!(Pin::new(&mut this.start).poll(cx))?;
        let handle = this
            .handle
            .acquire()
            .take()
            .expect("a started child has a handle, taken once");
        Poll::Ready(Ok((value, handle)))
    }
}

impl<R: Runtime, V, T: Send + 'static, E> fmt::Debug for StartWithHandle<R, V, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartWithHandle")
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}
