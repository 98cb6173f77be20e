//! The cancel scope a waiter waits in, kept with its place in line.
//!
//! The delivery rule (DESIGN.md section 4) has two halves for a primitive that hands out
//! something exclusive (a lock, a permit, a token, a notification):
//!
//! - a waiter that was **handed** the grant keeps it, even when its scope is cancelled before
//!   it runs again: the acquire completed, and its code runs on to the next checkpoint;
//! - a waiter whose scope is **already cancelled** cannot use a grant (its next checkpoint
//!   drops it), so whoever hands grants out **passes over** it, to the next waiter in line or
//!   back to the primitive. The cancelled waiter keeps its place until its scope drops it.
//!
//! So a grant is only ever handed to a waiter that can use it, and never taken back. Reading
//! the scope's status is one atomic load of its node, safe from any thread.

use crate::context;
use crate::loom::Arc;
use crate::tree::NodeRef;

/// The innermost cancel scope of a waiting future, or none outside every anyio scope (then
/// it is never cancelled by anyio).
#[derive(Default)]
pub(crate) struct WaiterScope(Option<NodeRef>);

impl WaiterScope {
    /// The scope of the code being polled now.
    pub(crate) fn current() -> Self {
        Self(context::current_node())
    }

    /// A waiter that no cancellation reaches: one that must finish what it started (a
    /// condition getting its lock back after it was notified).
    pub(crate) fn shielded() -> Self {
        Self(None)
    }

    /// Whether the waiter's scope is cancelled: a grant passes over it.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.0.as_ref().is_some_and(|node| node.is_effective())
    }

    /// Follows the future to the scope it is polled in now: a future polled in one scope and
    /// then moved to another (through `&mut`) must not stay passed over for the first one.
    pub(crate) fn refresh(&mut self) {
        if self.0.is_none() {
            return;
        }
        let now = context::current_node();
        let same = match (&self.0, &now) {
            (Some(old), Some(new)) => Arc::ptr_eq(old, new),
            _ => false,
        };
        if !same {
            self.0 = now;
        }
    }
}

impl std::fmt::Debug for WaiterScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaiterScope")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}
