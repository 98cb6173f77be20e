//! Calling back into the event loop from a [`to_thread`](super::to_thread) worker.
//!
//! A closure run by [`to_thread::run_sync`](super::to_thread::run_sync) can hand futures and
//! closures back to the task that awaits it: they run in that task, inside its cancel scope,
//! while the worker thread blocks for their result. Futures cross threads on the way there,
//! so they must be `Send + 'static`, though they are only ever polled by that one task.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::worker::{self, Request};
use crate::wait::Acquire;

/// Why a call from a worker thread could not run.
///
/// # Examples
///
/// ```
/// use anyio_core::thread::from_thread::{self, FromThreadError};
///
/// let error = from_thread::check_cancelled().unwrap_err();
/// assert_eq!(error, FromThreadError::NotInWorker);
/// assert!(error.to_string().contains("to_thread::run_sync"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FromThreadError {
    /// The calling thread is not running a `to_thread::run_sync` closure, so there is no task
    /// to run the call in.
    NotInWorker,
    /// The scope around the `to_thread::run_sync` call was cancelled (or the call abandoned
    /// its thread): nothing more runs on its behalf.
    Cancelled,
}

impl FromThreadError {
    /// Whether this is [`FromThreadError::Cancelled`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::thread::from_thread::FromThreadError;
    ///
    /// assert!(FromThreadError::Cancelled.is_cancelled());
    /// assert!(!FromThreadError::NotInWorker.is_cancelled());
    /// ```
    pub fn is_cancelled(self) -> bool {
        self == Self::Cancelled
    }
}

impl fmt::Display for FromThreadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInWorker => f.write_str(
                "from_thread was called outside a to_thread worker: call it only from a \
                 closure run by to_thread::run_sync (use a blocking portal from other threads)",
            ),
            Self::Cancelled => f.write_str("the task that started this worker was cancelled"),
        }
    }
}

impl std::error::Error for FromThreadError {}

/// Runs `future` in the task that awaits this worker, inside its cancel scope, and blocks the
/// thread until it completes.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::AnyRuntime;
/// use anyio_core::thread::{from_thread, to_thread};
///
/// # anyio::run(async {
/// let n = to_thread::run_sync::<AnyRuntime, _, _>(|| {
///     from_thread::run(async {
///         anyio::sleep(Duration::from_millis(1)).await;
///         5
///     })
/// })
/// .await;
/// assert_eq!(n, Ok(5));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`FromThreadError::NotInWorker`] when the calling thread runs no `to_thread` closure;
/// [`FromThreadError::Cancelled`] when the scope around the `to_thread` call is cancelled
/// before or while `future` runs (it is then dropped at its next suspension point).
///
/// # Panics
///
/// When `future` panics, the panic resumes in the calling thread with its original payload.
pub fn run<F>(future: F) -> Result<F::Output, FromThreadError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let link = worker::current().ok_or(FromThreadError::NotInWorker)?;
    if link.is_cancelled() {
        return Err(FromThreadError::Cancelled);
    }
    let (reply, result) = mpsc::sync_channel(1);
    let call = Call {
        future,
        reply: Some(reply),
    };
    link.send(Request::cancellable(Box::pin(call)))
        .map_err(|_| FromThreadError::Cancelled)?;
    // The task drops the call, and with it the sender, when it will not complete it.
    match result.recv() {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => Err(FromThreadError::Cancelled),
    }
}

/// Runs `f` in the task that awaits this worker and blocks the thread until it returns. `f`
/// must not block: it runs on the event loop.
///
/// Sync code cannot be cancelled, so `f` runs also when the scope around the
/// `to_thread::run_sync` call was cancelled (as AnyIO's `from_thread.run_sync` does). If that
/// task no longer waits for this thread (it was cancelled with `abandon_on_cancel`), `f` runs
/// on the calling thread instead.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio::AnyRuntime;
/// use anyio_core::sync::Event;
/// use anyio_core::thread::{from_thread, to_thread};
///
/// # anyio::run(async {
/// let ready = Arc::new(Event::new());
/// let set = Arc::clone(&ready);
/// to_thread::run_sync::<AnyRuntime, _, _>(move || from_thread::run_sync(move || set.set()))
///     .await
///     .unwrap();
/// assert!(ready.is_set());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`FromThreadError::NotInWorker`] outside a `to_thread` worker.
///
/// # Panics
///
/// When `f` panics, the panic resumes in the calling thread with its original payload.
pub fn run_sync<F, T>(f: F) -> Result<T, FromThreadError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let link = worker::current().ok_or(FromThreadError::NotInWorker)?;
    // Taken exactly once: by the task, or here when the task will not run it.
    let slot = Arc::new(Mutex::new(Some(f)));
    let (reply, result) = mpsc::sync_channel(1);
    let task_slot = Arc::clone(&slot);
    let call = Call {
        future: async move { task_slot.acquire().take().map(|f| f()) },
        reply: Some(reply),
    };
    if link.send(Request::uncancellable(Box::pin(call))).is_ok() {
        match result.recv() {
            Ok(Ok(Some(output))) => return Ok(output),
            Ok(Err(payload)) => panic::resume_unwind(payload),
            // Dropped unrun: the task stopped waiting for this thread.
            Ok(Ok(None)) | Err(_) => {}
        }
    }
    let f = slot.acquire().take();
    Ok(f.expect(
        "the closure runs once, and the task did not run it",
    )())
}

/// `Ok(())` unless the scope around the `to_thread::run_sync` call running this thread was
/// cancelled (or the call abandoned its thread): long computations call it now and then to
/// stop early.
///
/// # Examples
///
/// ```
/// use std::future::IntoFuture;
/// use std::time::Duration;
/// use anyio::AnyRuntime;
/// use anyio_core::thread::{from_thread, to_thread};
///
/// # anyio::run(async {
/// let call = to_thread::run_sync::<AnyRuntime, _, _>(|| loop {
///     if from_thread::check_cancelled().is_err() {
///         break "stopped";
///     }
///     std::thread::sleep(Duration::from_millis(1));
/// });
/// let outcome = anyio::move_on_after(Duration::from_millis(10), call.into_future()).await;
/// assert_eq!(outcome, None); // the thread saw the cancellation and returned
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`FromThreadError::Cancelled`] when that scope was cancelled;
/// [`FromThreadError::NotInWorker`] when the calling thread runs no `to_thread` closure.
pub fn check_cancelled() -> Result<(), FromThreadError> {
    let link = worker::current().ok_or(FromThreadError::NotInWorker)?;
    if link.is_cancelled() {
        Err(FromThreadError::Cancelled)
    } else {
        Ok(())
    }
}

type Reply<T> = SyncSender<Result<T, Box<dyn Any + Send>>>;

pin_project! {
    /// A future sent by a worker: its output, or its panic, goes back through `reply`.
    struct Call<F: Future> {
        #[pin]
        future: F,
        reply: Option<Reply<F::Output>>,
    }
}

impl<F: Future> Future for Call<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        let future = this.future;
        let result = match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(payload) => Err(payload),
        };
        if let Some(reply) = this.reply.take() {
            // The worker blocks on the receiver until it gets this: it is there.
            let _ = reply.send(result);
        }
        Poll::Ready(())
    }
}
