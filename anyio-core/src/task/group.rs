//! The task group: its shared state, its cloneable handle, and the future that runs its body
//! and waits for its children.

use std::fmt;
use std::future::Future;
use std::panic::resume_unwind;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use super::child::{ChildTask, Panic, StartSink};
use super::handle::{ChildCanceller, TaskHandle};
use super::status::{StartFuture, StartSlot, TaskStatus};
use crate::backend::Runtime;
use crate::cancel::node::{next_id, ScopeNode};
use crate::cancel::{CancelHandle, Scoped};
use crate::context;
use crate::error::{SpawnError, TaskGroupError};

/// Set in [`GroupShared::live`] once the group has finished, so late spawns are refused.
const CLOSED: usize = 1 << (usize::BITS - 1);

struct Failures<E> {
    errors: Vec<E>,
    panic: Option<Panic>,
    waker: Option<Waker>,
}

pub(crate) struct GroupShared<R, E> {
    runtime: R,
    /// The group's own scope: the body runs in it and every child's root hangs below it.
    node: Arc<ScopeNode>,
    /// Children not yet finished, plus [`CLOSED`].
    live: AtomicUsize,
    failures: Mutex<Failures<E>>,
}

impl<R: Runtime, E> GroupShared<R, E> {
    pub(crate) fn runtime(&self) -> R {
        self.runtime
    }

    pub(crate) fn node(&self) -> &Arc<ScopeNode> {
        &self.node
    }

    fn lock(&self) -> MutexGuard<'_, Failures<E>> {
        self.failures.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn fail_with_error(&self, error: E) {
        self.lock().errors.push(error);
        self.node.cancel();
    }

    pub(crate) fn fail_with_panic(&self, panic: Panic) {
        self.lock().panic.get_or_insert(panic);
        self.node.cancel();
    }

    /// Counts a child in, refusing once the group has finished.
    fn child_added(&self) -> Result<(), SpawnError> {
        let before = self.live.fetch_add(1, SeqCst);
        if before & CLOSED != 0 {
            self.live.fetch_sub(1, SeqCst);
            return Err(SpawnError::new());
        }
        if before == 0 {
            // While children run, the scope around the group must not drop the group.
            if let Some(parent) = self.node.parent() {
                ScopeNode::add_deferral(parent);
            }
        }
        Ok(())
    }

    pub(crate) fn child_done(&self) {
        if self.live.fetch_sub(1, SeqCst) == 1 {
            if let Some(parent) = self.node.parent() {
                ScopeNode::remove_deferral(parent);
            }
            let waker = self.lock().waker.take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Closes the group if no child is running.
    fn try_close(&self) -> bool {
        self.live
            .compare_exchange(0, CLOSED, SeqCst, SeqCst)
            .is_ok()
    }
}

/// A handle to a running task group, passed to the group's body: spawn children with it.
///
/// Cheap to clone; clones can be moved into children, which may spawn more. `E` is the error
/// type the body and every child return; `R` is the runtime children are spawned on (the
/// `anyio` facade names this type `anyio::TaskGroup<E>`, for its `AnyRuntime`).
///
/// # Examples
///
/// A child spawning a grandchild into the same group:
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// # anyio::run(async {
/// static DONE: AtomicU32 = AtomicU32::new(0);
/// anyio::task_group(|tg| async move {
///     let inner = tg.clone();
///     tg.spawn(async move {
///         inner.spawn(async {
///             DONE.fetch_add(1, Ordering::Relaxed);
///             Ok(())
///         })?;
///         DONE.fetch_add(1, Ordering::Relaxed);
///         Ok::<_, anyio::BoxError>(())
///     })?;
///     Ok(())
/// })
/// .await
/// .unwrap();
/// assert_eq!(DONE.load(Ordering::Relaxed), 2); // the group waited for both
/// # }).unwrap();
/// ```
pub struct TaskGroup<R: Runtime, E> {
    shared: Arc<GroupShared<R, E>>,
}

impl<R: Runtime, E> Clone for TaskGroup<R, E> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<R: Runtime, E> fmt::Debug for TaskGroup<R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let live = self.shared.live.load(SeqCst);
        f.debug_struct("TaskGroup")
            .field("runtime", &self.shared.runtime)
            .field("running_children", &(live & !CLOSED))
            .field("finished", &(live & CLOSED != 0))
            .field("cancel_called", &self.shared.node.cancel_called())
            .finish()
    }
}

impl<R: Runtime, E: Send + 'static> TaskGroup<R, E> {
    /// Spawns `future` as a child of the group. An `Err` (or a panic) from it cancels the
    /// group, which then reports that failure.
    ///
    /// The child runs concurrently with the body (in parallel on multi-threaded runtimes),
    /// inside the group's cancel scope. The returned [`TaskHandle`] yields its value or cancels
    /// it alone; dropping the handle leaves the child running in the group.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let total = anyio::task_group(|tg| async move {
    ///     let handles: Vec<_> = (1..=3)
    ///         .map(|i| {
    ///             tg.spawn(async move {
    ///                 anyio::sleep(Duration::from_millis(i)).await;
    ///                 Ok(i)
    ///             })
    ///         })
    ///         .collect::<Result<_, _>>()?;
    ///     let mut total = 0;
    ///     for handle in handles {
    ///         total += handle.await?;
    ///     }
    ///     Ok::<_, anyio::BoxError>(total)
    /// })
    /// .await;
    /// assert_eq!(total.unwrap(), 6);
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`SpawnError`] if the group has already finished.
    pub fn spawn<F, T>(&self, future: F) -> Result<TaskHandle<R, T>, SpawnError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_child(future, None)
    }

    fn spawn_child<F, T>(
        &self,
        future: F,
        start: Option<Arc<dyn StartSink<E>>>,
    ) -> Result<TaskHandle<R, T>, SpawnError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.shared.child_added()?;
        let id = next_id();
        let task = ChildTask::new(id, future, Arc::clone(&self.shared), start);
        let join = self.shared.runtime.spawn(task);
        let child = ChildCanceller {
            group: Arc::clone(&self.shared.node),
            id,
        };
        Ok(TaskHandle::new(join, child))
    }

    /// Spawns a child built by `f` and waits until it calls
    /// [`TaskStatus::started`], returning the value it passed.
    ///
    /// Until then, the child's failure is returned by this future (the group carries on), and
    /// dropping this future cancels the child. After `started`, the child belongs to the group
    /// like any other.
    ///
    /// # Examples
    ///
    /// A service that reports the port it bound before serving:
    ///
    /// ```
    /// # anyio::run(async {
    /// anyio::task_group(|tg| async move {
    ///     let port = tg
    ///         .start(|status| async move {
    ///             let port = 8080; // bind a socket here
    ///             status.started(port);
    ///             anyio::sleep_forever().await; // serve
    ///             Ok(())
    ///         })
    ///         .await?;
    ///     assert_eq!(port, 8080);
    ///     tg.cancel(); // shut the service down
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The future resolves to a [`StartError`](crate::error::StartError): the child's error if
    /// it failed before `started`, or that it finished without calling `started`, was
    /// cancelled first, or could not be spawned because the group had finished.
    ///
    /// # Panics
    ///
    /// The future re-raises the child's panic if it panicked before `started`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the child has started cancels the child (and only that
    /// child). Once the child has started, dropping it loses only the value passed to
    /// `started`.
    pub fn start<F, Fut, V, T>(&self, f: F) -> StartFuture<V, E>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        V: Send + 'static,
        T: Send + 'static,
    {
        let slot = StartSlot::<V, E>::new();
        let status = TaskStatus::new(Arc::clone(&slot) as _);
        let sink: Arc<dyn StartSink<E>> = Arc::clone(&slot) as _;
        match self.spawn_child(f(status), Some(sink)) {
            Ok(handle) => StartFuture::new(slot, handle.into_canceller()),
            Err(error) => StartFuture::refused(error),
        }
    }

    /// Cancels the whole group: its body and every child, each dropped at its next suspension
    /// point (after any shielded part). The group then resolves to a [`TaskGroupError`] whose
    /// [`is_cancelled`](TaskGroupError::is_cancelled) is true, unless the body returns without
    /// suspending again, in which case its value stands (the idiom for shutting down services
    /// at the end of a body).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let outcome = anyio::task_group(|tg| async move {
    ///     tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
    ///     anyio::sleep(Duration::from_millis(1)).await;
    ///     tg.cancel();
    ///     anyio::sleep_forever().await;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await;
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// # }).unwrap();
    /// ```
    pub fn cancel(&self) {
        self.shared.node.cancel();
    }

    /// A handle to the group's own cancel scope (for deadlines or cancellation from elsewhere).
    ///
    /// # Examples
    ///
    /// A deadline for the whole group:
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// # anyio::run(async {
    /// let outcome = anyio::task_group(|tg| async move {
    ///     let handle = tg.cancel_handle();
    ///     handle.set_deadline(Some(Instant::now() + Duration::from_millis(5)));
    ///     tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
    ///     anyio::sleep_forever().await;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await;
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// # }).unwrap();
    /// ```
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle {
            node: Arc::clone(&self.shared.node),
        }
    }
}

/// Runs `body` as a task group: it receives a [`TaskGroup`] to spawn children with, and the
/// returned future completes only when the body and every child have finished.
///
/// Resolves to the body's value, or to the first failure; panics of the body or a child are
/// re-raised here after every child has finished. The first failure cancels the group: the
/// body and every other child are dropped at their next suspension point.
///
/// # Examples
///
/// ```
/// use anyio::AnyRuntime;
/// use anyio_core::task::{task_group, TaskGroup};
///
/// # anyio::run(async {
/// let error = task_group(|tg: TaskGroup<AnyRuntime, anyio::BoxError>| async move {
///     tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
///     tg.spawn(async { Err::<(), _>("disk full".into()) })?;
///     Ok(())
/// })
/// .await
/// .unwrap_err();
/// assert_eq!(error.first().unwrap().to_string(), "disk full");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The future resolves to [`TaskGroupError`]: the failures, first one first, or "cancelled"
/// when the group was cancelled through its own handle before the body returned.
///
/// # Panics
///
/// The future re-raises the first panic of the body or a child, after every child has
/// finished. It also panics when first polled where [`Runtime::current`] finds no runtime;
/// the message says what to do.
///
/// # Cancel safety
///
/// Dropping the future before it completes cancels the body and every child; each child is
/// dropped at its next suspension point (after any shielded part), so none outlives the
/// group's owner.
pub fn task_group<R, E, F, Fut, T>(body: F) -> TaskGroupFuture<R, E, F, Fut>
where
    R: Runtime,
    E: Send + 'static,
    F: FnOnce(TaskGroup<R, E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    TaskGroupFuture {
        make_body: Some(body),
        body: None,
        shared: None,
        value: None,
        body_done: false,
    }
}

pin_project! {
    /// The future returned by [`task_group`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::task::TaskGroupFuture;
    ///
    /// # anyio::run(async {
    /// let group: TaskGroupFuture<anyio::AnyRuntime, anyio::BoxError, _, _> =
    ///     anyio_core::task::task_group(|tg| async move {
    ///         let child = tg.spawn(async { Ok(5) })?;
    ///         Ok(child.await?)
    ///     });
    /// assert_eq!(group.await.unwrap(), 5);
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Resolves to [`TaskGroupError`] when the body or a child failed, or the group was
    /// cancelled through its own handle.
    ///
    /// # Panics
    ///
    /// Re-raises the first panic of the body or a child, after every child has finished.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it completes cancels the body and every child; children are dropped
    /// at their next suspension point (after any shielded part), so none outlives the group's
    /// owner.
    #[must_use = "futures do nothing unless polled"]
    pub struct TaskGroupFuture<R: Runtime, E, F, Fut: Future> {
        make_body: Option<F>,
        #[pin]
        body: Option<Scoped<Fut, R>>,
        shared: Option<Arc<GroupShared<R, E>>>,
        value: Option<Fut::Output>,
        body_done: bool,
    }

    impl<R: Runtime, E, F, Fut: Future> PinnedDrop for TaskGroupFuture<R, E, F, Fut> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(shared) = this.project().shared.take() {
                shared.node.cancel();
                shared.try_close();
            }
        }
    }
}

impl<R: Runtime, E, F, Fut: Future> fmt::Debug for TaskGroupFuture<R, E, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupFuture")
            .field("started", &self.make_body.is_none())
            .field("body_done", &self.body_done)
            .finish_non_exhaustive()
    }
}

impl<R, E, F, Fut, T> Future for TaskGroupFuture<R, E, F, Fut>
where
    R: Runtime,
    E: Send + 'static,
    F: FnOnce(TaskGroup<R, E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    type Output = Result<T, TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(make_body) = this.make_body.take() {
            let runtime = R::current().unwrap_or_else(|e| panic!("{e}"));
            let node = ScopeNode::new(false);
            node.set_parent(context::current());
            let shared = Arc::new(GroupShared {
                runtime,
                node: Arc::clone(&node),
                live: AtomicUsize::new(0),
                failures: Mutex::new(Failures {
                    errors: Vec::new(),
                    panic: None,
                    waker: None,
                }),
            });
            let group = TaskGroup {
                shared: Arc::clone(&shared),
            };
            this.body.set(Some(Scoped::new(node, make_body(group))));
            *this.shared = Some(shared);
        }
        let shared = Arc::clone(
            this.shared
                .as_ref()
                .expect("task group polled after completion"),
        );

        if let Some(body) = this.body.as_mut().as_pin_mut() {
            // A panicking body must not leave children running: cancel them, wait, re-raise.
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body.poll(cx)));
            match polled {
                Ok(Poll::Pending) => {}
                Ok(Poll::Ready(output)) => {
                    this.body.set(None);
                    *this.body_done = true;
                    match output {
                        Some(Ok(value)) => *this.value = Some(Ok(value)),
                        Some(Err(error)) => shared.fail_with_error(error),
                        None => {}
                    }
                }
                Err(panic) => {
                    this.body.set(None);
                    *this.body_done = true;
                    shared.fail_with_panic(panic);
                }
            }
        }

        if !*this.body_done {
            // Also wake when the last child finishes: a failure that cancelled the body may be
            // waiting for them.
            shared.lock().waker = Some(cx.waker().clone());
            return Poll::Pending;
        }
        shared.lock().waker = Some(cx.waker().clone());
        if !shared.try_close() {
            return Poll::Pending;
        }
        *this.shared = None;
        let mut failures = shared.lock();
        if let Some(panic) = failures.panic.take() {
            drop(failures);
            resume_unwind(panic);
        }
        let errors = std::mem::take(&mut failures.errors);
        drop(failures);
        if !errors.is_empty() {
            return Poll::Ready(Err(TaskGroupError::failed(errors)));
        }
        Poll::Ready(match this.value.take() {
            Some(Ok(value)) => Ok(value),
            _ => Err(TaskGroupError::cancelled()),
        })
    }
}
