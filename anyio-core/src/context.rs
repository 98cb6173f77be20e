//! The task-local context: which cancel scope encloses the code being polled.
//!
//! Cancel scopes and task roots set it while they poll their body, so any anyio checkpoint
//! polled inside them finds its scope chain without being handed it.

use std::cell::Cell;
use std::sync::Arc;

use crate::cancel::node::ScopeNode;

thread_local! {
    static CURRENT: Cell<Option<Arc<ScopeNode>>> = const { Cell::new(None) };
}

/// Restores the previous scope when dropped, so a panicking body cannot leave a stale scope.
struct Restore(Option<Arc<ScopeNode>>);

impl Drop for Restore {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0.take()));
    }
}

/// Runs `f` with the node in `slot` as the innermost scope of this thread, moving it into the
/// thread's context for the duration (no reference-count traffic) and back afterwards, also
/// when `f` panics.
pub(crate) fn lend<T>(slot: &mut Option<Arc<ScopeNode>>, f: impl FnOnce() -> T) -> T {
    struct GiveBack<'a> {
        slot: &'a mut Option<Arc<ScopeNode>>,
        previous: Option<Arc<ScopeNode>>,
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

/// The innermost scope of the code being polled, if any.
pub(crate) fn current() -> Option<Arc<ScopeNode>> {
    CURRENT.with(|c| {
        let node = c.take();
        let copy = node.clone();
        c.set(node);
        copy
    })
}

/// Calls `f` with the innermost scope without touching its reference count.
pub(crate) fn with_current<T>(f: impl FnOnce(Option<&ScopeNode>) -> T) -> T {
    CURRENT.with(|c| {
        let restore = Restore(c.take());
        f(restore.0.as_deref())
    })
}
