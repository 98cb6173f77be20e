//! Sleeping, the clock, and checkpoints.
//!
//! Every future here is an anyio checkpoint: inside a cancelled scope it never completes, so
//! the scope drops the code around it.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::backend::Runtime;
use crate::cancel::instant;
use crate::cancel::node::{Cause, Now};
use crate::context;

/// Whether the code being polled is inside a cancelled scope (and not shielded from it).
pub(crate) fn is_cancelled() -> bool {
    context::with_current(|node| node.is_some_and(|n| n.cause(&mut Now::default()) != Cause::None))
}

/// Sleeps for `delay`. `Duration::MAX` (or any delay past what the clock can represent)
/// sleeps forever.
pub fn sleep<R: Runtime>(delay: Duration) -> Sleep<R> {
    let mut sleep = Sleep::at(instant::after(Instant::now(), delay));
    // `sleep(ZERO)` is the idiomatic yield: it needs no timer.
    sleep.yield_only = delay.is_zero();
    sleep
}

/// Sleeps until `deadline` (just a checkpoint if it has passed).
pub fn sleep_until<R: Runtime>(deadline: Instant) -> Sleep<R> {
    Sleep::at(Some(deadline))
}

/// Waits until cancelled.
pub fn sleep_forever() -> SleepForever {
    SleepForever { _private: () }
}

/// The current time of runtime `R`'s clock (the system's monotonic clock when no runtime
/// serves the caller).
pub fn current_time<R: Runtime>() -> Instant {
    R::current().map_or_else(|_| Instant::now(), R::now)
}

/// Yields to the scheduler once; a cancellation point.
pub fn checkpoint() -> Checkpoint {
    Checkpoint { yielded: false }
}

pin_project! {
    /// The future returned by [`sleep`] and [`sleep_until`].
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
        let Some(deadline) = *this.deadline else {
            return Poll::Pending;
        };
        if *this.yield_only {
            if std::mem::replace(this.yielded, true) {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
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

/// The future returned by [`sleep_forever`].
///
/// # Cancel safety
///
/// Cancel safe.
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

/// The future returned by [`checkpoint`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_delays_mean_never() {
        assert_eq!(instant::after(Instant::now(), Duration::MAX), None);
        assert!(instant::after(Instant::now(), Duration::from_secs(1)).is_some());
    }
}
