//! How an acquiring future of a [`Lock`](super::Lock), [`Semaphore`](super::Semaphore) or
//! [`CapacityLimiter`](super::CapacityLimiter) behaves, and where it is.

use std::task::{Context, Poll};

use super::waiters::Key;
use crate::context;

/// How an acquisition behaves: the primitive's own setting, or an internal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// AnyIO's default: a full checkpoint. Inside a cancelled scope it takes nothing;
    /// uncontended it takes what it acquires, then yields once without delivering
    /// cancellation (AnyIO's `cancel_shielded_checkpoint`), keeping it across the yield.
    Checkpoint,
    /// AnyIO's `fast_acquire=True`: as `Checkpoint`, without the yield when uncontended. Also
    /// for callers that suspend right afterwards anyway.
    Fast,
    /// No checkpoint: cancellation does not stop it and grants never pass over it. For code
    /// that must finish what it started (a notified condition waiter getting its lock back);
    /// every `Pending` it returns is a shielded yield.
    Shielded,
}

/// Where one acquiring future is.
#[derive(Debug, Default)]
pub(crate) enum Acquiring {
    /// Not polled yet, or polled only inside a cancelled scope.
    #[default]
    Start,
    /// In line, for a grant to be handed over.
    Queued(Key),
    /// Took what it acquires uncontended and yielded once: it completes on the next poll.
    Yielded,
    /// Completed.
    Done,
}

impl Acquiring {
    /// The caller took what it acquires without waiting: done, or first the one yield of
    /// [`Mode::Checkpoint`].
    pub(crate) fn took(&mut self, mode: Mode, cx: &mut Context<'_>) -> Poll<()> {
        *self = Acquiring::Done;
        if mode != Mode::Checkpoint {
            return Poll::Ready(());
        }
        *self = Acquiring::Yielded;
        context::mark_shielded_yield();
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
