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

/// Runs `f` with `node` as the innermost scope of this thread.
pub(crate) fn enter<T>(node: &Arc<ScopeNode>, f: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|c| c.replace(Some(Arc::clone(node))));
    let _restore = Restore(previous);
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
