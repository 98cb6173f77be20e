//! Sleeping, the clock, and checkpoints.
//!
//! Every future here is an anyio checkpoint: inside a cancelled scope it never completes, so
//! the scope drops the code around it.
//!
//! The functions that need a clock or a timer are generic over the [`Runtime`]; the `anyio`
//! facade fixes it to its `AnyRuntime` (`anyio::sleep`, `anyio::current_time`, ...).
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//! use anyio::AnyRuntime;
//! use anyio_core::time;
//!
//! # anyio::run(async {
//! let start = time::current_time::<AnyRuntime>();
//! time::sleep::<AnyRuntime>(Duration::from_millis(5)).await;
//! assert!(time::current_time::<AnyRuntime>() - start >= Duration::from_millis(5));
//! # }).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::backend::Runtime;
pub(crate) use crate::context::is_cancelled;
use crate::instant;

/// Sleeps for `delay` on runtime `R`'s timers; a checkpoint even when `delay` is zero.
/// `Duration::MAX` (or any delay past what the clock can represent) sleeps forever.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// # anyio::run(async {
/// let start = Instant::now();
/// anyio_core::time::sleep::<anyio::AnyRuntime>(Duration::from_millis(5)).await;
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When a sleep that needs a timer (a delay neither zero nor too large for the clock) is
/// polled where [`Runtime::current`] finds no runtime; the message says what to do.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future only disarms its timer.
pub fn sleep<R: Runtime>(delay: Duration) -> Sleep<R> {
    let mut sleep = Sleep::at(instant::after(current_time::<R>(), delay));
    // `sleep(ZERO)` is the idiomatic yield: it needs no timer.
    sleep.yield_only = delay.is_zero();
    sleep
}

/// Sleeps until `deadline` (just a checkpoint if it has passed).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// # anyio::run(async {
/// let deadline = Instant::now() + Duration::from_millis(5);
/// anyio_core::time::sleep_until::<anyio::AnyRuntime>(deadline).await;
/// assert!(Instant::now() >= deadline);
/// # }).unwrap();
/// ```
///
/// # Panics
///
/// When polled where [`Runtime::current`] finds no runtime; the message says what to do.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future only disarms its timer.
pub fn sleep_until<R: Runtime>(deadline: Instant) -> Sleep<R> {
    Sleep::at(Some(deadline))
}

/// Waits until cancelled: it never completes, so the enclosing cancel scope drops it when that
/// scope is cancelled. Needs no runtime.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// # anyio::run(async {
/// let outcome = anyio::move_on_after(
///     Duration::from_millis(5),
///     anyio_core::time::sleep_forever(),
/// )
/// .await;
/// assert!(outcome.is_none());
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: there is nothing to lose.
pub fn sleep_forever() -> SleepForever {
    SleepForever { _private: () }
}

/// The current time of runtime `R`'s clock (the system's monotonic clock when no runtime
/// serves the caller).
///
/// # Examples
///
/// ```
/// use std::time::Instant;
///
/// let before = Instant::now();
/// // Outside any runtime: the system's clock.
/// let now = anyio_core::time::current_time::<anyio::AnyRuntime>();
/// assert!(now >= before);
/// ```
pub fn current_time<R: Runtime>() -> Instant {
    R::current().map_or_else(|_| Instant::now(), R::now)
}

/// Yields to the scheduler once; a cancellation point: inside a cancelled scope it never
/// completes, so the scope drops the code around it. Needs no runtime.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
///
/// # anyio::run(async {
/// static DONE: AtomicU32 = AtomicU32::new(0);
/// let scope = anyio::CancelScope::new();
/// let handle = scope.handle();
/// let outcome = scope
///     .run(async move {
///         for _ in 0..10 {
///             DONE.fetch_add(1, Ordering::Relaxed);
///             if DONE.load(Ordering::Relaxed) == 3 {
///                 handle.cancel();
///             }
///             anyio_core::time::checkpoint().await;
///         }
///     })
///     .await;
/// assert!(outcome.is_none());
/// assert_eq!(DONE.load(Ordering::Relaxed), 3); // nothing ran after the third checkpoint
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe.
pub fn checkpoint() -> Checkpoint {
    Checkpoint { yielded: false }
}

pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`]: completes at its deadline, unless
    /// it is inside a cancelled scope, where it never completes.
    ///
    /// The timer is armed on the first poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio_core::time::Sleep;
    ///
    /// # anyio::run(async {
    /// let sleep: Sleep<anyio::AnyRuntime> = anyio_core::time::sleep(Duration::from_millis(5));
    /// sleep.await;
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping it only disarms the timer.
    #[must_use = "futures do nothing unless polled"]
    pub struct Sleep<R: Runtime> {
        deadline: Option<Instant>,
        #[pin]
        timer: Option<R::Timer>,
        yield_only: bool,
        yielded: bool,
        _runtime: PhantomData<fn() -> R>,
    }
}

impl<R: Runtime> Sleep<R> {
    fn at(deadline: Option<Instant>) -> Self {
        Self {
            deadline,
            timer: None,
            yield_only: false,
            yielded: false,
            _runtime: PhantomData,
        }
    }

    /// When the sleep ends, or `None` for never.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let sleep = anyio::sleep_until(deadline);
    /// assert_eq!(sleep.deadline(), Some(deadline));
    /// assert_eq!(anyio::sleep(Duration::MAX).deadline(), None);
    /// ```
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }
}

impl<R: Runtime> fmt::Debug for Sleep<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> Future for Sleep<R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if is_cancelled() {
            return Poll::Pending;
        }
        if *this.yield_only {
            if std::mem::replace(this.yielded, true) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let Some(deadline) = *this.deadline else {
            return Poll::Pending;
        };
        let first_poll = this.timer.is_none();
        if first_poll {
            let runtime = R::current().unwrap_or_else(|e| panic!("{e}"));
            this.timer.set(Some(runtime.timer(deadline)));
        }
        let timer = this.timer.as_pin_mut().expect("timer armed above");
        match timer.poll(cx) {
            // An elapsed sleep is still a checkpoint: yield once so others can run.
            Poll::Ready(()) if first_poll && !std::mem::replace(this.yielded, true) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => other,
        }
    }
}

/// The future returned by [`sleep_forever`]: never completes; its output type is
/// uninhabited.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio_core::time::SleepForever;
///
/// # anyio::run(async {
/// let forever: SleepForever = anyio::sleep_forever();
/// assert_eq!(anyio::move_on_after(Duration::from_millis(5), forever).await, None);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: there is nothing to lose.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct SleepForever {
    _private: (),
}

impl Future for SleepForever {
    type Output = std::convert::Infallible;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Pending
    }
}

/// The future returned by [`checkpoint`]: completes on its second poll, after waking itself
/// once, unless it is inside a cancelled scope, where it never completes.
///
/// # Examples
///
/// ```
/// use anyio_core::time::Checkpoint;
///
/// # anyio::run(async {
/// let checkpoint: Checkpoint = anyio::checkpoint();
/// checkpoint.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Checkpoint {
    yielded: bool,
}

impl Future for Checkpoint {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if is_cancelled() {
            return Poll::Pending;
        }
        if std::mem::replace(&mut self.yielded, true) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
