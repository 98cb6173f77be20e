//! The sync side of a blocking portal: the handle plain threads use.

use std::fmt;
use std::future::Future;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, JoinHandle};

use super::completion::{Completion, PortalTask, Reporter};
use super::serve::{job, Queue};
use super::{marker, PortalError};
use crate::backend::{NestedRun, Runtime};
use crate::task::task_group;
use crate::wait::Acquire;

/// Lets plain sync code run async code: a runtime on a background thread, serving the
/// futures handed to it from any thread.
///
/// [`call`](Self::call) runs a future there and blocks for its value;
/// [`start_task_soon`](Self::start_task_soon) runs one and returns a [`PortalTask`] to wait
/// on, await or cancel. Every future runs as a child of one task group on the portal's
/// runtime, so anyio's time, cancel scopes and networking work inside it. The portal is
/// `Sync`: share it between threads by reference or in an `Arc`.
///
/// Waiting on the portal from its own event loop (from inside a future it runs) would
/// deadlock, so it is refused with [`PortalError::ReEntrant`]; await the future directly
/// there.
///
/// Dropping the portal stops it like [`stop(false)`](Self::stop): it waits for the tasks still
/// running (as AnyIO's portal context manager does), or cancels them when the thread is already
/// panicking. Stop it with `true` first when tasks may run forever.
///
/// # Examples
///
/// ```
/// # fn main() -> Result<(), anyio::portal::PortalError> {
/// use std::time::Duration;
///
/// // Plain sync code, no runtime anywhere.
/// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
/// let answer = portal.call(async {
///     anyio::sleep(Duration::from_millis(5)).await;
///     42
/// })?;
/// assert_eq!(answer, 42);
/// portal.stop(false);
/// # Ok(())
/// # }
/// ```
///
/// The generic form, for a runtime value of any backend:
///
/// ```
/// # fn main() -> Result<(), anyio::portal::PortalError> {
/// use anyio::AnyRuntime;
/// use anyio_core::portal::BlockingPortal;
///
/// let backend = anyio::Backend::available()[0];
/// let runtime = AnyRuntime::try_from(backend).expect("an enabled backend");
/// let portal = BlockingPortal::start(runtime)?;
/// assert_eq!(portal.call(async { "hello" })?, "hello");
/// # Ok(())
/// # }
/// ```
pub struct BlockingPortal<R: Runtime> {
    queue: Arc<Queue<R>>,
    id: u64,
    runtime: R,
    /// Taken (and joined) by the first `stop`; the lock makes a concurrent `stop` wait too.
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl<R: Runtime> BlockingPortal<R> {
    /// Starts `runtime` on a new thread, serving this portal; returns once it runs.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// use anyio::AnyRuntime;
    /// use anyio_core::portal::BlockingPortal;
    ///
    /// for backend in anyio::Backend::available() {
    ///     let portal = BlockingPortal::start(AnyRuntime::try_from(backend).unwrap())?;
    ///     let ran_on = portal.call(async { anyio::Backend::current() })?;
    ///     assert_eq!(ran_on, Some(backend));
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`PortalError::Start`] if the thread could not be spawned or the runtime could not
    /// start on it.
    pub fn start(runtime: R) -> Result<Self, PortalError> {
        let id = marker::next_id();
        let queue = Arc::new(Queue::new());
        let (ready, started) = mpsc::sync_channel::<Result<(), NestedRun>>(1);
        let serving = Arc::clone(&queue);
        let thread = thread::Builder::new()
            .name(format!("anyio-portal-{}", runtime.name()))
            .spawn(move || {
                let _mark = marker::enter(id);
                let signal = ready.clone();
                let queue = Arc::clone(&serving);
                let ran = runtime.block_on(async move {
                    let _ = signal.send(Ok(()));
                    // Tasks report their own panics, and the group's error type is
                    // uninhabited, so the group's outcome carries nothing.
                    let _ = task_group(|group| queue.serve(group)).await;
                });
                if let Err(nested) = ran {
                    let _ = ready.send(Err(nested));
                }
                // Calls from now on get `Stopped`; requests queued too late are cancelled.
                serving.stop(true);
            })
            .map_err(|error| PortalError::Start(Box::new(error)))?;
        match started.recv() {
            Ok(Ok(())) => Ok(Self {
                queue,
                id,
                runtime,
                thread: Mutex::new(Some(thread)),
            }),
            Ok(Err(nested)) => {
                let _ = thread.join();
                Err(PortalError::Start(Box::new(nested)))
            }
            Err(_) => {
                let _ = thread.join();
                Err(PortalError::Start(
                    format!("the {} runtime panicked while starting", runtime.name()).into(),
                ))
            }
        }
    }

    /// Runs `future` on the portal's runtime and blocks the calling thread until it has
    /// finished, returning its value.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// use std::time::Duration;
    ///
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let timed_out = portal.call(async {
    ///     anyio::move_on_after(Duration::from_millis(5), anyio::sleep_forever()).await
    /// })?;
    /// assert_eq!(timed_out, None);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`PortalError::ReEntrant`] when called from the portal's own event loop (nothing is
    /// run); [`PortalError::Stopped`] when the portal has been stopped;
    /// [`PortalError::Cancelled`] when the portal was stopped with `cancel_remaining` before
    /// the future finished.
    ///
    /// # Panics
    ///
    /// Re-raises the future's panic in the calling thread; the portal carries on.
    pub fn call<F>(&self, future: F) -> Result<F::Output, PortalError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if marker::is_inside(self.id) {
            return Err(PortalError::ReEntrant);
        }
        self.start_task_soon(future)?.wait()
    }

    /// Runs the closure `f` on the portal's event loop (where the runtime is current) and
    /// blocks for its value. `f` must not block for long: it holds up the portal's tasks.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let backend = portal.call_sync(anyio::Backend::current)?;
    /// assert!(backend.is_some());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    ///
    /// # Panics
    ///
    /// Re-raises the closure's panic in the calling thread.
    pub fn call_sync<F, T>(&self, f: F) -> Result<T, PortalError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.call(async move { f() })
    }

    /// Starts `future` on the portal's runtime and returns at once with a handle to it.
    ///
    /// Unlike [`call`](Self::call), this may be used from the portal's own event loop too.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let tasks: Vec<_> = (0..4)
    ///     .map(|i| portal.start_task_soon(async move { i * 10 }))
    ///     .collect::<Result<_, _>>()?;
    /// let values: Vec<u32> = tasks
    ///     .into_iter()
    ///     .map(|task| task.wait())
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(values, [0, 10, 20, 30]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`PortalError::Stopped`] when the portal has been stopped.
    pub fn start_task_soon<F>(&self, future: F) -> Result<PortalTask<F::Output>, PortalError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let completion = Completion::new();
        let reporter = Reporter(Arc::clone(&completion));
        self.queue.push(job(self.id, future, reporter))?;
        Ok(PortalTask::new(completion, self.id))
    }

    /// Stops the portal: refuses new requests, then either waits for the running tasks
    /// (`cancel_remaining == false`) or cancels them and the queued ones (`true`), and joins
    /// the runtime thread. Calling it again does nothing more, except that `true` cancels what
    /// an earlier graceful stop is still waiting for.
    ///
    /// Called from the portal's own event loop, it only initiates the stop and returns.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// use std::time::Duration;
    ///
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// let slow = portal.start_task_soon(async {
    ///     anyio::sleep(Duration::from_millis(10)).await;
    ///     "finished"
    /// })?;
    /// portal.stop(false); // waits for `slow`
    /// assert!(slow.is_finished());
    /// assert_eq!(slow.wait()?, "finished");
    /// assert!(portal.is_stopped());
    /// # Ok(())
    /// # }
    /// ```
    pub fn stop(&self, cancel_remaining: bool) {
        self.queue.stop(cancel_remaining);
        if marker::is_inside(self.id) {
            return;
        }
        let mut thread = self.thread.acquire();
        if let Some(thread) = thread.take() {
            // The runtime thread runs no user code outside caught polls; nothing to re-raise.
            let _ = thread.join();
        }
    }

    /// Whether the portal has been stopped (or its runtime has ended); calls then fail with
    /// [`PortalError::Stopped`].
    ///
    /// # Examples
    ///
    /// ```
    /// # fn main() -> Result<(), anyio::portal::PortalError> {
    /// let portal = anyio::start_blocking_portal(anyio::Backend::available()[0])?;
    /// assert!(!portal.is_stopped());
    /// portal.stop(true);
    /// assert!(portal.is_stopped());
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_stopped(&self) -> bool {
        self.queue.is_stopped()
    }
}

impl<R: Runtime> Drop for BlockingPortal<R> {
    fn drop(&mut self) {
        self.stop(thread::panicking());
    }
}

impl<R: Runtime> fmt::Debug for BlockingPortal<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPortal")
            .field("runtime", &self.runtime.name())
            .field("stopped", &self.is_stopped())
            .finish()
    }
}
