//! The task group: its shared state, its cloneable handle, and the future that runs its body
//! and waits for its children.

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::child::ChildTask;
use super::handle::TaskHandle;
use super::shared::GroupShared;
use super::status::{HandleSlot, StartFuture, StartSink, StartSlot, StartWithHandle, TaskStatus};
use crate::backend::Runtime;
use crate::cancel::{CancelHandle, DeadlineTimer, DEADLINE_REASON};
use crate::context;
use crate::drive::{drive, Driven};
use crate::error::{SpawnError, TaskGroupError};
use crate::tree::{Kind, Node, NodeRef, Reason, RunningChildren, Sources};
use crate::wait::Acquire;

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
        let node = self.shared.node();
        f.debug_struct("TaskGroup")
            .field("runtime", &self.shared.runtime())
            .field("running_children", &self.shared.running_children())
            .field("finished", &self.shared.is_closed())
            .field("cancel_called", &node.cancel_called())
            .field("reason", &node.reason())
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
        self.spawn_child(future, None, false)
    }

    fn spawn_child<F, T>(
        &self,
        future: F,
        start: Option<Arc<dyn StartSink<E>>>,
        cancelled: bool,
    ) -> Result<TaskHandle<R, T>, SpawnError>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
    {
        self.shared.child_added()?;
        // The child's node exists and is linked from here on, so a cancellation reaches the
        // child whether or not it has run yet.
        let node = Node::new_linked(
            Kind::Task,
            Sources {
                cancelled,
                ..Sources::default()
            },
            self.shared.node(),
        );
        let task = ChildTask::new(
            future,
            NodeRef::clone(&node),
            Arc::clone(&self.shared),
            start,
        );
        let join = self.shared.runtime().spawn(task);
        Ok(TaskHandle::new(join, node))
    }

    /// Spawns a child built by `f` and waits until it calls
    /// [`TaskStatus::started`], returning the value it passed.
    ///
    /// The child is spawned when the future is first polled. Until it calls `started`, its
    /// failure is returned by this future (the group carries on), and it is cancelled along
    /// with its caller: started from a cancelled scope, it runs only up to its first
    /// checkpoint; dropping this future cancels it. After `started`, the child belongs to the
    /// group like any other, and this future returns the value even if the child fails right
    /// after.
    ///
    /// # Examples
    ///
    /// A service that reports the port it bound before serving (to stop it alone, and keep
    /// the group's value, start it with [`start_with_handle`](Self::start_with_handle)):
    ///
    /// ```
    /// # anyio::run(async {
    /// let outcome = anyio::task_group(|tg| async move {
    ///     let port = tg
    ///         .start(|status| async move {
    ///             let port = 8080; // bind a socket here
    ///             status.started(port);
    ///             anyio::sleep_forever().await; // serve
    ///             Ok(())
    ///         })
    ///         .await?;
    ///     assert_eq!(port, 8080);
    ///     tg.cancel(); // shut everything down: the group reports that it was cancelled
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await;
    /// assert!(outcome.unwrap_err().is_cancelled());
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
    /// Dropping the future before it is polled spawns nothing; dropping it before the child
    /// has started cancels the child (and only that
    /// child). Once the child has started, dropping it loses only the value passed to
    /// `started`.
    pub fn start<F, Fut, V, T>(&self, f: F) -> StartFuture<V, E>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        V: Send + 'static,
        T: Send + 'static,
    {
        self.start_child(f, None)
    }

    /// Builds the child and the future that spawns it on its first poll (see
    /// [`StartFuture`]), leaving the child's handle in `keep` if given.
    fn start_child<F, Fut, V, T>(&self, f: F, keep: Option<HandleSlot<R, T>>) -> StartFuture<V, E>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        V: Send + 'static,
        T: Send + 'static,
    {
        let slot = StartSlot::<V, E>::new();
        let status = TaskStatus::new(Arc::clone(&slot) as _);
        let sink: Arc<dyn StartSink<E>> = Arc::clone(&slot) as _;
        let (group, future) = (self.clone(), f(status));
        StartFuture::new(
            slot,
            Box::new(move |cancelled| {
                let handle = group.spawn_child(future, Some(sink), cancelled)?;
                let node = NodeRef::clone(handle.node());
                if let Some(keep) = keep {
                    *keep.acquire() = Some(handle);
                }
                Ok(node)
            }),
        )
    }

    /// As [`start`](Self::start), also returning a [`TaskHandle`] to the started child, to
    /// await its value or to cancel it alone later: the way to stop a service started in a
    /// group without cancelling the group.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let fetched = anyio::task_group(|tg| async move {
    ///     let (port, server) = tg
    ///         .start_with_handle(|status| async move {
    ///             status.started(8080u16); // bind and report the port here
    ///             anyio::sleep_forever().await; // serve here
    ///             Ok(())
    ///         })
    ///         .await?;
    ///     let fetched = format!("fetched from port {port}");
    ///     server.cancel(); // the service stops; the group ends with the body's value
    ///     Ok::<_, anyio::BoxError>(fetched)
    /// })
    /// .await
    /// .unwrap();
    /// assert_eq!(fetched, "fetched from port 8080");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    ///
    /// # Panics
    ///
    /// As [`start`](Self::start).
    ///
    /// # Cancel safety
    ///
    /// As [`start`](Self::start).
    pub fn start_with_handle<F, Fut, V, T>(&self, f: F) -> StartWithHandle<R, V, T, E>
    where
        F: FnOnce(TaskStatus<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        V: Send + 'static,
        T: Send + 'static,
    {
        let handle = Arc::new(Mutex::new(None));
        let start = self.start_child(f, Some(Arc::clone(&handle)));
        StartWithHandle::new(start, handle)
    }

    /// Cancels the whole group: its body and every child, each dropped at its next
    /// checkpoint (after any shielded part), from any task or thread. The group then resolves
    /// to a [`TaskGroupError`] whose [`is_cancelled`](TaskGroupError::is_cancelled) is true,
    /// whether its body had returned or not, unless something failed (then the failure is
    /// reported). To stop background children and keep the body's value, cancel them through
    /// their [`TaskHandle`]s or a [`CancelScope`](crate::cancel::CancelScope) of their own.
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
        self.shared.node().cancel(None);
    }

    /// Cancels the whole group, as [`cancel`](Self::cancel), recording why: the reason shows
    /// in the group's `Debug` and in the resulting [`TaskGroupError`].
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
    ///     tg.cancel_with_reason("shutting down");
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(error.cancel_reason(), Some("shutting down"));
    /// assert_eq!(error.to_string(), "task group was cancelled: shutting down");
    /// # }).unwrap();
    /// ```
    pub fn cancel_with_reason(&self, reason: impl Into<String>) {
        self.shared.node().cancel(Some(Reason::from(reason.into())));
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
        CancelHandle::new::<R>(NodeRef::clone(self.shared.node()))
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
/// when the group was cancelled through its own handle, whether its body had returned or not.
/// A group stopped by an enclosing scope's cancellation does not resolve: that scope drops it.
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
        timer: DeadlineTimer::default(),
        node: None,
        shared: None,
        value: None,
        body_cancelled: false,
        pended: false,
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
        body: Option<Fut>,
        #[pin]
        timer: DeadlineTimer<R>,
        // The group's node, lent to the context while the body is polled.
        node: Option<NodeRef>,
        shared: Option<Arc<GroupShared<R, E>>>,
        value: Option<Fut::Output>,
        // The body was dropped by a cancellation.
        body_cancelled: bool,
        // The future has returned `Pending` at least once.
        pended: bool,
    }

    impl<R: Runtime, E, F, Fut: Future> PinnedDrop for TaskGroupFuture<R, E, F, Fut> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(shared) = this.project().shared.take() {
                let node = shared.node();
                node.cancel(Some(Reason::from("the task group's future was dropped")));
                shared.try_close();
                node.unlink();
            }
        }
    }
}

impl<R: Runtime, E, F, Fut: Future> fmt::Debug for TaskGroupFuture<R, E, F, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupFuture")
            .field("started", &self.make_body.is_none())
            .field(
                "body_done",
                &(self.make_body.is_none() && self.body.is_none()),
            )
            .field("node", &self.node)
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
            let node = match context::current_node() {
                Some(parent) => Node::new_linked(Kind::Group, Sources::default(), &parent),
                None => Node::new(Kind::Group, Sources::default()),
            };
            let shared = Arc::new(GroupShared::new(runtime, NodeRef::clone(&node)));
            let running: Weak<dyn RunningChildren> = Arc::downgrade(&shared) as _;
            node.set_running_children(running);
            let group = TaskGroup {
                shared: Arc::clone(&shared),
            };
            this.body.set(Some(make_body(group)));
            *this.node = Some(node);
            *this.shared = Some(shared);
        }
        let shared = this
            .shared
            .as_ref()
            .expect("task group polled after completion");

        loop {
            let node = this
                .node
                .as_ref()
                .expect("the node lives as long as the group");
            this.timer.as_mut().deliver_armed(node, cx);
            if this.body.is_some() {
                // A panicking body must not leave children running: cancel them, wait, re-raise.
                let polled = catch_unwind(AssertUnwindSafe(|| {
                    drive(this.node, this.body.as_mut(), cx)
                }));
                match polled {
                    Ok(Driven::Pending) => {
                        let node = this.node.as_ref().expect("lent back");
                        if node.is_effective() || !this.timer.as_mut().deliver(node, cx) {
                            *this.pended = true;
                            return Poll::Pending;
                        }
                        continue;
                    }
                    Ok(Driven::Ready(Ok(value))) => *this.value = Some(Ok(value)),
                    Ok(Driven::Ready(Err(error))) => shared.fail_with_error(error),
                    Ok(Driven::Dropped) => *this.body_cancelled = true,
                    Err(panic) => {
                        this.body.set(None);
                        shared.fail_with_panic(panic);
                    }
                }
            }

            let node = this
                .node
                .as_ref()
                .expect("the node lives as long as the group");
            if !shared.children_done(cx.waker()) {
                // Keep the node's waker current, so a moved deadline re-arms the timer.
                node.register(cx.waker());
                if this.timer.as_mut().deliver(node, cx) {
                    continue;
                }
                *this.pended = true;
                return Poll::Pending;
            }
            if !*this.pended {
                // The exit is a checkpoint even without children to wait for; an empty
                // group's yields but, as in AnyIO, delivers no cancellation.
                *this.pended = true;
                context::mark_shielded_yield();
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if !shared.try_close() {
                continue; // a child was spawned meanwhile
            }
            if let Some(panic) = shared.take_panic() {
                finish(this.node, this.shared);
                resume_unwind(panic);
            }
            let errors = shared.take_errors();
            if !errors.is_empty() {
                finish(this.node, this.shared);
                return Poll::Ready(Err(TaskGroupError::failed(errors)));
            }
            if node.is_effective() {
                if node.catches() {
                    let reason = cancel_reason(node);
                    finish(this.node, this.shared);
                    return Poll::Ready(Err(TaskGroupError::cancelled(reason)));
                }
                if *this.body_cancelled || shared.had_children() {
                    // Where an enclosing cancellation lands: the enclosing scope drops us. A
                    // cancellation lifted meanwhile (a shield switched on) wakes us again.
                    node.register(cx.waker());
                    return Poll::Pending;
                }
            }
            let outcome = match this.value.take() {
                Some(Ok(value)) => Ok(value),
                _ => Err(TaskGroupError::cancelled(cancel_reason(node))),
            };
            finish(this.node, this.shared);
            return Poll::Ready(outcome);
        }
    }
}

fn cancel_reason(node: &Node) -> Option<String> {
    if node.cancelled_by_deadline() {
        return Some(DEADLINE_REASON.to_string());
    }
    node.reason().map(|reason| reason.to_string())
}

/// The group ended: take it out of the tree; its handles can no longer spawn.
fn finish<R: Runtime, E>(node: &Option<NodeRef>, shared: &mut Option<Arc<GroupShared<R, E>>>) {
    if let Some(node) = node {
        node.unlink();
    }
    *shared = None;
}
