//! Task groups: structured concurrency.

use std::future::Future;

use anyio_core::task as core;

use crate::AnyRuntime;

pub use anyio_core::error::{JoinError, SpawnError, StartError, TaskGroupError};
pub use core::{StartFuture, TaskStatus};

/// A handle to a running task group, passed to its body; see [`task_group`].
///
/// Cheap to clone; clones can be moved into children, which may spawn more.
///
/// # Examples
///
/// Naming the type to pass a group to a helper:
///
/// ```
/// use anyio::{BoxError, TaskGroup};
///
/// fn spawn_workers(tg: &TaskGroup<BoxError>, n: u32) -> Result<(), BoxError> {
///     for _ in 0..n {
///         tg.spawn(async { anyio::checkpoint().await; Ok(()) })?;
///     }
///     Ok(())
/// }
///
/// # anyio::run(async {
/// anyio::task_group(|tg| async move { spawn_workers(&tg, 4) }).await.unwrap();
/// # }).unwrap();
/// ```
pub type TaskGroup<E> = core::TaskGroup<AnyRuntime, E>;

/// The future returned by [`TaskGroup::start_with_handle`](core::TaskGroup::start_with_handle):
/// the child's start value and its [`TaskHandle`].
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let start: anyio::StartWithHandle<u16, (), anyio::BoxError> =
///         tg.start_with_handle(|status| async move {
///             status.started(8080);
///             anyio::sleep_forever().await;
///             Ok(())
///         });
///     let (port, server) = start.await?;
///     assert_eq!(port, 8080);
///     server.cancel();
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
pub type StartWithHandle<V, T, E> = core::StartWithHandle<AnyRuntime, V, T, E>;

/// A child of a task group: await it for the child's value, or cancel that child alone.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let handle: anyio::TaskHandle<u32> = tg.spawn(async { Ok(42) })?;
///     assert_eq!(handle.await?, 42);
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
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
pub type TaskHandle<T> = core::TaskHandle<AnyRuntime, T>;

/// The future returned by [`task_group`].
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let group: anyio::TaskGroupFuture<anyio::BoxError, _, _> =
///     anyio::task_group(|tg| async move { Ok(tg.spawn(async { Ok(5) })?.await?) });
/// assert_eq!(group.await.unwrap(), 5);
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// Resolves to [`TaskGroupError`] when the body or a child failed, or the group was cancelled
/// through its own handle.
///
/// # Panics
///
/// Re-raises the first panic of the body or a child, after every child has finished.
///
/// # Cancel safety
///
/// Dropping it before it completes cancels the body and every child; each child is dropped at
/// its next suspension point (after any shielded part), so none outlives the group's owner.
pub type TaskGroupFuture<E, F, Fut> = core::TaskGroupFuture<AnyRuntime, E, F, Fut>;

/// Runs `body` as a task group and waits until it and every child it spawned have finished.
///
/// The body receives a [`TaskGroup`] (cheap to clone, usable from children) to
/// [`spawn`](core::TaskGroup::spawn) children and [`start`](core::TaskGroup::start) services.
/// Children run concurrently, in parallel on multi-threaded runtimes. The body and every child
/// return `Result<_, E>`:
///
/// - the first `Err` (or panic), from the body or any child, cancels the group: the body and
///   every other child are dropped at their next suspension point;
/// - the group then resolves to [`TaskGroupError`] holding that error first and any later
///   errors behind it; a panic is re-raised here once every child has finished;
/// - a cancelled child is not a failure.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let total = anyio::task_group(|tg| async move {
///     let a = tg.spawn(async { anyio::sleep(Duration::from_millis(5)).await; Ok(2) })?;
///     let b = tg.spawn(async { Ok(3) })?;
///     Ok::<_, anyio::BoxError>(a.await? + b.await?)
/// })
/// .await;
/// assert_eq!(total.unwrap(), 5);
/// # }).unwrap();
/// ```
///
/// The first failure cancels the rest:
///
/// ```
/// use std::time::Duration;
/// # anyio::run(async {
/// let result = anyio::task_group(|tg| async move {
///     tg.spawn(async { anyio::sleep(Duration::from_secs(60)).await; Ok(()) })?;
///     tg.spawn(async { Err::<(), _>("disk full".into()) })?;
///     anyio::sleep_forever().await;
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await;
/// let error = result.unwrap_err();
/// assert_eq!(error.first().unwrap().to_string(), "disk full");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`TaskGroupError`] holding every failure, first one first; or, with no failure, "cancelled"
/// when the group was cancelled through its own handle (`cancel`, its `CancelHandle`, a
/// deadline set on it), whether its body had returned or not. A group stopped by an enclosing
/// scope's cancellation does not resolve: that scope drops it.
///
/// # Panics
///
/// Re-raises the first panic of the body or a child, after every child has finished. Also
/// panics when polled outside any runtime an enabled backend can serve; the message names the
/// cargo feature to enable.
///
/// # Cancel safety
///
/// Dropping the future before it completes cancels the body and every child; each child is
/// dropped at its next suspension point (after any shielded part), so none outlives the
/// group's owner.
pub fn task_group<E, F, Fut, T>(body: F) -> TaskGroupFuture<E, F, Fut>
where
    E: Send + 'static,
    F: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    core::task_group(body)
}
