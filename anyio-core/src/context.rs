//! The task-local context: the cancel scopes enclosing the code being polled.
//!
//! Cancel scopes, task groups and task roots push their frame while they poll their body, so
//! any anyio checkpoint polled inside them finds its scope without being handed it. A frame is
//! either a node of the cancel tree or a *lazy* scope: a `move_on_after` during its body's
//! first poll, which has no node yet. Most timeouts complete at once (the operation was ready),
//! and a lazy scope lets them complete without allocating a node, linking it and unlinking it
//! (the figures with and without are under `move_on_after_ready` in docs/benchmarks.md). A
//! lazy scope becomes a node when something needs one: its body suspends, or a scope, group or
//! worker thread inside it needs a parent.

use std::cell::{Cell, RefCell};
use std::time::Instant;

use crate::instant;
use crate::tree::{Kind, Node, NodeRef, Sources};

/// One enclosing scope, as the context holds it.
pub(crate) enum Frame {
    Node(NodeRef),
    Lazy(Lazy),
}

/// A scope that has no node yet (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lazy {
    /// Its deadline had passed when it was entered.
    pub(crate) cancelled: bool,
    pub(crate) shield: bool,
    /// Kept as an instant until a node needs it: converting costs more than a ready
    /// timeout's whole scope.
    pub(crate) deadline: Option<Instant>,
}

impl Lazy {
    pub(crate) fn materialize(self, parent: Option<&NodeRef>) -> NodeRef {
        let sources = Sources {
            cancelled: self.cancelled,
            by_deadline: self.cancelled,
            shield: self.shield,
            deadline: self.deadline.map(instant::to_nanos),
        };
        match parent {
            Some(parent) => Node::new_linked(Kind::Scope, sources, parent),
            None => Node::new(Kind::Scope, sources),
        }
    }
}

/// The context of one thread: reached through one thread-local access per poll.
struct Context {
    stack: RefCell<Vec<Frame>>,
    /// Set by a yield that must not deliver cancellation (a cancel-shielded checkpoint), so
    /// that the scopes around it keep their body although it returned `Pending`.
    shielded_yield: Cell<bool>,
    /// How many times code on this thread asked whether it must stop: its cancel points, for
    /// the checkpoint assertions of `testing`.
    cancel_points: Cell<u64>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            stack: RefCell::new(Vec::new()),
            shielded_yield: Cell::new(false),
            cancel_points: Cell::new(0),
        }
    };
}

/// How many cancel points code polled on this thread has reached so far.
pub(crate) fn cancel_points() -> u64 {
    CONTEXT.with(|c| c.cancel_points.get())
}

/// Marks the `Pending` the caller is about to return as a yield that delivers no
/// cancellation: the enclosing scopes poll their body again instead of dropping it.
pub(crate) fn mark_shielded_yield() {
    CONTEXT.with(|c| c.shielded_yield.set(true));
}

/// What one poll inside [`enter`] left behind.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entered {
    /// The poll ended in a shielded yield (see [`mark_shielded_yield`]).
    pub(crate) shielded_yield: bool,
    /// Code inside the frame was cancelled when the poll began (read in the same thread-local
    /// access that pushed the frame).
    pub(crate) cancelled_before: bool,
}

/// Runs `f` with a frame pushed as the innermost scope of this thread: the node in `node`
/// (moved in and back, so a poll costs no reference-count traffic), or `lazy` if given. The
/// node, or the node a lazy frame became, is back in `node` afterwards, also when `f`
/// panics, so its owner can still take it out of the tree. With neither, `f` just runs in the
/// scopes already on the stack.
pub(crate) fn enter<T>(
    node: &mut Option<NodeRef>,
    lazy: Option<Lazy>,
    f: impl FnOnce() -> T,
) -> (T, Entered) {
    /// Pops the frame and restores the outer yield mark, after `f` or as it unwinds.
    struct Restore<'a> {
        node: &'a mut Option<NodeRef>,
        pushed: bool,
        outer_yield: bool,
        done: bool,
    }

    impl Restore<'_> {
        /// Pops the frame into the slot (a lazy frame only if it became a node); the poll's own
        /// yield mark, returned, stays set for the enclosing scopes, which ask in turn.
        fn finish(&mut self) -> bool {
            self.done = true;
            CONTEXT.with(|c| {
                if self.pushed {
                    if let Some(Frame::Node(node)) = c.stack.borrow_mut().pop() {
                        *self.node = Some(node);
                    }
                }
                let shielded_yield = c.shielded_yield.get();
                c.shielded_yield.set(shielded_yield || self.outer_yield);
                shielded_yield
            })
        }
    }

    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            if !self.done {
                self.finish();
            }
        }
    }

    let frame = match lazy {
        Some(lazy) => Some(Frame::Lazy(lazy)),
        None => node.take().map(Frame::Node),
    };
    let pushed = frame.is_some();
    let (outer_yield, cancelled_before) = CONTEXT.with(|c| {
        let mut stack = c.stack.borrow_mut();
        if let Some(frame) = frame {
            stack.push(frame);
        }
        (c.shielded_yield.replace(false), frames_cancelled(&stack))
    });
    let mut restore = Restore {
        node,
        pushed,
        outer_yield,
        done: false,
    };
    let output = f();
    let shielded_yield = restore.finish();
    (
        output,
        Entered {
            shielded_yield,
            cancelled_before,
        },
    )
}

/// Whether code polled here must stop: the innermost scope's status.
pub(crate) fn is_cancelled() -> bool {
    CONTEXT.with(|c| {
        c.cancel_points.set(c.cancel_points.get().wrapping_add(1));
        frames_cancelled(&c.stack.borrow())
    })
}

fn frames_cancelled(stack: &[Frame]) -> bool {
    for frame in stack.iter().rev() {
        match frame {
            Frame::Node(node) => return node.is_effective(),
            Frame::Lazy(lazy) if lazy.cancelled => return true,
            Frame::Lazy(lazy) if lazy.shield => return false,
            Frame::Lazy(_) => {}
        }
    }
    false
}

/// The innermost scope's node, materializing lazy scopes on the way; `None` outside every
/// scope.
pub(crate) fn current_node() -> Option<NodeRef> {
    CONTEXT.with(|c| {
        let mut stack = c.stack.borrow_mut();
        let top = stack.len().checked_sub(1)?;
        let mut base = top + 1;
        while base > 0 && matches!(stack[base - 1], Frame::Lazy(_)) {
            base -= 1;
        }
        let mut parent = match base.checked_sub(1).map(|i| &stack[i]) {
            Some(Frame::Node(node)) => Some(NodeRef::clone(node)),
            _ => None,
        };
        for frame in &mut stack[base..] {
            let Frame::Lazy(lazy) = *frame else {
                unreachable!("only lazy frames above the base");
            };
            let node = lazy.materialize(parent.as_ref());
            *frame = Frame::Node(NodeRef::clone(&node));
            parent = Some(node);
        }
        parent
    })
}

/// The earliest deadline that applies here, up to and including the nearest shield; a
/// cancelled scope counts as a deadline already past. `None`: no deadline.
pub(crate) fn effective_deadline() -> Option<Instant> {
    CONTEXT.with(|c| {
        let mut earliest = instant::NEVER;
        for frame in c.stack.borrow().iter().rev() {
            match frame {
                Frame::Node(node) => {
                    let below = node
                        .effective_deadline()
                        .map_or(instant::NEVER, instant::to_nanos);
                    earliest = earliest.min(below);
                    break;
                }
                Frame::Lazy(lazy) => {
                    if lazy.cancelled {
                        return Some(instant::past());
                    }
                    earliest =
                        earliest.min(lazy.deadline.map_or(instant::NEVER, instant::to_nanos));
                    if lazy.shield {
                        break;
                    }
                }
            }
        }
        instant::from_nanos(earliest)
    })
}
