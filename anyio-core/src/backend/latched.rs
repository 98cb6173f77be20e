//! A [`Timer`] adapter for runtimes whose timers complete once and then never again until
//! rearmed (async-io's, used by smol and async-std), while the waist's timers stay ready once
//! their deadline has passed.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use super::Timer;

/// Wraps a one-shot timer as a [`Timer`]: once it has fired it stays ready until
/// [`reset`](Timer::reset), which rearms it with the function given to [`LatchedTimer::new`].
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use std::time::{Duration, Instant};
/// use anyio_core::backend::{LatchedTimer, Timer};
///
/// // A stand-in one-shot timer: ready once when polled after its deadline.
/// #[derive(Debug)]
/// struct OneShot { at: Instant, done: bool }
///
/// impl Future for OneShot {
///     type Output = ();
///     fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
///         if self.done || Instant::now() < self.at {
///             return Poll::Pending;
///         }
///         self.done = true;
///         Poll::Ready(())
///     }
/// }
///
/// let past = Instant::now() - Duration::from_secs(1);
/// let mut timer = LatchedTimer::new(OneShot { at: past, done: false }, |t, at| {
///     *t = OneShot { at, done: false };
/// });
/// let mut cx = Context::from_waker(std::task::Waker::noop());
/// assert!(Pin::new(&mut timer).poll(&mut cx).is_ready());
/// assert!(Pin::new(&mut timer).poll(&mut cx).is_ready(), "stays ready");
/// Pin::new(&mut timer).reset(Instant::now() + Duration::from_secs(60));
/// assert!(Pin::new(&mut timer).poll(&mut cx).is_pending());
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it drops the wrapped timer.
pub struct LatchedTimer<T> {
    timer: T,
    fired: bool,
    rearm: fn(&mut T, Instant),
}

impl<T> LatchedTimer<T> {
    /// Wraps `timer`; `rearm` moves it to a new deadline (for async-io: `Timer::set_at`).
    pub fn new(timer: T, rearm: fn(&mut T, Instant)) -> Self {
        Self {
            timer,
            fired: false,
            rearm,
        }
    }
}

impl<T: Future + Unpin> Future for LatchedTimer<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.fired {
            ready!(Pin::new(&mut self.timer).poll(cx));
            self.fired = true;
        }
        Poll::Ready(())
    }
}

impl<T: Future + Unpin + Send + fmt::Debug> Timer for LatchedTimer<T> {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        let this = &mut *self;
        (this.rearm)(&mut this.timer, deadline);
        this.fired = false;
    }
}

impl<T: fmt::Debug> fmt::Debug for LatchedTimer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LatchedTimer")
            .field("timer", &self.timer)
            .field("fired", &self.fired)
            .finish_non_exhaustive()
    }
}
