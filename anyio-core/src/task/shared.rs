//! What a task group shares with its children: its node, its count of running children, and
//! the failures they report.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use std::sync::{Mutex, MutexGuard};
use std::task::Waker;

use crate::backend::Runtime;
use crate::error::SpawnError;
use crate::tree::{NodeRef, RunningChildren};
use crate::wait::Acquire;

pub(crate) type Panic = Box<dyn Any + Send + 'static>;

/// Set in [`GroupShared::live`] once the group has finished, so late spawns are refused.
const CLOSED: usize = 1 << (usize::BITS - 1);

struct Failures<E> {
    errors: Vec<E>,
    panic: Option<Panic>,
    /// The group's future, waiting for its last child.
    waker: Option<Waker>,
}

pub(crate) struct GroupShared<R, E> {
    runtime: R,
    /// The group's node: the body runs in it and every child's node hangs below it.
    node: NodeRef,
    /// Children not yet finished, plus [`CLOSED`].
    live: AtomicUsize,
    /// A child was ever spawned: the group's exit is then a full checkpoint.
    had_children: AtomicBool,
    failures: Mutex<Failures<E>>,
}

impl<R: Runtime, E> GroupShared<R, E> {
    pub(crate) fn new(runtime: R, node: NodeRef) -> Self {
        Self {
            runtime,
            node,
            live: AtomicUsize::new(0),
            had_children: AtomicBool::new(false),
            failures: Mutex::new(Failures {
                errors: Vec::new(),
                panic: None,
                waker: None,
            }),
        }
    }

    pub(crate) fn runtime(&self) -> R {
        self.runtime
    }

    pub(crate) fn node(&self) -> &NodeRef {
        &self.node
    }

    fn lock(&self) -> MutexGuard<'_, Failures<E>> {
        self.failures.acquire()
    }

    /// Records a failure; the first one cancels the group.
    pub(crate) fn fail_with_error(&self, error: E) {
        self.lock().errors.push(error);
        self.node.cancel(None);
    }

    /// Records a panic (the first is re-raised) and cancels the group.
    pub(crate) fn fail_with_panic(&self, panic: Panic) {
        self.lock().panic.get_or_insert(panic);
        self.node.cancel(None);
    }

    pub(crate) fn take_panic(&self) -> Option<Panic> {
        self.lock().panic.take()
    }

    pub(crate) fn take_errors(&self) -> Vec<E> {
        std::mem::take(&mut self.lock().errors)
    }

    /// Read by the group's future after `children_done`, whose `SeqCst` load of the count
    /// orders it after every `child_added`.
    pub(crate) fn had_children(&self) -> bool {
        self.had_children.load(Relaxed)
    }

    pub(crate) fn running_children(&self) -> usize {
        self.live.load(SeqCst) & !CLOSED
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.live.load(SeqCst) & CLOSED != 0
    }

    /// Counts a child in, refusing once the group has finished.
    pub(crate) fn child_added(&self) -> Result<(), SpawnError> {
        if self.live.fetch_add(1, SeqCst) & CLOSED != 0 {
            self.live.fetch_sub(1, SeqCst);
            return Err(SpawnError::new());
        }
        if !self.had_children.load(Relaxed) {
            self.had_children.store(true, Relaxed);
        }
        Ok(())
    }

    /// Counts a child out, waking the group's future after the last one.
    pub(crate) fn child_done(&self) {
        if self.live.fetch_sub(1, SeqCst) == 1 {
            let waker = self.lock().waker.take();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    /// Whether every child has finished; if not, the last one to finish wakes `waker`.
    pub(crate) fn children_done(&self, waker: &Waker) -> bool {
        if self.running_children() == 0 {
            return true;
        }
        self.lock().waker = Some(waker.clone());
        // A child that finished between the check and the store found no waker to wake.
        self.running_children() == 0
    }

    /// Closes the group if no child is running.
    pub(crate) fn try_close(&self) -> bool {
        let live = self.live.load(SeqCst);
        live & CLOSED != 0
            || self
                .live
                .compare_exchange(0, CLOSED, SeqCst, SeqCst)
                .is_ok()
    }
}

impl<R: Runtime, E: Send> RunningChildren for GroupShared<R, E> {
    fn any_running(&self) -> bool {
        self.running_children() > 0
    }
}
