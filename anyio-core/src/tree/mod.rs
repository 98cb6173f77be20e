//! The cancel tree: one node per entered cancel scope, task group and child task.
//!
//! Where a cancellation comes from is kept apart from how it propagates, as in Trio's run
//! loop. A node's *sources* are its own flags: `cancel()` was called (or its deadline passed)
//! and whether it is shielded. Its *status* is one bit, `EFFECTIVE`: "code running directly
//! inside this node must stop". The status is recomputed downward whenever a source changes:
//!
//! ```text
//! effective(node) = cancel_called(node) || (!shielded(node) && effective(parent))
//! ```
//!
//! so a checkpoint reads one atomic, and a cancellation visits exactly the nodes whose status
//! changes, waking the task that polls each of them.
//!
//! # Links
//!
//! A node's parent is the node that was innermost where it was entered or spawned, possibly
//! in another task (a child task's node hangs below its group's node). The link is made when
//! the node is created or entered and undone only when its owner finishes or is dropped, so a
//! cancellation reaches every node below, whatever the state of the futures in between. Each
//! node keeps its children in a slab, and each child its slot, so linking and leaving are O(1)
//! with no map and no id. A child task ends without its group's lock: it only marks its node,
//! and the group's next insertion, or the group's own end, sweeps it out.
//!
//! # Locking
//!
//! Every node has one mutex, guarding its parent pointer, its children, its waker and its
//! cancel reason; the source bits are written only with it held, and `EFFECTIVE` only by
//! [`Node::recompute`] with it held (or, for a node nobody else can see yet, by
//! [`Node::new_linked`] under its parent's lock). No code holds two nodes' locks at once, so
//! no two threads can wait on each other. Propagation takes one node's lock at a time: it
//! recomputes a node, copies out its children and waker, lets go, and moves on.
//!
//! A node linked while its parent's status changes cannot miss the change: the parent's status
//! is written with the parent's lock held and the children are copied out in the same critical
//! section, while linking inserts the child with that lock held and then recomputes the child
//! (or, for a new node, reads the parent's status in that same critical section). Either the
//! child is in the copy or its own computation sees the new status. Recomputation reads its
//! inputs afresh under the node's own lock, so concurrent changes of a shield and of an
//! ancestor's status leave the last recomputation, which saw both, in force.

#[cfg(all(test, loom))]
mod loom_tests;

use std::fmt;
use std::sync::Weak;
use std::task::Waker;
use std::time::Instant;

use crate::instant;
use crate::loom::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering::*};
use crate::loom::{Arc, Mutex, MutexGuard};
use crate::wait::Acquire;

/// A shared reference to a node (loom's `Arc` under the model checker).
pub(crate) type NodeRef = Arc<Node>;

/// A reason given to `cancel`.
pub(crate) type Reason = std::sync::Arc<str>;

/// Code directly inside this node must stop (the propagated status).
const EFFECTIVE: u16 = 1;
/// `cancel()` was called or the deadline passed (a source).
const CANCEL_CALLED: u16 = 1 << 1;
/// The node is shielded from its ancestors' cancellation (a source).
const SHIELD: u16 = 1 << 2;
/// The node's owner stopped its body because of this node's own cancellation.
const CAUGHT: u16 = 1 << 3;
/// `CANCEL_CALLED` was set because the deadline passed.
const BY_DEADLINE: u16 = 1 << 4;
/// The node is in its parent's children.
const LINKED: u16 = 1 << 5;
/// A child task's node (else a scope's or a group's).
const TASK: u16 = 1 << 6;
/// A task group's node.
const GROUP: u16 = 1 << 7;
/// The owner dropped the body at a cancellation another node catches, and only waits to be
/// dropped in turn: nothing runs below it any more.
const BODY_DROPPED: u16 = 1 << 8;
/// The node's owner has finished: the scope is no longer running.
const EXITED: u16 = 1 << 9;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A cancel scope entered in the task that polls it.
    Scope,
    /// A task group: its body runs in it, its children's nodes hang below it.
    Group,
    /// The root of a task-group child: the outermost node of its task.
    Task,
}

/// How a node starts out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sources {
    pub(crate) cancelled: bool,
    pub(crate) by_deadline: bool,
    pub(crate) shield: bool,
    /// In [`instant`] nanoseconds; [`instant::NEVER`] for none.
    pub(crate) deadline: Option<u64>,
}

pub(crate) struct Node {
    state: AtomicU16,
    /// Position in the parent's children while linked; written with the parent's lock held.
    index: AtomicU32,
    /// In [`instant`] nanoseconds, or [`instant::NEVER`].
    deadline: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    parent: Option<Arc<Node>>,
    /// The waker of the last poll that left the node's body pending.
    waker: Option<Waker>,
    /// Boxed because most nodes (a child task's, a leaf scope's) never need it: a node is then
    /// small, which a group of a million parked children shows (`park_1m`).
    extra: Option<Box<Extra>>,
}

#[derive(Default)]
struct Extra {
    children: Children,
    /// A group's count of running children, which its nodes in `children` do not show: a
    /// child task leaves the tree without taking its group's lock (see [`Node::exit_task`]).
    running: Option<Weak<dyn RunningChildren>>,
    /// The reason given to `cancel`, if any.
    reason: Option<Reason>,
}

/// Whether a task group still has children running (its count, not the tree's).
pub(crate) trait RunningChildren: Send + Sync {
    fn any_running(&self) -> bool;
}

/// A node's children: a slab, so that a child's index stays put and leaving touches no other
/// child. Child tasks that have ended are swept out here, by whoever adds a child, rather than
/// by the ending task: that keeps a busy group's lock to its spawner, and each node is freed on
/// the thread that allocated it (`spawn_join_100k` in docs/benchmarks.md).
#[derive(Default)]
struct Children {
    slots: Vec<Option<Arc<Node>>>,
    free: Vec<u32>,
    /// Occupied slots after the last sweep: the next sweep waits until there are twice as
    /// many, so sweeping costs O(1) per insertion.
    swept: usize,
}

impl Children {
    fn insert(&mut self, node: Arc<Node>) -> u32 {
        if self.free.is_empty() && self.slots.len() >= (2 * self.swept).max(64) {
            self.sweep();
        }
        match self.free.pop() {
            Some(index) => {
                self.slots[index as usize] = Some(node);
                index
            }
            None => {
                let index =
                    u32::try_from(self.slots.len()).expect("fewer than 2^32 nodes below one node");
                self.slots.push(Some(node));
                index
            }
        }
    }

    /// Frees the slots of child tasks that have ended.
    fn sweep(&mut self) {
        for (index, slot) in self.slots.iter_mut().enumerate() {
            // A child that ended after its group did may be removing itself: whoever clears
            // `LINKED` (both with the group's lock held) frees the slot.
            let leaving = slot.as_ref().is_some_and(|node| {
                node.has_exited() && node.state.fetch_and(!LINKED, AcqRel) & LINKED != 0
            });
            if leaving {
                *slot = None;
                self.free.push(index as u32);
            }
        }
        self.swept = self.len();
    }

    fn remove(&mut self, index: u32) -> Option<Arc<Node>> {
        let removed = self.slots.get_mut(index as usize)?.take();
        if self.free.len() + 1 == self.slots.len() {
            // The last one left: start over, and give the memory of a burst back.
            *self = Self::default();
        } else {
            self.free.push(index);
        }
        removed
    }

    fn iter(&self) -> impl Iterator<Item = &Arc<Node>> {
        self.slots.iter().flatten()
    }

    fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

impl Inner {
    fn children(&self) -> impl Iterator<Item = &Arc<Node>> {
        self.extra.iter().flat_map(|extra| extra.children.iter())
    }

    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }
}

impl Node {
    pub(crate) fn new(kind: Kind, sources: Sources) -> Arc<Self> {
        Arc::new(Self::unlinked(kind, sources, None))
    }

    fn unlinked(kind: Kind, sources: Sources, parent: Option<Arc<Node>>) -> Self {
        let mut state = match kind {
            Kind::Scope => 0,
            Kind::Group => GROUP,
            Kind::Task => TASK,
        };
        if sources.cancelled {
            state |= CANCEL_CALLED | EFFECTIVE;
            if sources.by_deadline {
                state |= BY_DEADLINE;
            }
        }
        if sources.shield {
            state |= SHIELD;
        }
        Self {
            state: AtomicU16::new(state),
            index: AtomicU32::new(0),
            deadline: AtomicU64::new(sources.deadline.unwrap_or(instant::NEVER)),
            inner: Mutex::new(Inner {
                parent,
                ..Inner::default()
            }),
        }
    }

    /// A new node, linked below `parent` at once: as [`Node::new`] and [`Node::link`], with
    /// one lock, since nothing else can see the node yet. Its status is read from the
    /// parent's with the parent's lock held, when the parent's status cannot change.
    pub(crate) fn new_linked(kind: Kind, sources: Sources, parent: &NodeRef) -> NodeRef {
        let node = Arc::new(Self::unlinked(kind, sources, Some(NodeRef::clone(parent))));
        let mut siblings = parent.lock();
        let inherit = !sources.shield && parent.is_effective();
        let mut bits = if inherit { EFFECTIVE } else { 0 };
        // Below a node whose owner has finished (a dropped group's child spawning into it) the
        // new node takes its status and stays out of the tree, which holds no more children.
        if parent.flags() & EXITED == 0 {
            let index = siblings.extra().children.insert(NodeRef::clone(&node));
            node.index.store(index, Relaxed);
            bits |= LINKED;
        }
        node.state.fetch_or(bits, AcqRel);
        drop(siblings);
        node
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.acquire()
    }

    fn flags(&self) -> u16 {
        self.state.load(Acquire)
    }

    pub(crate) fn kind(&self) -> Kind {
        let flags = self.flags();
        if flags & TASK != 0 {
            Kind::Task
        } else if flags & GROUP != 0 {
            Kind::Group
        } else {
            Kind::Scope
        }
    }

    /// Whether code running directly inside this node must stop: the one read a checkpoint
    /// makes.
    pub(crate) fn is_effective(&self) -> bool {
        self.flags() & EFFECTIVE != 0
    }

    pub(crate) fn cancel_called(&self) -> bool {
        self.flags() & CANCEL_CALLED != 0
    }

    pub(crate) fn cancelled_by_deadline(&self) -> bool {
        self.flags() & BY_DEADLINE != 0
    }

    pub(crate) fn is_shielded(&self) -> bool {
        self.flags() & SHIELD != 0
    }

    pub(crate) fn caught(&self) -> bool {
        self.flags() & CAUGHT != 0
    }

    pub(crate) fn set_caught(&self) {
        self.state.fetch_or(CAUGHT, AcqRel);
    }

    /// The owner dropped the body and waits to be dropped: not a blocker any more.
    pub(crate) fn set_body_dropped(&self) {
        self.state.fetch_or(BODY_DROPPED, AcqRel);
    }

    pub(crate) fn reason(&self) -> Option<Reason> {
        self.lock()
            .extra
            .as_ref()
            .and_then(|extra| extra.reason.clone())
    }

    pub(crate) fn deadline_nanos(&self) -> u64 {
        self.deadline.load(Acquire)
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        instant::from_nanos(self.deadline_nanos())
    }

    /// Moves the deadline and wakes the node's owner, which re-arms its timer (and cancels the
    /// node if the new deadline has passed).
    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        let nanos = deadline.map_or(instant::NEVER, instant::to_nanos);
        self.deadline.store(nanos, Release);
        self.wake();
    }

    /// Cancels the node if its deadline is at or before `now` (of the runtime's clock) and it
    /// is still running; whether it did.
    pub(crate) fn cancel_if_deadline_passed(&self, now: Instant) -> bool {
        let deadline = self.deadline_nanos();
        let passed = !self.cancel_called()
            && !self.has_exited()
            && deadline != instant::NEVER
            && deadline <= instant::to_nanos(now);
        if passed {
            self.cancel_by_deadline();
        }
        passed
    }

    /// Sets the deadline of a node nobody polls yet: there is no owner to wake.
    pub(crate) fn init_deadline(&self, nanos: u64) {
        self.deadline.store(nanos, Release);
    }

    /// Links `node` below `parent` (or makes it a root) and computes its status.
    pub(crate) fn link(node: &NodeRef, parent: Option<&NodeRef>) {
        if let Some(parent) = parent {
            node.lock().parent = Some(NodeRef::clone(parent));
            let mut siblings = parent.lock();
            if parent.flags() & EXITED == 0 {
                let index = siblings.extra().children.insert(NodeRef::clone(node));
                node.index.store(index, Relaxed);
                node.state.fetch_or(LINKED, AcqRel);
            }
        }
        node.recompute_and_propagate();
    }

    /// Whether the node's owner has finished (see [`unlink`](Self::unlink)).
    pub(crate) fn has_exited(&self) -> bool {
        self.flags() & EXITED != 0
    }

    /// Marks the node's owner as finished and takes the node out of its parent's children;
    /// the node keeps its status. Idempotent.
    ///
    pub(crate) fn unlink(&self) {
        // Its children go with it: a group's children that still run (its future was dropped)
        // were cancelled already and need it no more, and the references between a node and
        // its children are a cycle that must not outlive the node's owner.
        let children = {
            let mut inner = self.lock();
            self.state.fetch_or(EXITED, AcqRel);
            inner
                .extra
                .as_mut()
                .map(|extra| std::mem::take(&mut extra.children))
        };
        drop(children);
        if self.flags() & LINKED == 0 {
            return;
        }
        let Some(parent) = self.lock().parent.clone() else {
            return;
        };
        self.leave(&parent);
    }

    /// The end of a child task: marks its node as exited, without taking its group's lock. The
    /// node stays among the group's children until the next insertion sweeps it out, or the
    /// group's own end takes them all; a cancellation that still visits it wakes a finished
    /// task, which does nothing.
    pub(crate) fn exit_task(&self) {
        debug_assert_eq!(self.kind(), Kind::Task);
        self.state.fetch_or(EXITED, AcqRel);
    }

    /// Takes the node out of `parent`'s children. The node keeps its parent pointer: a linked
    /// node's parent never changes, and the parent no longer points back.
    fn leave(&self, parent: &Node) {
        let mut siblings = parent.lock();
        if self.state.fetch_and(!LINKED, AcqRel) & LINKED == 0 {
            return;
        }
        let removed = siblings.extra().children.remove(self.index.load(Relaxed));
        drop(siblings);
        drop(removed);
    }

    /// Tells a group's node how to know whether the group has children running.
    pub(crate) fn set_running_children(&self, running: Weak<dyn RunningChildren>) {
        self.lock().extra().running = Some(running);
    }

    /// Cancels the node: sets its source and propagates the status to every node below it
    /// (up to shields), waking each whose status changed. Idempotent; the first reason stays.
    pub(crate) fn cancel(&self, reason: Option<Reason>) {
        self.cancel_with(reason, false);
    }

    /// Cancels the node because its deadline passed.
    pub(crate) fn cancel_by_deadline(&self) {
        self.cancel_with(None, true);
    }

    fn cancel_with(&self, reason: Option<Reason>, by_deadline: bool) {
        let mut inner = self.lock();
        if self.flags() & CANCEL_CALLED != 0 {
            return;
        }
        if reason.is_some() {
            inner.extra().reason = reason;
        }
        let bits = if by_deadline {
            CANCEL_CALLED | BY_DEADLINE
        } else {
            CANCEL_CALLED
        };
        self.state.fetch_or(bits, AcqRel);
        self.recompute_locked_and_propagate(inner);
    }

    /// Switches the shield; effective at once in both directions.
    pub(crate) fn set_shield(&self, shield: bool) {
        let inner = self.lock();
        if shield {
            self.state.fetch_or(SHIELD, AcqRel);
        } else {
            self.state.fetch_and(!SHIELD, AcqRel);
        }
        self.recompute_locked_and_propagate(inner);
    }

    fn recompute_and_propagate(&self) {
        let inner = self.lock();
        self.recompute_locked_and_propagate(inner);
    }

    fn recompute_locked_and_propagate(&self, inner: MutexGuard<'_, Inner>) {
        let mut wakers = Vec::new();
        let mut pending = Vec::new();
        // The node itself is woken even when only a source changed: its owner may have to
        // re-arm a timer or catch its own cancellation.
        if let Some(waker) = &inner.waker {
            wakers.push(waker.clone());
        }
        if self.recompute(&inner) {
            pending.extend(inner.children().cloned());
        }
        drop(inner);
        while let Some(node) = pending.pop() {
            let inner = node.lock();
            if node.recompute(&inner) {
                if let Some(waker) = &inner.waker {
                    wakers.push(waker.clone());
                }
                pending.extend(inner.children().cloned());
            }
        }
        for waker in wakers {
            waker.wake();
        }
    }

    /// Brings `EFFECTIVE` up to date from the sources and the parent's status; `inner` is this
    /// node's guard. Whether it changed.
    fn recompute(&self, inner: &Inner) -> bool {
        let flags = self.state.load(Acquire);
        let inherited =
            flags & SHIELD == 0 && inner.parent.as_ref().is_some_and(|p| p.is_effective());
        let effective = flags & CANCEL_CALLED != 0 || inherited;
        if effective == (flags & EFFECTIVE != 0) {
            return false;
        }
        if effective {
            self.state.fetch_or(EFFECTIVE, AcqRel);
        } else {
            self.state.fetch_and(!EFFECTIVE, AcqRel);
        }
        true
    }

    /// Remembers the waker of a poll that left the body pending, so that a change of status
    /// wakes it; returns the status as of that moment. Storing and reading in one critical
    /// section means a concurrent cancellation either sees this waker or is seen here.
    pub(crate) fn register(&self, waker: &Waker) -> bool {
        let mut inner = self.lock();
        match &inner.waker {
            Some(known) if known.will_wake(waker) => {}
            _ => inner.waker = Some(waker.clone()),
        }
        self.is_effective()
    }

    pub(crate) fn wake(&self) {
        let waker = self.lock().waker.clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Whether something below this node, in the same task, must finish before a cancelled
    /// owner may drop its body: a scope that is not cancelled (a shield keeps it running), or
    /// a task group with children still running. Other tasks' nodes are not looked into: a
    /// group's children are waited for by the group.
    pub(crate) fn has_blockers(&self) -> bool {
        let mut pending: Vec<Arc<Node>> = self.lock().children().cloned().collect();
        while let Some(node) = pending.pop() {
            match node.kind() {
                Kind::Task => {}
                Kind::Group => {
                    let inner = node.lock();
                    let running = inner
                        .extra
                        .as_ref()
                        .and_then(|extra| extra.running.as_ref());
                    if running
                        .and_then(Weak::upgrade)
                        .is_some_and(|group| group.any_running())
                    {
                        return true;
                    }
                    pending.extend(inner.children().cloned());
                }
                Kind::Scope => {
                    let flags = node.flags();
                    if flags & BODY_DROPPED != 0 {
                        continue;
                    }
                    if flags & EFFECTIVE == 0 {
                        return true;
                    }
                    pending.extend(node.lock().children().cloned());
                }
            }
        }
        false
    }

    /// Whether the owner of this cancelled node stops its body itself rather than leave it to
    /// an ancestor: the outermost cancelled node up to a shield catches. A child task's root
    /// catches whatever cancelled it, since nothing else in its task can.
    pub(crate) fn catches(&self) -> bool {
        let flags = self.flags();
        if flags & EFFECTIVE == 0 {
            return false;
        }
        if flags & TASK != 0 {
            return true;
        }
        if flags & CANCEL_CALLED == 0 {
            return false;
        }
        if flags & SHIELD != 0 {
            return true;
        }
        !self.parent_is_effective()
    }

    pub(crate) fn parent_is_effective(&self) -> bool {
        self.lock()
            .parent
            .as_ref()
            .is_some_and(|p| p.is_effective())
    }

    /// The earliest deadline that applies inside this node, up to and including the nearest
    /// shield; a cancelled node counts as a deadline already past.
    pub(crate) fn effective_deadline(&self) -> Option<Instant> {
        if self.is_effective() {
            return Some(instant::past());
        }
        let mut earliest = self.deadline_nanos();
        let mut node = if self.is_shielded() {
            None
        } else {
            self.lock().parent.clone()
        };
        while let Some(current) = node {
            earliest = earliest.min(current.deadline_nanos());
            if current.is_shielded() {
                break;
            }
            node = current.lock().parent.clone();
        }
        instant::from_nanos(earliest)
    }

    /// How many nodes hang directly below this one (for tests and `Debug`).
    pub(crate) fn child_count(&self) -> usize {
        self.lock()
            .children()
            .filter(|node| !node.has_exited())
            .count()
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("kind", &self.kind())
            .field("cancel_called", &self.cancel_called())
            .field("effective", &self.is_effective())
            .field("shield", &self.is_shielded())
            .field("deadline", &self.deadline())
            .field("children", &self.child_count())
            .finish_non_exhaustive()
    }
}
#[cfg(test)]
mod tests {
    #[test]
    fn a_node_stays_small() {
        // Every parked child of a group has one: a million of them is `park_1m`.
        assert!(std::mem::size_of::<super::Node>() <= 56);
    }
}
