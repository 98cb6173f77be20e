//! The probe that tells whether a waiting operation's cancel scope has been cancelled.

use crate::context;
use crate::tree::NodeRef;

/// The cancel scope a waiting operation waits in, readable from any thread: a hand-over skips
/// a waiter whose scope is cancelled, since that waiter will never run past its checkpoint (as
/// AnyIO skips receivers with a pending cancellation).
#[derive(Debug, Clone)]
pub(crate) enum ScopeProbe {
    /// A waiter no scope stops (a `Sink`'s item in flight): never cancelled.
    Unscoped,
    /// The innermost scope where the waiter was last polled; `None` outside every scope.
    Scoped(Option<NodeRef>),
}

impl ScopeProbe {
    /// The innermost scope of the code being polled.
    pub(crate) fn current() -> Self {
        Self::Scoped(context::current_node())
    }

    /// Points a scoped probe at `current`, the innermost scope of the code polling the waiter
    /// now: it differs from the one the waiter was made in only when the waiter moves (a
    /// `Stream` polled from elsewhere).
    pub(crate) fn update(&mut self, current: impl FnOnce() -> Self) {
        if let Self::Scoped(_) = self {
            *self = current();
        }
    }

    /// Whether the waiter's scope is cancelled: its next checkpoint delivers the cancellation.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        match self {
            Self::Scoped(Some(node)) => node.is_effective(),
            Self::Scoped(None) | Self::Unscoped => false,
        }
    }
}
