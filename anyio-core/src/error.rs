//! The error taxonomy of cancel scopes and task groups.

use std::fmt;

/// Returned by [`fail_after`](crate::cancel::fail_after) and
/// [`fail_at`](crate::cancel::fail_at) when their deadline passed before the body finished.
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
    pub fn is_cancelled(&self) -> bool {
        self.kind == JoinErrorKind::Cancelled
    }

    /// The task returned an error; the error itself went to the task group.
    pub fn is_failed(&self) -> bool {
        self.kind == JoinErrorKind::Failed
    }

    /// The task panicked; the panic is re-raised by the task group.
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
#[derive(Debug)]
pub struct TaskGroupError<E> {
    errors: Vec<E>,
}

impl<E> TaskGroupError<E> {
    pub(crate) fn failed(errors: Vec<E>) -> Self {
        Self { errors }
    }

    pub(crate) fn cancelled() -> Self {
        Self { errors: Vec::new() }
    }

    /// The group was cancelled through its own handle; nothing failed.
    pub fn is_cancelled(&self) -> bool {
        self.errors.is_empty()
    }

    /// The error that cancelled the group, if one did.
    pub fn first(&self) -> Option<&E> {
        self.errors.first()
    }

    /// Every error, first one first.
    pub fn errors(&self) -> &[E] {
        &self.errors
    }

    /// Takes every error, first one first.
    pub fn into_errors(self) -> Vec<E> {
        self.errors
    }

    /// Takes the error that cancelled the group, if one did.
    pub fn into_first(self) -> Option<E> {
        self.errors.into_iter().next()
    }
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.as_slice() {
            [] => f.write_str("task group was cancelled"),
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
