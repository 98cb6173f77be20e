//! A FIFO line of waiters in a slab: what every queue of parked tasks in this crate is.
//!
//! Each waiter owns a slot, named by a [`Key`], that holds whatever its primitive keeps for it
//! (a waker, an item, a state). Slots live in one vector and are recycled through a free list,
//! so once the slab has grown to the peak number of waiters a wait allocates nothing, and
//! leaving from the middle of the line (a cancelled waiter) is O(1).
//!
//! A slot can be *occupied but unlinked*: taken out of the line (granted, handed an item,
//! withdrawn) while its owner has not collected it yet. Only the owner frees its slot, with
//! [`WaitList::remove`], so a key never names someone else's slot.

use std::fmt;
use std::num::NonZeroU32;

/// No slot: the end of the line, or of the free list.
const NIL: u32 = u32::MAX;

/// The name of one waiter's slot, as index + 1 so that `Option<Key>` is one word. The lines
/// of parked tasks get long, and half-width keys and links keep each slot small.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key(NonZeroU32);

impl Key {
    fn new(index: u32) -> Self {
        Self(NonZeroU32::MIN.saturating_add(index))
    }

    fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

#[derive(Debug)]
struct Node<S> {
    value: S,
    prev: u32,
    next: u32,
    linked: bool,
}

#[derive(Debug)]
enum Entry<S> {
    Occupied(Node<S>),
    Vacant { next_free: u32 },
}

/// Waiter slots in a slab; the linked ones form a FIFO line. See the [module docs](self).
///
/// `repr(C)`: the fields every operation reads come first.
#[repr(C)]
pub(crate) struct WaitList<S> {
    linked: usize,
    head: u32,
    tail: u32,
    free: u32,
    entries: Vec<Entry<S>>,
}

impl<S> Default for WaitList<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> fmt::Debug for WaitList<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitList")
            .field("linked", &self.linked)
            .field("slots", &self.entries.len())
            .finish()
    }
}

impl<S> WaitList<S> {
    pub(crate) const fn new() -> Self {
        Self {
            linked: 0,
            head: NIL,
            tail: NIL,
            free: NIL,
            entries: Vec::new(),
        }
    }

    /// How many waiters are in line (unlinked slots are not counted).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.linked
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.linked == 0
    }

    /// Stores `value` in a free slot at the end of the line.
    pub(crate) fn push_back(&mut self, value: S) -> Key {
        let node = Node {
            value,
            prev: NIL,
            next: NIL,
            linked: false,
        };
        let index = if self.free == NIL {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&i| i != NIL)
                .expect("fewer than 2^32 - 1 waiters in one line");
            self.entries.push(Entry::Occupied(node));
            index
        } else {
            let index = self.free;
            match std::mem::replace(&mut self.entries[index as usize], Entry::Occupied(node)) {
                Entry::Vacant { next_free } => self.free = next_free,
                Entry::Occupied(_) => unreachable!("the free list holds only vacant slots"),
            }
            index
        };
        self.link_back(index);
        Key::new(index)
    }

    /// Frees the slot, taking it out of the line first if needed, and returns its value and
    /// whether it was still in line.
    pub(crate) fn remove(&mut self, key: Key) -> (S, bool) {
        let was_linked = self.unlink(key);
        let index = key.index();
        let vacant = Entry::Vacant {
            next_free: self.free,
        };
        self.free = index as u32;
        match std::mem::replace(&mut self.entries[index], vacant) {
            Entry::Occupied(node) => (node.value, was_linked),
            Entry::Vacant { .. } => unreachable!("a key is removed once, by its owner"),
        }
    }

    #[inline]
    pub(crate) fn get(&self, key: Key) -> &S {
        &self.node(key.index()).value
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, key: Key) -> &mut S {
        &mut self.node_mut(key.index()).value
    }

    /// Whether the slot is still in line.
    #[inline]
    pub(crate) fn is_linked(&self, key: Key) -> bool {
        self.node(key.index()).linked
    }

    /// The first waiter in line.
    #[inline]
    pub(crate) fn front(&self) -> Option<Key> {
        (self.head != NIL).then(|| Key::new(self.head))
    }

    /// Takes the first waiter out of the line; its slot stays occupied until its owner
    /// removes it.
    pub(crate) fn pop_front(&mut self) -> Option<Key> {
        let key = self.front()?;
        self.unlink(key);
        Some(key)
    }

    /// Takes the slot out of the line; `false` if it was not in line.
    pub(crate) fn unlink(&mut self, key: Key) -> bool {
        let node = self.node_mut(key.index());
        if !node.linked {
            return false;
        }
        node.linked = false;
        let (prev, next) = (node.prev, node.next);
        node.prev = NIL;
        node.next = NIL;
        match prev {
            NIL => self.head = next,
            prev => self.node_mut(prev as usize).next = next,
        }
        match next {
            NIL => self.tail = prev,
            next => self.node_mut(next as usize).prev = prev,
        }
        self.linked -= 1;
        true
    }

    /// The waiter in line after `key`.
    #[inline]
    pub(crate) fn next(&self, key: Key) -> Option<Key> {
        let next = self.node(key.index()).next;
        (next != NIL).then(|| Key::new(next))
    }

    /// The waiters in line, front to back.
    #[cfg(test)]
    pub(crate) fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        std::iter::successors(self.front(), |&key| self.next(key))
    }

    /// Calls `f` on every occupied slot, in line or not, and takes out of the line those for
    /// which it returns true: the rare whole-list pass of closing a handle.
    pub(crate) fn unlink_where(&mut self, mut f: impl FnMut(Key, &mut S) -> bool) {
        for index in 0..self.entries.len() {
            let key = Key::new(index as u32);
            let hit = match &mut self.entries[index] {
                Entry::Occupied(node) => f(key, &mut node.value),
                Entry::Vacant { .. } => false,
            };
            if hit {
                self.unlink(key);
            }
        }
    }

    /// Slots allocated so far, free ones included.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.entries.len()
    }

    fn link_back(&mut self, index: u32) {
        let tail = self.tail;
        let node = self.node_mut(index as usize);
        node.linked = true;
        node.prev = tail;
        node.next = NIL;
        match tail {
            NIL => self.head = index,
            tail => self.node_mut(tail as usize).next = index,
        }
        self.tail = index;
        self.linked += 1;
    }

    #[inline]
    fn node(&self, index: usize) -> &Node<S> {
        match &self.entries[index] {
            Entry::Occupied(node) => node,
            Entry::Vacant { .. } => unreachable!("a key names its slot until its owner frees it"),
        }
    }

    #[inline]
    fn node_mut(&mut self, index: usize) -> &mut Node<S> {
        match &mut self.entries[index] {
            Entry::Occupied(node) => node,
            Entry::Vacant { .. } => unreachable!("a key names its slot until its owner frees it"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn line<S>(list: &WaitList<S>) -> Vec<Key> {
        list.keys().collect()
    }

    #[test]
    fn fifo_with_leaving_from_the_middle_and_slot_reuse() {
        let mut list = WaitList::new();
        let a = list.push_back('a');
        let b = list.push_back('b');
        let c = list.push_back('c');
        assert_eq!(list.len(), 3);
        assert_eq!(list.remove(b), ('b', true));
        assert_eq!(line(&list), [a, c]);
        let d = list.push_back('d');
        assert_eq!(d, b, "the freed slot is reused");
        assert_eq!(line(&list), [a, c, d]);
        list.unlink_where(|_, v| *v == 'c');
        assert_eq!(line(&list), [a, d]);
        assert!(!list.is_linked(c));
        assert_eq!(list.next(a), Some(d));
        assert_eq!(list.pop_front(), Some(a));
        assert_eq!(line(&list), [d]);
        *list.get_mut(d) = 'e';
        assert_eq!(*list.get(d), 'e');
        assert_eq!(list.remove(d), ('e', true));
        assert_eq!(list.remove(a), ('a', false), "popped: out of line");
        assert_eq!(list.remove(c), ('c', false));
        assert!(list.is_empty());
        assert_eq!(list.front(), None);
    }

    #[test]
    fn leaving_the_tail_then_pushing_links_correctly() {
        let mut list = WaitList::new();
        let a = list.push_back(1);
        let b = list.push_back(2);
        assert!(list.unlink(b));
        assert!(!list.unlink(b), "a second unlink is a no-op");
        let c = list.push_back(3);
        assert_eq!(line(&list), [a, c]);
        assert_eq!(list.pop_front(), Some(a));
        assert_eq!(list.pop_front(), Some(c));
        assert_eq!(list.pop_front(), None);
        for key in [a, b, c] {
            assert!(!list.remove(key).1);
        }
    }

    #[test]
    fn steady_state_allocates_no_new_slots() {
        let mut list = WaitList::new();
        for round in 0..100 {
            let keys: Vec<_> = (0..4).map(|i| list.push_back(round * 4 + i)).collect();
            for key in keys {
                list.pop_front();
                list.remove(key);
            }
        }
        assert_eq!(list.capacity(), 4);
    }

    #[test]
    fn a_key_and_its_option_are_one_word_or_less() {
        assert_eq!(std::mem::size_of::<Option<Key>>(), 4);
    }
}
