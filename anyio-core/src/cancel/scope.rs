//! The cancel scope builder.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Instant;

use super::handle::CancelHandle;
use super::node::ScopeNode;
use super::scoped::Scoped;
use crate::backend::Runtime;
use crate::context;

/// A cancel scope, ready to run one body.
///
/// Configure it (deadline, shield), take a [`CancelHandle`] if other tasks need to cancel it,
/// then [`run`](Self::run) a future inside it.
pub struct CancelScope<R> {
    node: Arc<ScopeNode>,
    _runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> CancelScope<R> {
    /// A scope with no deadline and no shield.
    pub fn new() -> Self {
        Self {
            node: ScopeNode::new(false),
            _runtime: PhantomData,
        }
    }

    /// A scope that cancels itself at `deadline` (at once if it has passed).
    pub fn with_deadline(deadline: Instant) -> Self {
        let scope = Self::new();
        scope.node.init_deadline(Some(deadline));
        scope
    }

    /// Shields the body from cancellation of scopes outside this one. The scope's own deadline
    /// and [`CancelHandle::cancel`] still apply.
    pub fn shield(self, shield: bool) -> Self {
        self.node.set_shield(shield);
        self
    }

    /// A handle to cancel this scope or move its deadline, from any task or thread.
    pub fn handle(&self) -> CancelHandle {
        CancelHandle {
            node: Arc::clone(&self.node),
        }
    }

    /// Cancels the scope; if it has not started yet, its body is dropped unpolled on entry.
    pub fn cancel(&self) {
        self.node.cancel();
    }

    /// Runs `body` inside the scope: `Some(output)` if it completed, `None` if the scope caught
    /// its own cancellation.
    pub fn run<F: Future>(self, body: F) -> Scoped<F, R> {
        Scoped::new(self.node, body)
    }
}

impl<R: Runtime> Default for CancelScope<R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<R> fmt::Debug for CancelScope<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelScope")
            .field("deadline", &self.node.deadline())
            .field("shield", &self.node.is_shielded())
            .field("cancel_called", &self.node.cancel_called())
            .finish()
    }
}

/// The earliest deadline that applies to the calling code: the minimum over the enclosing
/// scopes up to and including the nearest shield. `None` means no deadline; a scope that has
/// been cancelled counts as a deadline in the past.
pub fn current_effective_deadline() -> Option<Instant> {
    context::with_current(|node| node.and_then(ScopeNode::effective_deadline))
}
