//! The error taxonomy of cancel scopes and task groups.
//!
//! Each operation has its own error type, named by what went wrong, with a lowercase message
//! that says what to do where there is something to do.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use anyio_core::error::TimeoutError;
//!
//! # anyio::run(async {
//! let late = anyio::fail_after(Duration::from_millis(5), anyio::sleep_forever()).await;
//! assert_eq!(late.unwrap_err(), TimeoutError::default());
//! # }).unwrap();
//! ```

use std::fmt;

/// Returned by [`fail_after`](crate::cancel::fail_after) and
/// [`fail_at`](crate::cancel::fail_at) when their deadline passed before the body finished.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # anyio::run(async {
/// let error = anyio::fail_after(Duration::from_millis(5), anyio::sleep(Duration::from_secs(5)))
///     .await
///     .unwrap_err();
/// assert_eq!(error.to_string(), "deadline elapsed before the operation finished");
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeoutError(());

impl TimeoutError {
    pub(crate) fn new() -> Self {
        Self(())
    }
}

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed before the operation finished")
    }
}

impl std::error::Error for TimeoutError {}

/// Returned when spawning into a task group that has already finished.
///
/// A group finishes when its body and all its children are done; a [`TaskGroup`] handle that
/// outlived it can no longer start tasks. Spawn from inside the group (its body or a child)
/// or open a new group.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let mut kept = None;
/// anyio::task_group(|tg| {
///     kept = Some(tg.clone());
///     async { Ok::<_, anyio::BoxError>(()) }
/// })
/// .await
/// .unwrap();
///
/// let late = kept.unwrap().spawn(async { Ok(1) });
/// assert!(late.unwrap_err().to_string().starts_with("the task group has finished"));
/// # }).unwrap();
/// ```
///
/// [`TaskGroup`]: crate::task::TaskGroup
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpawnError(());

impl SpawnError {
    pub(crate) fn new() -> Self {
        Self(())
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the task group has finished: spawn from inside the group (its body or a child) \
             or open a new task group",
        )
    }
}

impl std::error::Error for SpawnError {}

/// Why awaiting a [`TaskHandle`](crate::task::TaskHandle) produced no value.
///
/// The child's own error or panic is not in here: it went to the task group, which is the one
/// place that reports failures.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// anyio::task_group(|tg| async move {
///     let child = tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
///     child.cancel();
///     let error = child.await.unwrap_err();
///     assert!(error.is_cancelled());
///     assert_eq!(error.to_string(), "task was cancelled");
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap();
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinError {
    kind: JoinErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinErrorKind {
    Cancelled,
    Failed,
    Panicked,
}

impl JoinError {
    pub(crate) fn new(kind: JoinErrorKind) -> Self {
        Self { kind }
    }

    /// The task was cancelled (by its handle, its group, or an enclosing scope).
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// anyio::task_group(|tg| async move {
    ///     let child = tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
    ///     child.cancel();
    ///     assert!(child.await.unwrap_err().is_cancelled());
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # }).unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.kind == JoinErrorKind::Cancelled
    }

    /// The task returned an error; the error itself went to the task group.
    ///
    /// # Examples
    ///
    /// A handle can still be awaited after its group has finished:
    ///
    /// ```
    /// # anyio::run(async {
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let group = anyio::task_group(|tg| async move {
    ///     tx.send(tg.spawn(async { Err::<(), _>("disk full".into()) })?).unwrap();
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await;
    /// assert_eq!(group.unwrap_err().first().unwrap().to_string(), "disk full");
    ///
    /// let child = rx.recv().unwrap();
    /// assert!(child.await.unwrap_err().is_failed());
    /// # }).unwrap();
    /// ```
    pub fn is_failed(&self) -> bool {
        self.kind == JoinErrorKind::Failed
    }

    /// The task panicked; the panic is re-raised by the task group.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::panic::{catch_unwind, AssertUnwindSafe};
    ///
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let reraised = catch_unwind(AssertUnwindSafe(|| {
    ///     anyio::run(anyio::task_group(|tg| async move {
    ///         let child = tg.spawn(async {
    ///             if true {
    ///                 panic!("boom");
    ///             }
    ///             Ok(())
    ///         })?;
    ///         // The panic cancels the group; a shield lets the body still await the child.
    ///         let joined = anyio::CancelScope::new().shield(true).run(child).await;
    ///         tx.send(joined.unwrap().unwrap_err()).unwrap();
    ///         Ok::<_, anyio::BoxError>(())
    ///     }))
    /// }));
    /// assert!(reraised.is_err()); // the group re-raised the panic
    /// assert!(rx.recv().unwrap().is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        self.kind == JoinErrorKind::Panicked
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            JoinErrorKind::Cancelled => "task was cancelled",
            JoinErrorKind::Failed => "task failed; its error was reported to its task group",
            JoinErrorKind::Panicked => "task panicked; the panic is re-raised by its task group",
        })
    }
}

impl std::error::Error for JoinError {}

/// Why [`TaskGroup::start`](crate::task::TaskGroup::start) produced no value.
///
/// # Examples
///
/// ```
/// use anyio::{BoxError, StartError, TaskGroup, TaskStatus};
///
/// # anyio::run(async {
/// anyio::task_group(|tg: TaskGroup<BoxError>| async move {
///     let failed = tg.start(|_: TaskStatus<u16>| async {
///         Err::<(), _>("address in use".into())
///     });
///     match failed.await {
///         Err(StartError::Failed(error)) => assert_eq!(error.to_string(), "address in use"),
///         other => panic!("unexpected {other:?}"),
///     }
///
///     let never = tg.start(|_: TaskStatus<u16>| async { Ok(()) }).await;
///     assert!(matches!(never, Err(StartError::NeverStarted)));
///     Ok(())
/// })
/// .await
/// .unwrap(); // neither failure cancelled the group
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub enum StartError<E> {
    /// The task returned this error before calling
    /// [`TaskStatus::started`](crate::task::TaskStatus::started); the group was not cancelled.
    Failed(E),
    /// The task finished without calling `started`.
    NeverStarted,
    /// The task was cancelled before it called `started`.
    Cancelled,
    /// The group had already finished.
    Spawn(SpawnError),
}

impl<E> StartError<E> {
    /// Whether the task was cancelled before it started.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let outcome = anyio::task_group(|tg| async move {
    ///     tg.cancel();
    ///     // A child spawned into a cancelled group runs up to its first checkpoint, where
    ///     // the cancellation lands; the shield lets the body still see how `start` ended.
    ///     let start = tg.start(|status| async move {
    ///         anyio::checkpoint().await;
    ///         status.started(8080);
    ///         Ok(())
    ///     });
    ///     let result = anyio::CancelScope::new().shield(true).run(start).await.unwrap();
    ///     tx.send(result.unwrap_err().is_cancelled()).unwrap();
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await;
    /// assert!(outcome.unwrap_err().is_cancelled());
    /// assert!(rx.recv().unwrap());
    /// # }).unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }
}

impl<E: fmt::Display> fmt::Display for StartError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(e) => write!(f, "task failed before it started: {e}"),
            Self::NeverStarted => f.write_str(
                "task finished without calling TaskStatus::started; call it once the task is ready",
            ),
            Self::Cancelled => f.write_str("task was cancelled before it started"),
            Self::Spawn(e) => e.fmt(f),
        }
    }
}

/// Only `Debug + Display` is asked of `E`, so that `StartError<BoxError>` (or an `anyhow`
/// error) is an error too: boxed error types do not implement `Error` themselves. The message
/// includes the task's error.
impl<E: fmt::Debug + fmt::Display> std::error::Error for StartError<E> {}

/// Why a task group produced no value: a child or the body failed, or the group was cancelled.
///
/// On failure, the first error is the one that cancelled the group; later errors (from tasks
/// that failed while being cancelled) are kept behind it, in the order they happened.
///
/// # Examples
///
/// ```
/// # anyio::run(async {
/// let error = anyio::task_group(|tg| async move {
///     tg.spawn(async { Err::<(), _>("disk full".into()) })?;
///     Ok::<_, anyio::BoxError>(())
/// })
/// .await
/// .unwrap_err();
/// assert!(!error.is_cancelled());
/// assert_eq!(error.to_string(), "task group failed: disk full");
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct TaskGroupError<E> {
    errors: Vec<E>,
    reason: Option<String>,
}

impl<E> TaskGroupError<E> {
    pub(crate) fn failed(errors: Vec<E>) -> Self {
        Self {
            errors,
            reason: None,
        }
    }

    pub(crate) fn cancelled(reason: Option<String>) -> Self {
        Self {
            errors: Vec::new(),
            reason,
        }
    }

    /// The group was cancelled through its own handle ([`TaskGroup::cancel`], its
    /// [`CancelHandle`](crate::cancel::CancelHandle) or a deadline set on it), whether its body
    /// had returned or not, and nothing failed.
    ///
    /// A group stopped by an enclosing scope's cancellation does not resolve at all: that scope
    /// drops it, and reports the cancellation itself.
    ///
    /// [`TaskGroup::cancel`]: crate::task::TaskGroup::cancel
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     tg.cancel();
    ///     anyio::sleep_forever().await;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert!(error.is_cancelled());
    /// assert!(error.first().is_none());
    /// assert_eq!(error.to_string(), "task group was cancelled");
    /// # }).unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.errors.is_empty()
    }

    /// Why the group was cancelled: the reason given to
    /// [`TaskGroup::cancel_with_reason`](crate::task::TaskGroup::cancel_with_reason) (or to
    /// its handle), `"deadline exceeded"` for a deadline, else `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     tg.cancel_handle()
    ///         .set_deadline(Some(anyio::current_time() + Duration::from_millis(5)));
    ///     tg.spawn(async { anyio::sleep_forever().await; Ok(()) })?;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(error.cancel_reason(), Some("deadline exceeded"));
    /// # }).unwrap();
    /// ```
    pub fn cancel_reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    /// The error that cancelled the group, if one did.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     tg.spawn(async { Err::<(), _>("disk full".into()) })?;
    ///     anyio::sleep_forever().await;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// assert_eq!(error.first().unwrap().to_string(), "disk full");
    /// # }).unwrap();
    /// ```
    pub fn first(&self) -> Option<&E> {
        self.errors.first()
    }

    /// Every error, first one first.
    ///
    /// # Examples
    ///
    /// A child whose shielded cleanup fails after the group was cancelled adds a second error:
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     let group = tg.cancel_handle();
    ///     tg.start(|status| async move {
    ///         anyio::CancelScope::new()
    ///             .shield(true)
    ///             .run(async move {
    ///                 status.started(());
    ///                 while !group.is_cancel_called() {
    ///                     anyio::sleep(Duration::from_millis(1)).await;
    ///                 }
    ///                 Err::<(), _>("flush failed".into())
    ///             })
    ///             .await
    ///             .unwrap()
    ///     })
    ///     .await?;
    ///     tg.spawn(async { Err::<(), _>("disk full".into()) })?;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// let messages: Vec<String> = error.errors().iter().map(|e| e.to_string()).collect();
    /// assert_eq!(messages, ["disk full", "flush failed"]);
    /// assert_eq!(error.to_string(), "task group failed: disk full (and 1 more errors)");
    /// # }).unwrap();
    /// ```
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// Takes every error, first one first.
    ///
    /// # Examples
    ///
    /// ```
    /// # anyio::run(async {
    /// let error = anyio::task_group(|tg| async move {
    ///     tg.spawn(async { Err::<(), _>("disk full".into()) })?;
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap_err();
    /// let errors: Vec<anyio::BoxError> = error.into_errors();
    /// assert_eq!(errors.len(), 1);
    /// assert_eq!(errors[0].to_string(), "disk full");
    /// # }).unwrap();
    /// ```
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// Takes the error that cancelled the group, if one did.
    ///
    /// # Examples
    ///
    /// Turning a group's error into the caller's error type:
    ///
    /// ```
    /// async fn load() -> Result<u32, anyio::BoxError> {
    ///     anyio::task_group(|tg| async move {
    ///         tg.spawn(async { Err::<(), _>("disk full".into()) })?;
    ///         Ok(1)
    ///     })
    ///     .await
    ///     .map_err(|e| e.into_first().unwrap_or_else(|| "cancelled".into()))
    /// }
    ///
    /// # anyio::run(async {
    /// assert_eq!(load().await.unwrap_err().to_string(), "disk full");
    /// # }).unwrap();
    /// ```
    pub fn into_first(self) -> Option<E> {
        self.errors.into_iter().next()
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [] => match &self.reason {
                Some(reason) => write!(f, "task group was cancelled: {reason}"),
                None => f.write_str("task group was cancelled"),
            },
            [only] => write!(f, "task group failed: {only}"),
            [first, rest @ ..] => {
                write!(
                    f,
                    "task group failed: {first} (and {} more errors)",
                    rest.len()
                )
            }
        }
    }
}

/// Only `Debug + Display` is asked of `E`, so that `TaskGroupError<BoxError>` (or an `anyhow`
/// error) converts with `?` like any error: boxed error types do not implement `Error`
/// themselves. The message includes the first error; [`TaskGroupError::errors`] has them all.
impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}
