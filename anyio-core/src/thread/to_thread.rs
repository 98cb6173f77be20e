//! Running blocking closures on the runtime's pool for blocking work.

use std::any::Any;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};

use super::worker::{self, Link, Servicer};
use crate::backend::Reactor;
use crate::cancel::CancelScope;
use crate::sync::{Borrower, CapacityLimiter};
use crate::time::{is_cancelled, sleep_forever};

/// How many closures [`run_sync`] runs at once by default.
pub const DEFAULT_THREAD_TOKENS: usize = 40;

fn default_limiter() -> &'static Arc<CapacityLimiter> {
    static DEFAULT: OnceLock<Arc<CapacityLimiter>> = OnceLock::new();
    DEFAULT.get_or_init(|| Arc::new(CapacityLimiter::new(DEFAULT_THREAD_TOKENS)))
}

/// The process-wide limiter that bounds [`run_sync`] calls given no limiter of their own:
/// [`DEFAULT_THREAD_TOKENS`] (40) tokens unless changed with
/// [`set_total_tokens`](CapacityLimiter::set_total_tokens).
///
/// # Examples
///
/// ```
/// use anyio_core::thread::to_thread;
///
/// let limiter = to_thread::current_default_thread_limiter();
/// assert_eq!(limiter.total_tokens(), 40);
/// ```
pub fn current_default_thread_limiter() -> &'static CapacityLimiter {
    default_limiter()
}

/// Runs the blocking `f` on runtime `R`'s pool for blocking work and resolves to its result,
/// holding a token of the default limiter
/// ([`current_default_thread_limiter`], 40 tokens) while it runs; configure the call with
/// [`RunSync::limiter`] and [`RunSync::abandon_on_cancel`] before awaiting it.
///
/// Inside `f`, [`from_thread`](super::from_thread) runs code back in the awaiting task.
///
/// # Examples
///
/// ```
/// use anyio::AnyRuntime;
/// use anyio_core::thread::to_thread;
///
/// # anyio::run(async {
/// let sum = to_thread::run_sync::<AnyRuntime, _, _>(|| (1..=10u32).sum::<u32>()).await;
/// assert_eq!(sum, 55);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When `f` panics, awaiting resumes that panic with its original payload. When awaited
/// outside any runtime `R` can serve, with a message that says how to start one.
///
/// # Cancel safety
///
/// Waiting for a token is a cancellable checkpoint. Once `f` has started, by default the
/// cancelled call keeps waiting (in a shield) until `f` has finished, discards its result,
/// and only then lets the enclosing scope drop it: "the scope returned" still means "the
/// closure is over". With [`abandon_on_cancel(true)`](RunSync::abandon_on_cancel) a cancelled
/// call is dropped at once and the thread runs on, detached; a result `f` returned before the
/// cancellation is still delivered (the delivery rule), one it returned after is not. Either
/// way the token is given back when `f` returns, and the thread's
/// [`from_thread::run_sync`](super::from_thread::run_sync) calls still run.
///
/// The wait is shielded only from cancel scopes: dropping the future in any other way (a
/// `select!` that picks another branch, a runtime shutting down) detaches the thread, as
/// abandoning does.
pub fn run_sync<R, F, T>(f: F) -> RunSync<R, F, T>
where
    R: Reactor,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    RunSync {
        f,
        limiter: None,
        abandon_on_cancel: false,
        _runtime: PhantomData,
    }
}

/// A configured [`run_sync`] call; awaiting it runs the closure.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio::AnyRuntime;
/// use anyio_core::sync::CapacityLimiter;
/// use anyio_core::thread::to_thread;
///
/// # anyio::run(async {
/// let limiter = Arc::new(CapacityLimiter::new(2));
/// let n = to_thread::run_sync::<AnyRuntime, _, _>(|| 7)
///     .limiter(limiter)
///     .abandon_on_cancel(true)
///     .await;
/// assert_eq!(n, 7);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// See [`run_sync`].
#[must_use = "the closure runs only when the call is awaited"]
pub struct RunSync<R, F, T> {
    f: F,
    limiter: Option<Arc<CapacityLimiter>>,
    abandon_on_cancel: bool,
    _runtime: PhantomData<fn() -> (R, T)>,
}

impl<R, F, T> fmt::Debug for RunSync<R, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunSync")
            .field("limiter", &self.limiter)
            .field("abandon_on_cancel", &self.abandon_on_cancel)
            .finish_non_exhaustive()
    }
}

impl<R, F, T> RunSync<R, F, T>
where
    R: Reactor,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// Bounds this call by `limiter` instead of the default one.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use anyio::AnyRuntime;
    /// use anyio_core::sync::CapacityLimiter;
    /// use anyio_core::thread::to_thread;
    ///
    /// # anyio::run(async {
    /// let one_at_a_time = Arc::new(CapacityLimiter::new(1));
    /// let n = to_thread::run_sync::<AnyRuntime, _, _>(|| 3).limiter(one_at_a_time).await;
    /// assert_eq!(n, 3);
    /// # }).unwrap();
    /// ```
    pub fn limiter(mut self, limiter: Arc<CapacityLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Whether a cancelled call returns at once, leaving the thread running detached (`true`),
    /// or waits for the closure to finish (`false`, the default).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::IntoFuture;
    /// use std::time::Duration;
    /// use anyio::AnyRuntime;
    /// use anyio_core::thread::to_thread;
    ///
    /// # anyio::run(async {
    /// let call = to_thread::run_sync::<AnyRuntime, _, _>(|| {
    ///     std::thread::sleep(Duration::from_millis(200));
    /// })
    /// .abandon_on_cancel(true);
    /// let outcome = anyio::move_on_after(Duration::from_millis(5), call.into_future()).await;
    /// assert_eq!(outcome, None); // back long before the thread ends
    /// # }).unwrap();
    /// ```
    pub fn abandon_on_cancel(mut self, abandon: bool) -> Self {
        self.abandon_on_cancel = abandon;
        self
    }
}

impl<R, F, T> IntoFuture for RunSync<R, F, T>
where
    R: Reactor,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;
    type IntoFuture = RunSyncFuture<T>;

    fn into_future(self) -> RunSyncFuture<T> {
        let limiter = self
            .limiter
            .unwrap_or_else(|| Arc::clone(default_limiter()));
        RunSyncFuture {
            inner: Box::pin(call::<R, F, T>(self.f, limiter, self.abandon_on_cancel)),
        }
    }
}

/// The future of an awaited [`RunSync`]: resolves to the closure's result.
///
/// # Examples
///
/// ```
/// use std::future::IntoFuture;
/// use anyio::AnyRuntime;
/// use anyio_core::thread::to_thread::{self, RunSyncFuture};
///
/// # anyio::run(async {
/// let future: RunSyncFuture<u8> = to_thread::run_sync::<AnyRuntime, _, _>(|| 1).into_future();
/// assert_eq!(future.await, 1);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// See [`run_sync`].
///
/// # Cancel safety
///
/// See [`run_sync`].
#[must_use = "futures do nothing unless polled"]
pub struct RunSyncFuture<T> {
    inner: Pin<Box<dyn Future<Output = T> + Send>>,
}

impl<T> fmt::Debug for RunSyncFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunSyncFuture").finish_non_exhaustive()
    }
}

impl<T> Future for RunSyncFuture<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.inner.as_mut().poll(cx)
    }
}

/// A token of a limiter held for a worker; given back when the worker is done with it, also
/// when the closure never ran because the pool dropped it.
struct Token {
    limiter: Arc<CapacityLimiter>,
    borrower: Borrower,
}

impl Drop for Token {
    fn drop(&mut self) {
        // The borrower is unique to this call and took its token before `Token` existed.
        let _ = self.limiter.release_on_behalf_of(self.borrower);
    }
}

type Outcome<T> = Option<Result<T, Box<dyn Any + Send>>>;

async fn call<R, F, T>(f: F, limiter: Arc<CapacityLimiter>, abandon_on_cancel: bool) -> T
where
    R: Reactor,
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let borrower = Borrower::unique();
    if limiter.acquire_on_behalf_of_fast(borrower).await.is_err() {
        unreachable!("a unique borrower cannot hold a token already");
    }
    let token = Token { limiter, borrower };
    let runtime = match R::current() {
        Ok(runtime) => runtime,
        Err(e) => panic!("to_thread::run_sync: {e}"),
    };
    // Closures a worker sends once this call stopped waiting (it abandoned the thread) run in
    // a task of their own; dropping the join handle detaches it.
    let link = Link::new(Box::new(move |job| {
        drop(runtime.spawn(async move { runtime.enter(job) }));
    }));
    let worker_link = Arc::clone(&link);
    let handle = runtime.spawn_blocking(move || {
        let _token = token;
        let finished = Arc::clone(&worker_link);
        let outcome = worker::enter(worker_link, || panic::catch_unwind(AssertUnwindSafe(f)));
        finished.finish();
        outcome
    });
    let wait = Wait {
        handle,
        link,
        servicer: Servicer::default(),
        discarded: false,
    };
    let outcome: Outcome<T> = if abandon_on_cancel {
        wait.await
    } else {
        match CancelScope::<R>::new().shield(true).run(wait).await {
            Some(outcome) => outcome,
            None => unreachable!("nothing else can cancel the shield"),
        }
    };
    if !abandon_on_cancel && is_cancelled() {
        // The caller was cancelled while the closure ran: its result is discarded, and this
        // checkpoint lets the cancelled scope drop the call now that the thread is done.
        sleep_forever().await;
    }
    match outcome {
        Some(Ok(value)) => value,
        Some(Err(payload)) => panic::resume_unwind(payload),
        None => panic!("to_thread::run_sync: the runtime dropped the closure before it ran"),
    }
}

/// Waits for the worker while running what it sends back.
struct Wait<H> {
    handle: H,
    link: Arc<Link>,
    servicer: Servicer,
    /// The result came after the cancellation and was dropped: never completes.
    discarded: bool,
}

impl<H: Future + Unpin> Future for Wait<H> {
    type Output = H::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<H::Output> {
        let this = &mut *self;
        if this.discarded {
            return Poll::Pending;
        }
        this.servicer.poll(&this.link, cx);
        let outcome = ready!(Pin::new(&mut this.handle).poll(cx));
        // A cancellable wait (one that abandons its thread) is a checkpoint: a result that
        // came only after the cancellation is not delivered, as a grant passes over a
        // cancelled waiter. One that came first is kept. Inside the shield of a wait that
        // does not abandon, nothing is cancelled here.
        if is_cancelled() && this.link.finished_after_cancel() {
            this.discarded = true;
            return Poll::Pending;
        }
        Poll::Ready(outcome)
    }
}

impl<H> Drop for Wait<H> {
    fn drop(&mut self) {
        self.link.close();
    }
}
