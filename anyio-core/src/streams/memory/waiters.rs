//! Waiter bookkeeping: a slab of waiter slots threaded by an intrusive FIFO list, the list of
//! wakers to wake once the lock is released, and the probe that tells whether a waiter's
//! cancel scope has been cancelled.
//!
//! Slots are keyed by index and reused through a free list, so a waiting operation allocates
//! nothing once the slab has grown to the peak number of waiters; unlinking from the middle of
//! the queue (a cancelled waiter) is O(1).

use std::task::Waker;

use crate::context;
use crate::tree::NodeRef;

/// Marks the end of the list and of the free list.
const NIL: usize = usize::MAX;

/// The key of a waiter slot. Only the operation that inserted a slot removes it, so a key never
/// refers to someone else's slot.
pub(crate) type Key = usize;

#[derive(Debug)]
struct Node<S> {
    value: S,
    prev: usize,
    next: usize,
    linked: bool,
}

#[derive(Debug)]
enum Entry<S> {
    Occupied(Node<S>),
    Vacant { next_free: usize },
}

/// Waiter slots in a slab; the linked ones form a FIFO queue.
///
/// `repr(C)`: the fields every channel operation reads come first.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct WaiterList<S> {
    linked: usize,
    head: usize,
    tail: usize,
    free: usize,
    entries: Vec<Entry<S>>,
}

impl<S> WaiterList<S> {
    pub(crate) fn new() -> Self {
        Self {
            entries: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            linked: 0,
        }
    }

    /// How many slots are linked into the queue.
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    /// Stores `value` in a free slot linked at the back of the queue.
    pub(crate) fn insert_back(&mut self, value: S) -> Key {
        let node = Node {
            value,
            prev: NIL,
            next: NIL,
            linked: false,
        };
        let key = if self.free == NIL {
            self.entries.push(Entry::Occupied(node));
            self.entries.len() - 1
        } else {
            let key = self.free;
            match std::mem::replace(&mut self.entries[key], Entry::Occupied(node)) {
                Entry::Vacant { next_free } => self.free = next_free,
                Entry::Occupied(_) => unreachable!("the free list holds only vacant slots"),
            }
            key
        };
        self.link_back(key);
        key
    }

    /// Frees the slot, unlinking it first if needed, and returns its value.
    pub(crate) fn remove(&mut self, key: Key) -> S {
        self.unlink(key);
        let vacant = Entry::Vacant {
            next_free: self.free,
        };
        self.free = key;
        match std::mem::replace(&mut self.entries[key], vacant) {
            Entry::Occupied(node) => node.value,
            Entry::Vacant { .. } => unreachable!("a key is removed once, by its owner"),
        }
    }

    pub(crate) fn get(&self, key: Key) -> &S {
        &self.node(key).value
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> &mut S {
        &mut self.node_mut(key).value
    }

    /// The key at the front of the queue.
    pub(crate) fn front(&self) -> Option<Key> {
        (self.head != NIL).then_some(self.head)
    }

    /// Takes the slot out of the queue (no-op if it is not linked); the slot stays occupied.
    pub(crate) fn unlink(&mut self, key: Key) {
        let node = self.node_mut(key);
        if !node.linked {
            return;
        }
        node.linked = false;
        let (prev, next) = (node.prev, node.next);
        if prev == NIL {
            self.head = next;
        } else {
            self.node_mut(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.node_mut(next).prev = prev;
        }
        self.linked -= 1;
    }

    /// The key linked after `key`.
    pub(crate) fn next(&self, key: Key) -> Option<Key> {
        let next = self.node(key).next;
        (next != NIL).then_some(next)
    }

    /// Calls `f` on every occupied slot, linked or not, and unlinks those for which it returns
    /// true: the rare whole-list pass of closing a handle or of the other side going away.
    pub(crate) fn unlink_where(&mut self, mut f: impl FnMut(Key, &mut S) -> bool) {
        for key in 0..self.entries.len() {
            let hit = match &mut self.entries[key] {
                Entry::Occupied(node) => f(key, &mut node.value),
                Entry::Vacant { .. } => false,
            };
            if hit {
                self.unlink(key);
            }
        }
    }

    /// The keys of the linked slots, front to back.
    #[cfg(test)]
    pub(crate) fn linked_keys(&self) -> impl Iterator<Item = Key> + '_ {
        std::iter::successors(self.front(), |&key| self.next(key))
    }

    fn link_back(&mut self, key: Key) {
        let tail = self.tail;
        let node = self.node_mut(key);
        node.linked = true;
        node.prev = tail;
        node.next = NIL;
        if tail == NIL {
            self.head = key;
        } else {
            self.node_mut(tail).next = key;
        }
        self.tail = key;
        self.linked += 1;
    }

    fn node(&self, key: Key) -> &Node<S> {
        match &self.entries[key] {
            Entry::Occupied(node) => node,
            Entry::Vacant { .. } => {
                unreachable!("waiter keys stay valid until their owner removes them")
            }
        }
    }

    fn node_mut(&mut self, key: Key) -> &mut Node<S> {
        match &mut self.entries[key] {
            Entry::Occupied(node) => node,
            Entry::Vacant { .. } => {
                unreachable!("waiter keys stay valid until their owner removes them")
            }
        }
    }
}

/// Stores `waker` in `slot` unless the one there already wakes the same task.
pub(crate) fn register(slot: &mut Option<Waker>, waker: &Waker) {
    match slot {
        Some(current) if current.will_wake(waker) => {}
        _ => *slot = Some(waker.clone()),
    }
}

/// The cancel scope a waiting operation waits in, readable from any thread: a hand-over skips
/// a waiter whose scope is cancelled, since that waiter will never run past its checkpoint (as
/// AnyIO skips receivers with a pending cancellation).
#[derive(Debug, Clone)]
pub(crate) enum ScopeProbe {
    /// A waiter no scope stops (a `Sink`'s item in flight): never cancelled.
    Unscoped,
    /// The innermost scope where the waiter was last polled; `None` outside every scope.
    Scoped(Option<NodeRef>),
}

impl ScopeProbe {
    /// The innermost scope of the code being polled.
    pub(crate) fn current() -> Self {
        Self::Scoped(context::current_node())
    }

    /// Points a scoped probe at `current`, the innermost scope of the code polling the waiter
    /// now: it differs from the one the waiter was made in only when the waiter moves (a
    /// `Stream` polled from elsewhere).
    pub(crate) fn update(&mut self, current: impl FnOnce() -> Self) {
        if let Self::Scoped(_) = self {
            *self = current();
        }
    }

    /// Whether the waiter's scope is cancelled: its next checkpoint delivers the cancellation.
    #[inline]
    pub(crate) fn is_cancelled(&self) -> bool {
        match self {
            Self::Scoped(Some(node)) => node.is_effective(),
            Self::Scoped(None) | Self::Unscoped => false,
        }
    }
}

/// Wakers collected under the lock and woken after it is released, so a woken task never
/// finds the lock still held by its waker. The common case (none, or one) costs no allocation
/// and almost nothing to drop.
#[derive(Debug, Default)]
pub(crate) struct WakeList {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl WakeList {
    pub(crate) fn new() -> Self {
        Self {
            first: None,
            more: Vec::new(),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, waker: Option<Waker>) {
        let Some(waker) = waker else { return };
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.more.push(waker);
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    #[inline]
    pub(crate) fn wake_all(self) {
        let Some(first) = self.first else { return };
        first.wake();
        if !self.more.is_empty() {
            self.more.into_iter().for_each(Waker::wake);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_removal_from_the_middle_and_slot_reuse() {
        let mut list = WaiterList::new();
        let a = list.insert_back('a');
        let b = list.insert_back('b');
        let c = list.insert_back('c');
        assert_eq!(list.len(), 3);
        list.remove(b);
        assert_eq!(list.linked_keys().collect::<Vec<_>>(), [a, c]);
        let d = list.insert_back('d');
        assert_eq!(d, b, "the freed slot is reused");
        assert_eq!(list.linked_keys().collect::<Vec<_>>(), [a, c, d]);
        list.unlink_where(|_, v| *v == 'c');
        assert_eq!(list.linked_keys().collect::<Vec<_>>(), [a, d]);
        assert_eq!(list.next(a), Some(d));
        assert_eq!(list.front(), Some(a));
        list.unlink(a);
        assert_eq!(list.linked_keys().collect::<Vec<_>>(), [d]);
        assert_eq!(*list.get(d), 'd');
        *list.get_mut(d) = 'e';
        assert_eq!(list.remove(d), 'e');
        assert_eq!(list.remove(a), 'a');
        assert_eq!(list.remove(c), 'c');
        assert!(list.is_empty());
        assert_eq!(list.front(), None);
    }
}
