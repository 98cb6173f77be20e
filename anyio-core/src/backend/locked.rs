//! A [`JoinHandle`] adapter for runtimes whose task handles can only stop a task by consuming
//! the handle (smol's `Task`, async-std's `JoinHandle`), while the waist's `abort` takes
//! `&self`. Shared by those backends so each only says how its handle stops a task.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::JoinHandle;
use crate::wait::Parked;

/// A native task handle that can stop its task only by being consumed. It resolves to
/// `Some(value)`, or `None` when the task did not finish.
///
/// Implement it for a runtime's task handle, and [`LockedJoinHandle`] makes it a
/// [`JoinHandle`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use anyio_core::backend::{JoinHandle, LockedJoinHandle, NativeTask};
///
/// /// A stand-in for a native task that has already finished with a value.
/// #[derive(Debug)]
/// struct Finished(Option<u32>);
///
/// impl Future for Finished {
///     type Output = Option<u32>;
///
///     fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
///         Poll::Ready(self.0.take())
///     }
/// }
///
/// impl NativeTask for Finished {
///     type Value = u32;
///
///     fn stop(self) {} // a real one cancels its task here
/// }
///
/// # anyio::run(async {
/// assert_eq!(LockedJoinHandle::new(Finished(Some(7))).await, Some(7));
///
/// let aborted = LockedJoinHandle::new(Finished(Some(7)));
/// aborted.abort(); // through `&self`, as the waist requires
/// assert_eq!(aborted.await, None);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping the native handle must detach the task rather than stop it (the smol backend wraps
/// smol's `Task` to do so), because dropping a [`JoinHandle`] detaches.
pub trait NativeTask: Future<Output = Option<Self::Value>> + Unpin + Send {
    /// What the task produces: a `NativeTask` resolves to `Option<Self::Value>`.
    type Value;

    /// Stops the task (at its next suspension point); called at most once, by
    /// [`JoinHandle::abort`] on the [`LockedJoinHandle`] around it.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::task::{Context, Poll};
    /// # use anyio_core::backend::{JoinHandle, LockedJoinHandle, NativeTask};
    /// #
    /// # /// A stand-in for a native task that has already finished with a value.
    /// # #[derive(Debug)]
    /// # struct Finished(Option<u32>);
    /// #
    /// # impl Future for Finished {
    /// #     type Output = Option<u32>;
    /// #
    /// #     fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
    /// #         Poll::Ready(self.0.take())
    /// #     }
    /// # }
    /// #
    /// # impl NativeTask for Finished {
    /// #     type Value = u32;
    /// #
    /// #     fn stop(self) {} // a real one cancels its task here
    /// # }
    /// # anyio::run(async {
    /// let handle = LockedJoinHandle::new(Finished(Some(7)));
    /// handle.abort(); // calls `Finished::stop`
    /// assert_eq!(handle.await, None);
    /// # }).unwrap();
    /// ```
    fn stop(self);
}

/// Wraps a [`NativeTask`] as a [`JoinHandle`]: `abort` takes the native handle out from under
/// a lock and stops it, and wakes whoever was awaiting the handle.
///
/// Once aborted, it resolves to `None` at once, even if the native task has not stopped yet.
///
/// # Examples
///
/// With `Finished`, the [`NativeTask`] of that trait's example:
///
/// ```
/// # use std::future::Future;
/// # use std::pin::Pin;
/// # use std::task::{Context, Poll};
/// # use anyio_core::backend::{JoinHandle, LockedJoinHandle, NativeTask};
/// #
/// # /// A stand-in for a native task that has already finished with a value.
/// # #[derive(Debug)]
/// # struct Finished(Option<u32>);
/// #
/// # impl Future for Finished {
/// #     type Output = Option<u32>;
/// #
/// #     fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
/// #         Poll::Ready(self.0.take())
/// #     }
/// # }
/// #
/// # impl NativeTask for Finished {
/// #     type Value = u32;
/// #
/// #     fn stop(self) {} // a real one cancels its task here
/// # }
/// # anyio::run(async {
/// assert_eq!(LockedJoinHandle::new(Finished(Some(7))).await, Some(7));
///
/// let aborted = LockedJoinHandle::new(Finished(Some(7)));
/// aborted.abort(); // through `&self`, as the waist requires
/// assert_eq!(aborted.await, None);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Dropping it (or a pending `.await` on it) drops the native handle, which detaches the task
/// (see [`NativeTask`]).
pub struct LockedJoinHandle<H> {
    // The waker is the awaiting task's: a stopped task no longer wakes whoever waited for it,
    // so `abort` must.
    task: Parked<Option<H>>,
}

impl<H> LockedJoinHandle<H> {
    /// Wraps `task`.
    ///
    /// # Examples
    ///
    /// With `Finished`, the [`NativeTask`] of that trait's example:
    ///
    /// ```
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::task::{Context, Poll};
    /// # use anyio_core::backend::{JoinHandle, LockedJoinHandle, NativeTask};
    /// #
    /// # /// A stand-in for a native task that has already finished with a value.
    /// # #[derive(Debug)]
    /// # struct Finished(Option<u32>);
    /// #
    /// # impl Future for Finished {
    /// #     type Output = Option<u32>;
    /// #
    /// #     fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
    /// #         Poll::Ready(self.0.take())
    /// #     }
    /// # }
    /// #
    /// # impl NativeTask for Finished {
    /// #     type Value = u32;
    /// #
    /// #     fn stop(self) {} // a real one cancels its task here
    /// # }
    /// # anyio::run(async {
    /// let handle = LockedJoinHandle::new(Finished(Some(7)));
    /// assert_eq!(handle.await, Some(7));
    /// # }).unwrap();
    /// ```
    pub fn new(task: H) -> Self {
        Self {
            task: Parked::new(Some(task)),
        }
    }
}

impl<H: NativeTask> Future for LockedJoinHandle<H> {
    type Output = Option<H::Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll(cx, |slot, cx| {
            let Some(task) = slot.as_mut() else {
                return Poll::Ready(None);
            };
            let output = std::task::ready!(Pin::new(task).poll(cx));
            *slot = None;
            Poll::Ready(output)
        })
    }
}

impl<T, H: NativeTask<Value = T> + fmt::Debug> JoinHandle<T> for LockedJoinHandle<H> {
    fn abort(&self) {
        let task = self.task.update(|slot| (slot.take(), true));
        // Outside the lock: stopping a finished task drops its output, which runs user code.
        if let Some(task) = task {
            task.stop();
        }
    }
}

impl<H: fmt::Debug> fmt::Debug for LockedJoinHandle<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockedJoinHandle")
            .field("task", &self.task)
            .finish_non_exhaustive()
    }
}
