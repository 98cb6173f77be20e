//! Low-level checkpoints, for code that builds its own waiting primitives.
//!
//! An anyio operation is a *checkpoint* when it both yields to the scheduler and delivers
//! cancellation: inside a cancelled scope it returns `Pending` at once and does nothing, and
//! the enclosing scope drops the code around it. These functions split the two halves, as
//! AnyIO's and Trio's `lowlevel` modules do:
//!
//! | function | yields | delivers cancellation |
//! |---|---|---|
//! | [`checkpoint`] | yes | yes |
//! | [`checkpoint_if_cancelled`] | no | yes |
//! | [`cancel_shielded_checkpoint`] | yes | no |
//!
//! and [`has_pending_cancellation`] tells whether the next checkpoint would deliver one.
//!
//! # Examples
//!
//! A primitive whose fast path must stay a cancellation point without yielding:
//!
//! ```
//! use anyio_core::lowlevel::checkpoint_if_cancelled;
//!
//! async fn fast_path_or_wait(ready: bool) -> &'static str {
//!     if ready {
//!         checkpoint_if_cancelled().await; // no yield, but a cancelled caller stops here
//!         return "fast";
//!     }
//!     anyio::checkpoint().await;
//!     "slow"
//! }
//!
//! # anyio::run(async {
//! assert_eq!(fast_path_or_wait(true).await, "fast");
//! let scope = anyio::CancelScope::new();
//! scope.cancel();
//! assert_eq!(scope.run(fast_path_or_wait(true)).await, None);
//! # }).unwrap();
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context;
pub use crate::time::{checkpoint, Checkpoint};

/// Whether the calling code is inside a cancelled scope (and not shielded from it): its next
/// checkpoint would deliver the cancellation. AnyIO's `has_pending_cancellation`.
///
/// # Examples
///
/// ```
/// use anyio_core::lowlevel::has_pending_cancellation;
///
/// # anyio::run(async {
/// assert!(!has_pending_cancellation());
/// let scope = anyio::CancelScope::new();
/// scope.cancel();
/// let seen = scope.run(async { has_pending_cancellation() }).await;
/// assert_eq!(seen, Some(true));
/// # }).unwrap();
/// ```
pub fn has_pending_cancellation() -> bool {
    context::is_cancelled()
}

/// A checkpoint that delivers cancellation but does not yield: it completes at once unless
/// the calling code is inside a cancelled scope, where it never completes.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::task::{Context, Poll, Waker};
/// use anyio_core::lowlevel::checkpoint_if_cancelled;
///
/// let mut cx = Context::from_waker(Waker::noop());
/// let mut check = std::pin::pin!(checkpoint_if_cancelled());
/// assert!(check.as_mut().poll(&mut cx).is_ready()); // outside every scope: no yield
/// ```
///
/// # Cancel safety
///
/// Cancel safe: it has no effect.
pub fn checkpoint_if_cancelled() -> CheckpointIfCancelled {
    CheckpointIfCancelled { _private: () }
}

/// A checkpoint that yields once but does not deliver cancellation: it completes on its
/// second poll even inside a cancelled scope.
///
/// # Examples
///
/// ```
/// use anyio_core::lowlevel::cancel_shielded_checkpoint;
///
/// # anyio::run(async {
/// let scope = anyio::CancelScope::new();
/// scope.cancel();
/// let outcome = scope
///     .run(async {
///         cancel_shielded_checkpoint().await; // yields, but goes on
///         "after the shielded checkpoint"
///     })
///     .await;
/// assert_eq!(outcome, Some("after the shielded checkpoint"));
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: it has no effect.
pub fn cancel_shielded_checkpoint() -> CancelShieldedCheckpoint {
    CancelShieldedCheckpoint { yielded: false }
}

/// The future returned by [`checkpoint_if_cancelled`].
///
/// # Examples
///
/// ```
/// use anyio_core::lowlevel::{checkpoint_if_cancelled, CheckpointIfCancelled};
///
/// # anyio::run(async {
/// let check: CheckpointIfCancelled = checkpoint_if_cancelled();
/// check.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: it has no effect.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct CheckpointIfCancelled {
    _private: (),
}

impl Future for CheckpointIfCancelled {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if context::is_cancelled() {
            return Poll::Pending;
        }
        Poll::Ready(())
    }
}

/// The future returned by [`cancel_shielded_checkpoint`].
///
/// # Examples
///
/// ```
/// use anyio_core::lowlevel::{cancel_shielded_checkpoint, CancelShieldedCheckpoint};
///
/// # anyio::run(async {
/// let yield_once: CancelShieldedCheckpoint = cancel_shielded_checkpoint();
/// yield_once.await;
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: it has no effect.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct CancelShieldedCheckpoint {
    yielded: bool,
}

impl Future for CancelShieldedCheckpoint {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.yielded, true) {
            return Poll::Ready(());
        }
        context::mark_shielded_yield();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
