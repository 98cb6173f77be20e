//! The cancel-scope tree.
//!
//! Every cancel scope, task-group scope and task root is a [`ScopeNode`]. A node knows its
//! parent (the scope that was innermost when it was entered, possibly in another task), so a
//! checkpoint decides whether it is cancelled by walking up to the nearest shield. Nodes that
//! suspend register with their parent, so cancelling a node can wake every task below it.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{
    AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst,
};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::Waker;
use std::time::Instant;

use super::instant;

/// Why a scope's body must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// Nothing: the body may run.
    None,
    /// This scope was cancelled or its deadline passed.
    Own,
    /// A scope further out (below the nearest shield) was cancelled.
    Ancestor,
}

/// The current time, read at most once per decision and only when a deadline needs it.
#[derive(Debug, Default)]
pub(crate) struct Now(Option<u64>);

impl Now {
    pub(crate) fn nanos(&mut self) -> u64 {
        *self
            .0
            .get_or_insert_with(|| instant::to_nanos(Instant::now()))
    }
}

#[derive(Debug, Default)]
struct Shared {
    waker: Option<Waker>,
    /// Boxed because most nodes never have a suspended child: it keeps every node small.
    children: Option<Box<Children>>,
    deadline_fired: bool,
}

#[derive(Debug, Default)]
struct Children {
    /// Suspended nodes directly below this one, by id.
    registered: HashMap<u64, Weak<ScopeNode>, IdHash>,
    /// Children asked to cancel before they registered (a task group's child that had not
    /// suspended yet); they cancel themselves when they register.
    early_cancels: HashSet<u64, IdHash>,
}

/// Node ids are sequential numbers we hand out ourselves, so they need no protection against
/// crafted collisions: a multiplicative hash spreads them, for a fraction of SipHash's cost on
/// a path every suspending task takes.
type IdHash = BuildHasherDefault<IdHasher>;

#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

impl Shared {
    fn children(&mut self) -> &mut Children {
        self.children.get_or_insert_with(Box::default)
    }
}

/// Recycled nodes per thread; enough for the scopes one thread enters and leaves in a burst.
const POOL_CAPACITY: usize = 64;

thread_local! {
    static POOL: std::cell::RefCell<Vec<Arc<ScopeNode>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A fresh node id; ids key a parent's registry of its children.
pub(crate) fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Relaxed)
}

#[derive(Debug)]
pub(crate) struct ScopeNode {
    id: u64,
    parent: OnceLock<Option<Arc<ScopeNode>>>,
    task_root: bool,
    shield: AtomicBool,
    cancel_called: AtomicBool,
    caught: AtomicBool,
    /// Nanoseconds since the process epoch, or [`instant::NEVER`].
    deadline: AtomicU64,
    /// Live shielded scopes and task-group children below this node in its own task: while
    /// positive, a cancelled node keeps polling its body instead of dropping it.
    deferrals: AtomicIsize,
    /// How many ids `Shared::early_cancels` holds, so children can skip the lock when none.
    early_cancels: AtomicUsize,
    shared: Mutex<Shared>,
}

impl ScopeNode {
    pub(crate) fn new(task_root: bool) -> Arc<Self> {
        Self::with_id(next_id(), task_root)
    }

    /// A fresh node, reusing one this thread recycled when it can: entering a scope is on every
    /// hot path (each task-group child has one), and the allocator is the largest cost of it.
    pub(crate) fn with_id(id: u64, task_root: bool) -> Arc<Self> {
        match POOL.with(|pool| pool.borrow_mut().pop()) {
            Some(mut node) => {
                // Recycled nodes are unique (checked when recycled) and already reset.
                if let Some(fresh) = Arc::get_mut(&mut node) {
                    fresh.id = id;
                    fresh.task_root = task_root;
                }
                node
            }
            None => Arc::new(Self::fresh(id, task_root)),
        }
    }

    /// Gives `node` back for reuse if nothing else refers to it (no handle, no registration).
    pub(crate) fn recycle(mut node: Arc<Self>) {
        let Some(unique) = Arc::get_mut(&mut node) else {
            return;
        };
        // Reset now rather than on reuse, so a pooled node keeps no parent chain alive.
        *unique = Self::fresh(0, false);
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if pool.len() < POOL_CAPACITY {
                pool.push(node);
            }
        });
    }

    fn fresh(id: u64, task_root: bool) -> Self {
        Self {
            id,
            parent: OnceLock::new(),
            task_root,
            shield: AtomicBool::new(false),
            cancel_called: AtomicBool::new(false),
            caught: AtomicBool::new(false),
            deadline: AtomicU64::new(instant::NEVER),
            deferrals: AtomicIsize::new(0),
            early_cancels: AtomicUsize::new(0),
            shared: Mutex::new(Shared::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // The lock guards plain data; a panic while holding it cannot break an invariant.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Links the node into the tree; only the first call has an effect.
    pub(crate) fn set_parent(&self, parent: Option<Arc<ScopeNode>>) {
        let _ = self.parent.set(parent);
    }

    pub(crate) fn parent(&self) -> Option<&ScopeNode> {
        self.parent.get().and_then(|p| p.as_deref())
    }

    pub(crate) fn is_task_root(&self) -> bool {
        self.task_root
    }

    pub(crate) fn set_shield(&self, shield: bool) {
        self.shield.store(shield, SeqCst);
    }

    pub(crate) fn is_shielded(&self) -> bool {
        self.shield.load(SeqCst)
    }

    pub(crate) fn cancel(&self) {
        if !self.cancel_called.swap(true, SeqCst) {
            self.wake_subtree();
        }
    }

    pub(crate) fn cancel_called(&self) -> bool {
        self.cancel_called.load(SeqCst)
    }

    pub(crate) fn set_caught(&self) {
        self.caught.store(true, SeqCst);
    }

    pub(crate) fn caught(&self) -> bool {
        self.caught.load(SeqCst)
    }

    pub(crate) fn deadline_nanos(&self) -> u64 {
        self.deadline.load(SeqCst)
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        instant::from_nanos(self.deadline_nanos())
    }

    /// Sets the deadline of a scope that has not suspended yet, so there is nobody to wake.
    pub(crate) fn init_deadline(&self, deadline: Option<Instant>) {
        self.init_deadline_nanos(deadline.map_or(instant::NEVER, instant::to_nanos));
    }

    /// [`init_deadline`](Self::init_deadline) in [`instant`] nanoseconds.
    pub(crate) fn init_deadline_nanos(&self, nanos: u64) {
        self.deadline.store(nanos, SeqCst);
    }

    /// Moves the deadline and wakes the scope so that it re-arms its timer.
    pub(crate) fn set_deadline(&self, deadline: Option<Instant>) {
        self.deadline
            .store(deadline.map_or(instant::NEVER, instant::to_nanos), SeqCst);
        self.lock().deadline_fired = false;
        self.wake();
    }

    pub(crate) fn deadline_reached(&self, now: &mut Now) -> bool {
        let deadline = self.deadline_nanos();
        deadline != instant::NEVER && deadline <= now.nanos()
    }

    fn own_cancelled(&self, now: &mut Now) -> bool {
        self.cancel_called() || self.deadline_reached(now)
    }

    /// Whether code running directly inside this node must stop, and because of whom.
    pub(crate) fn cause(&self, now: &mut Now) -> Cause {
        if self.own_cancelled(now) {
            return Cause::Own;
        }
        let mut node = self;
        while !node.is_shielded() {
            match node.parent() {
                Some(parent) if parent.own_cancelled(now) => return Cause::Ancestor,
                Some(parent) => node = parent,
                None => break,
            }
        }
        Cause::None
    }

    /// The earliest deadline that applies here, up to and including the nearest shield; a
    /// cancelled scope counts as a deadline already in the past.
    pub(crate) fn effective_deadline(&self) -> Option<Instant> {
        let mut earliest = instant::NEVER;
        let mut node = Some(self);
        while let Some(n) = node {
            if n.cancel_called() {
                earliest = 0;
            }
            earliest = earliest.min(n.deadline_nanos());
            if n.is_shielded() {
                break;
            }
            node = n.parent();
        }
        instant::from_nanos(earliest)
    }

    /// Tells the tasks below this node that its deadline passed (once per deadline).
    pub(crate) fn fire_deadline(&self) {
        let first = !std::mem::replace(&mut self.lock().deadline_fired, true);
        if first {
            self.wake_subtree();
        }
    }

    pub(crate) fn set_waker(&self, waker: &Waker) {
        let mut shared = self.lock();
        match &shared.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => shared.waker = Some(waker.clone()),
        }
    }

    pub(crate) fn wake(&self) {
        let waker = self.lock().waker.clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Wakes this node and every registered node below it, stopping at shields.
    fn wake_subtree(&self) {
        let mut pending = Vec::new();
        self.wake_and_collect(&mut pending);
        while let Some(node) = pending.pop() {
            if !node.is_shielded() {
                node.wake_and_collect(&mut pending);
            }
        }
    }

    fn wake_and_collect(&self, out: &mut Vec<Arc<ScopeNode>>) {
        let waker = {
            let shared = self.lock();
            if let Some(children) = &shared.children {
                out.extend(children.registered.values().filter_map(Weak::upgrade));
            }
            shared.waker.clone()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Registers a suspended child so cancellation here can wake it; cancels the child if it
    /// was asked to cancel before it got here.
    pub(crate) fn register_child(&self, child: &Arc<ScopeNode>) {
        let cancel_early = {
            let mut shared = self.lock();
            shared
                .children()
                .registered
                .insert(child.id, Arc::downgrade(child));
            self.take_early_cancel_locked(&mut shared, child.id)
        };
        if cancel_early {
            child.cancel();
        }
    }

    pub(crate) fn deregister_child(&self, id: u64) {
        if let Some(children) = &mut self.lock().children {
            children.registered.remove(&id);
        }
    }

    /// Cancels the child `id`, now if it has registered, else as soon as it does.
    pub(crate) fn cancel_child(&self, id: u64) {
        let child = {
            let mut shared = self.lock();
            let children = shared.children();
            match children.registered.get(&id).and_then(Weak::upgrade) {
                Some(child) => Some(child),
                None => {
                    // A child that finished without ever suspending leaves its id here until
                    // the group goes away; at most one entry per cancel call.
                    if children.early_cancels.insert(id) {
                        self.early_cancels.fetch_add(1, SeqCst);
                    }
                    None
                }
            }
        };
        if let Some(child) = child {
            child.cancel();
        }
    }

    /// Whether the child `id` was asked to cancel before it registered (consuming the request).
    pub(crate) fn take_early_cancel(&self, id: u64) -> bool {
        if self.early_cancels.load(SeqCst) == 0 {
            return false;
        }
        let mut shared = self.lock();
        self.take_early_cancel_locked(&mut shared, id)
    }

    fn take_early_cancel_locked(&self, shared: &mut Shared, id: u64) -> bool {
        let taken = shared
            .children
            .as_mut()
            .is_some_and(|children| children.early_cancels.remove(&id));
        if taken {
            self.early_cancels.fetch_sub(1, SeqCst);
        }
        taken
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn deferrals(&self) -> isize {
        self.deferrals.load(SeqCst)
    }

    /// Marks something below `start` (in the same task) that a cancelled scope must let finish.
    pub(crate) fn add_deferral(start: &ScopeNode) {
        let mut node = Some(start);
        while let Some(n) = node {
            n.deferrals.fetch_add(1, SeqCst);
            if n.task_root {
                break;
            }
            node = n.parent();
        }
    }

    /// Undoes [`ScopeNode::add_deferral`], waking scopes that were waiting for it.
    pub(crate) fn remove_deferral(start: &ScopeNode) {
        let mut node = Some(start);
        while let Some(n) = node {
            if n.deferrals.fetch_sub(1, SeqCst) == 1 {
                n.wake();
            }
            if n.task_root {
                break;
            }
            node = n.parent();
        }
    }
}
