//! The shareable handle of a cancel scope.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use super::node::ScopeNode;

/// A cloneable, thread-safe handle to a cancel scope: cancel it or move its deadline from any
/// task or thread, and ask afterwards what happened.
///
/// Obtained from [`CancelScope::handle`](super::CancelScope::handle); it stays valid after the
/// scope has finished (cancelling a finished scope does nothing).
#[derive(Clone)]
pub struct CancelHandle {
    pub(crate) node: Arc<ScopeNode>,
}

impl CancelHandle {
    /// Cancels the scope: its body is dropped at its next suspension point, after any shielded
    /// part and any task-group children inside it have finished. Idempotent.
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// Whether [`cancel`](Self::cancel) has been called (a passed deadline does not count).
    pub fn is_cancel_called(&self) -> bool {
        self.node.cancel_called()
    }

    /// Whether the scope stopped its body because of its own cancellation or deadline.
    ///
    /// False while the scope runs, when the body completed, and when an outer scope's
    /// cancellation stopped it instead.
    pub fn cancelled_caught(&self) -> bool {
        self.node.caught()
    }

    /// The scope's own deadline, if it has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.node.deadline()
    }

    /// Moves (or, with `None`, removes) the scope's deadline. A running scope re-arms its timer;
    /// a deadline already in the past cancels it at once.
    pub fn set_deadline(&self, deadline: Option<Instant>) {
        self.node.set_deadline(deadline);
    }

    /// Whether the scope is shielded from cancellation of scopes outside it.
    pub fn is_shielded(&self) -> bool {
        self.node.is_shielded()
    }
}

impl fmt::Debug for CancelHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelHandle")
            .field("deadline", &self.deadline())
            .field("shield", &self.is_shielded())
            .field("cancel_called", &self.is_cancel_called())
            .field("cancelled_caught", &self.cancelled_caught())
            .finish()
    }
}
