//! The task-local context: which cancel scope encloses the code being polled.
//!
//! Cancel scopes and task roots set it while they poll their body, so any anyio checkpoint
//! polled inside them finds its scope chain without being handed it.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use crate::cancel::node::{Cause, Now, ScopeNode};

/// The innermost scope, as the context holds it.
pub(crate) enum Frame {
    Node(Arc<ScopeNode>),
    Lazy(LazyScope),
}

/// A scope that nothing outside can reach (a `move_on_after` during its body's first poll):
/// all it has is a parent and a deadline, and it becomes a [`ScopeNode`] only when something
/// needs one — a nested scope linking to it, or its body suspending. Bodies that complete at
/// once never pay for a node.
pub(crate) struct LazyScope {
    pub(crate) parent: Option<Arc<ScopeNode>>,
    /// `None`: never.
    pub(crate) deadline: Option<Instant>,
}

impl LazyScope {
    pub(crate) fn materialize(self) -> Arc<ScopeNode> {
        let node = ScopeNode::new(false);
        if let Some(parent) = self.parent {
            node.set_parent(Some(parent));
        }
        node.init_deadline(self.deadline);
        node
    }

    /// As [`ScopeNode::cause`] for a node with this parent and deadline; `now` is read only
    /// if the deadline needs it.
    pub(crate) fn cause(&self, now: Option<Instant>) -> Cause {
        if let Some(deadline) = self.deadline {
            if deadline <= now.unwrap_or_else(Instant::now) {
                return Cause::Own;
            }
        }
        match &self.parent {
            Some(parent) if parent.cause(&mut Now::default()) != Cause::None => Cause::Ancestor,
            _ => Cause::None,
        }
    }

    fn effective_deadline(&self) -> Option<Instant> {
        let outer = self.parent.as_ref().and_then(|p| p.effective_deadline());
        match (self.deadline, outer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A borrowed look at the innermost scope.
pub(crate) enum View<'a> {
    Node(&'a ScopeNode),
    Lazy(&'a LazyScope),
}

impl View<'_> {
    pub(crate) fn cause(&self, now: &mut Now) -> Cause {
        match self {
            View::Node(node) => node.cause(now),
            View::Lazy(lazy) => lazy.cause(None),
        }
    }

    pub(crate) fn effective_deadline(&self) -> Option<Instant> {
        match self {
            View::Node(node) => node.effective_deadline(),
            View::Lazy(lazy) => lazy.effective_deadline(),
        }
    }
}

thread_local! {
    // Read far more often (every checkpoint) than written (entering a scope), so readers
    // borrow in place rather than moving the frame out and back.
    static CURRENT: RefCell<Option<Frame>> = const { RefCell::new(None) };
}

/// Runs `f` with the frame in `slot` as the innermost scope of this thread, moving it into the
/// thread's context for the duration (no reference-count traffic) and back afterwards, also
/// when `f` panics. The frame may come back materialized.
pub(crate) fn lend<T>(slot: &mut Option<Frame>, f: impl FnOnce() -> T) -> T {
    struct GiveBack<'a> {
        slot: &'a mut Option<Frame>,
        previous: Option<Frame>,
    }

    impl Drop for GiveBack<'_> {
        fn drop(&mut self) {
            *self.slot = CURRENT.with(|c| c.replace(self.previous.take()));
        }
    }

    let previous = CURRENT.with(|c| c.replace(slot.take()));
    let _give_back = GiveBack { slot, previous };
    f()
}

/// The innermost scope of the code being polled, if any, materializing a lazy one.
pub(crate) fn current() -> Option<Arc<ScopeNode>> {
    CURRENT.with(|c| {
        let mut frame = c.borrow_mut();
        let node = match frame.take() {
            None => return None,
            Some(Frame::Node(node)) => node,
            Some(Frame::Lazy(lazy)) => lazy.materialize(),
        };
        let copy = Arc::clone(&node);
        *frame = Some(Frame::Node(node));
        Some(copy)
    })
}

/// Calls `f` with a look at the innermost scope, without materializing it or touching any
/// reference count.
pub(crate) fn with_current<T>(f: impl FnOnce(Option<View<'_>>) -> T) -> T {
    CURRENT.with(|c| {
        let frame = c.borrow();
        let view = frame.as_ref().map(|frame| match frame {
            Frame::Node(node) => View::Node(node),
            Frame::Lazy(lazy) => View::Lazy(lazy),
        });
        f(view)
    })
}
