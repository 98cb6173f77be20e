//! The state machine every clone of both ends shares, behind one lock.
//!
//! It knows nothing of futures: each operation takes the caller's waker and a [`WakeList`] to
//! fill, and is a plain method on [`State`], so a loom model can drive it directly.
//!
//! # The model
//!
//! Delivered items wait in the `buffer`, and receivers always take its front, so items are
//! received in exactly the order they were delivered. A send that finds room (and nobody
//! already waiting to send) delivers its item at once; otherwise its item waits in its own
//! slot in the sender queue, still owned by the send.
//!
//! **Room is handed over with the item.** When room appears (a receive took an item, a
//! receiver started waiting, a `try_receive` found the buffer empty), the front queued
//! sender's item moves into the buffer at once and the sender is woken to report success, as
//! AnyIO's streams do: so a `try_receive` takes a waiting sender's item, and `statistics()`
//! shows the hand-over at once. A send whose item was handed over completed, also when its
//! scope is cancelled right after (it reports success; DESIGN.md's delivery rule), and a send
//! future dropped after that point had delivered its item. Queued items are delivered in FIFO
//! order.
//!
//! **Receivers never hold items.** "Room" counts the capacity plus one place per waiting
//! receiver, so a send that finds a receiver waiting delivers at once, even at capacity 0:
//! the item is *handed* to that receiver. Handing never moves the item into the receiver's
//! future (which could be dropped with it): the item stays in the buffer and the receiver's
//! slot is marked `Reserved`, counted in `reserved`. The receiver takes the front item when it
//! next runs, in the same poll that returns it. A reserved receiver that is dropped or closed
//! gives its reservation to the next waiting receiver, or leaves the item in the buffer for
//! whoever receives next.
//!
//! Invariants between operations:
//! - `reserved <= buffer.len()`: every reservation is backed by a buffered item;
//! - after [`State::dispatch`], no receiver waits while an unreserved item is buffered, and no
//!   sender waits while there is room;
//! - an unreserved receiver takes an item only if `buffer.len() > reserved`, so nobody
//!   overtakes the receivers already handed one; a new send delivers directly only when no
//!   sender is queued, so it never overtakes one.

use std::collections::VecDeque;
use std::mem;
use std::task::{Poll, Waker};

use super::error::{ReceiveError, SendError, TryReceiveError, TrySendError};
use super::statistics::MemoryObjectStreamStatistics;
use crate::loom::Mutex;
use crate::wait::{register, Acquire, Key, WaitList, WakeList};

/// Identifies one handle (one clone of one end), so closing it finds its own waiters.
pub(crate) type HandleId = u64;

/// The capacity of an unbounded stream.
pub(crate) const UNBOUNDED: usize = usize::MAX;

/// The lock around the state; operations wake their wakers after releasing it.
#[derive(Debug)]
pub(crate) struct Shared<T> {
    state: Mutex<State<T>>,
}

impl<T> Shared<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State::new(capacity)),
        }
    }

    /// Runs `f` under the lock, then wakes what it collected. Whatever `f` returns is dropped
    /// by the caller, after the lock is released (items may have arbitrary `Drop` code).
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State<T>, &mut WakeList) -> R) -> R {
        let mut wakes = WakeList::new();
        let result = {
            let mut state = self.state.acquire();
            f(&mut state, &mut wakes)
        };
        if wakes.is_empty() {
            return result;
        }
        wakes.wake_all();
        result
    }
}

#[derive(Debug)]
enum Slot<T> {
    /// Linked in the sender queue, waiting for room.
    Queued(T),
    /// Handed over into the buffer; not linked.
    Delivered,
    /// Withdrawn because its handle was closed; the item goes back to the sender.
    Closed(T),
    /// Withdrawn because every receiver is gone; the item goes back to the sender.
    Broken(T),
}

#[derive(Debug)]
struct SendWaiter<T> {
    slot: Slot<T>,
    waker: Option<Waker>,
    owner: HandleId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Linked in the receiver queue.
    Waiting,
    /// Handed an item (one buffered item is set aside for it) and woken; not linked.
    Reserved,
    /// Its handle was closed; not linked.
    Closed,
}

#[derive(Debug)]
struct ReceiveWaiter {
    status: Status,
    waker: Option<Waker>,
    owner: HandleId,
}

/// Everything the clones of both ends share.
///
/// `repr(C)` keeps what every send and receive reads (the buffer, the counters, the queue
/// heads) in the first cache lines, next to the lock word, and the rarely used slabs last.
#[derive(Debug)]
#[repr(C)]
pub(crate) struct State<T> {
    buffer: VecDeque<T>,
    capacity: usize,
    /// Receivers handed an item they have not taken yet (one buffered item each).
    reserved: usize,
    open_senders: usize,
    open_receivers: usize,
    senders: WaitList<SendWaiter<T>>,
    receivers: WaitList<ReceiveWaiter>,
    next_handle: HandleId,
}

impl<T> State<T> {
    /// A stream with one open sender and one open receiver (handles 0 and 1).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            buffer: VecDeque::new(),
            capacity,
            senders: WaitList::new(),
            receivers: WaitList::new(),
            reserved: 0,
            open_senders: 1,
            open_receivers: 1,
            next_handle: 2,
        }
    }

    /// A new sender handle's id; it counts as open when `open`.
    pub(crate) fn add_sender(&mut self, open: bool) -> HandleId {
        self.open_senders += usize::from(open);
        self.new_handle()
    }

    /// A new receiver handle's id; it counts as open when `open`.
    pub(crate) fn add_receiver(&mut self, open: bool) -> HandleId {
        self.open_receivers += usize::from(open);
        self.new_handle()
    }

    fn new_handle(&mut self) -> HandleId {
        let id = self.next_handle;
        self.next_handle += 1;
        id
    }

    /// Whether one more item may enter the buffer: fewer unreserved items than the capacity
    /// plus the receivers waiting for one.
    fn has_room(&self) -> bool {
        self.buffer.len() - self.reserved < self.capacity.saturating_add(self.receivers.len())
    }

    /// Whether a new send may deliver at once: room, and nobody waiting to send before it.
    fn may_send_now(&self) -> bool {
        self.senders.is_empty() && self.has_room()
    }

    /// Restores the invariants: hands buffered items to waiting receivers, and grants room to
    /// the front queued sender.
    #[inline]
    fn dispatch(&mut self, wakes: &mut WakeList) {
        if self.receivers.is_empty() && self.senders.is_empty() {
            return; // the common case: nobody waits
        }
        self.dispatch_waiters(wakes);
    }

    fn dispatch_waiters(&mut self, wakes: &mut WakeList) {
        loop {
            if self.buffer.len() > self.reserved {
                if let Some(key) = self.receivers.pop_front() {
                    let waiter = self.receivers.get_mut(key);
                    waiter.status = Status::Reserved;
                    wakes.push(waiter.waker.take());
                    self.reserved += 1;
                    continue;
                }
            }
            if !self.senders.is_empty() && self.has_room() {
                self.grant_front(wakes);
                continue;
            }
            return;
        }
    }

    /// Hands room to the front queued sender (the caller checked there is one): its item
    /// moves into the buffer, and it is woken to report success.
    fn grant_front(&mut self, wakes: &mut WakeList) {
        let key = self
            .senders
            .pop_front()
            .expect("callers check that a sender is queued");
        let waiter = self.senders.get_mut(key);
        wakes.push(waiter.waker.take());
        let Slot::Queued(item) = mem::replace(&mut waiter.slot, Slot::Delivered) else {
            unreachable!("only queued sends are linked");
        };
        self.buffer.push_back(item);
    }

    /// Takes the front item; the caller checked `buffer.len() > reserved` (after giving up its
    /// own reservation, if it had one).
    #[inline]
    fn take(&mut self, wakes: &mut WakeList) -> T {
        let item = self
            .buffer
            .pop_front()
            .expect("callers check that an item is buffered");
        self.dispatch(wakes);
        self.wake_receivers_if_ended(wakes);
        item
    }

    /// Once no sender is left and nothing is buffered, every waiting receiver gets
    /// `EndOfStream`.
    #[inline]
    fn wake_receivers_if_ended(&mut self, wakes: &mut WakeList) {
        if !self.is_ended() || self.receivers.is_empty() {
            return;
        }
        let mut cursor = self.receivers.front();
        while let Some(key) = cursor {
            cursor = self.receivers.next(key);
            wakes.push(self.receivers.get_mut(key).waker.take());
        }
    }

    /// Sends without waiting.
    pub(crate) fn try_send(
        &mut self,
        closed: bool,
        item: T,
        wakes: &mut WakeList,
    ) -> Result<(), TrySendError<T>> {
        if closed {
            return Err(TrySendError::Closed(item));
        }
        if self.open_receivers == 0 {
            return Err(TrySendError::Broken(item));
        }
        if !self.may_send_now() {
            return Err(TrySendError::WouldBlock(item));
        }
        self.buffer.push_back(item);
        self.dispatch(wakes);
        Ok(())
    }

    /// Starts a send: `Ok(None)` if delivered at once, `Ok(Some(key))` if the item now waits in
    /// a queued slot (poll it with [`poll_send`](Self::poll_send), drop it with
    /// [`cancel_send`](Self::cancel_send)).
    pub(crate) fn start_send(
        &mut self,
        owner: HandleId,
        closed: bool,
        item: T,
        waker: Option<&Waker>,
        wakes: &mut WakeList,
    ) -> Result<Option<Key>, SendError<T>> {
        match self.try_send(closed, item, wakes) {
            Ok(()) => Ok(None),
            Err(TrySendError::Closed(item)) => Err(SendError::Closed(item)),
            Err(TrySendError::Broken(item)) => Err(SendError::Broken(item)),
            Err(TrySendError::WouldBlock(item)) => {
                let key = self.senders.push_back(SendWaiter {
                    slot: Slot::Queued(item),
                    waker: waker.cloned(),
                    owner,
                });
                Ok(Some(key))
            }
        }
    }

    /// Polls a queued send: a granted one delivers its item now. When ready, the slot is
    /// freed.
    pub(crate) fn poll_send(
        &mut self,
        key: Key,
        waker: Option<&Waker>,
    ) -> Poll<Result<(), SendError<T>>> {
        let waiter = self.senders.get_mut(key);
        if let Slot::Queued(_) = waiter.slot {
            if let Some(waker) = waker {
                register(&mut waiter.waker, waker);
            }
            return Poll::Pending;
        }
        Poll::Ready(match self.senders.remove(key).0.slot {
            Slot::Delivered => Ok(()),
            Slot::Closed(item) => Err(SendError::Closed(item)),
            Slot::Broken(item) => Err(SendError::Broken(item)),
            Slot::Queued(_) => unreachable!("handled above"),
        })
    }

    /// Frees a send's slot; returns its item if it was not delivered (withdrawn).
    pub(crate) fn cancel_send(&mut self, key: Key) -> Option<T> {
        match self.senders.remove(key).0.slot {
            Slot::Queued(item) | Slot::Closed(item) | Slot::Broken(item) => Some(item),
            Slot::Delivered => None,
        }
    }

    /// Receives without waiting. With no item ready but a sender waiting, takes that sender's
    /// item (room beyond the capacity, handed over at once), so that a receiver that only ever
    /// tries, at capacity 0, gets what is offered, as in AnyIO.
    pub(crate) fn try_receive(
        &mut self,
        closed: bool,
        wakes: &mut WakeList,
    ) -> Result<T, TryReceiveError> {
        if closed {
            return Err(TryReceiveError::Closed);
        }
        if self.buffer.len() <= self.reserved && !self.senders.is_empty() {
            self.grant_front(wakes);
        }
        if self.buffer.len() > self.reserved {
            return Ok(self.take(wakes));
        }
        if self.is_ended() {
            return Err(TryReceiveError::EndOfStream);
        }
        Err(TryReceiveError::WouldBlock)
    }

    /// Whether a waiting send has finished (its item handed over, or handed back), so that its
    /// poll returns even in a cancelled scope.
    pub(crate) fn send_settled(&self, key: Key) -> bool {
        !matches!(self.senders.get(key).slot, Slot::Queued(_))
    }

    /// Whether a waiting receive was handed an item (or its handle closed), so that its poll
    /// returns even in a cancelled scope.
    pub(crate) fn receive_settled(&self, key: Key) -> bool {
        self.receivers.get(key).status != Status::Waiting
    }

    /// Polls a receive whose waiter slot (if any) is `*slot`; frees the slot when ready.
    pub(crate) fn poll_receive(
        &mut self,
        slot: &mut Option<Key>,
        owner: HandleId,
        closed: bool,
        waker: &Waker,
        wakes: &mut WakeList,
    ) -> Poll<Result<T, ReceiveError>> {
        let status = slot.map(|key| self.receivers.get(key).status);
        if closed || status == Some(Status::Closed) {
            if let Some(key) = slot.take() {
                self.cancel_receive(key, wakes);
            }
            return Poll::Ready(Err(ReceiveError::Closed));
        }
        let reserved = status == Some(Status::Reserved);
        if reserved || self.buffer.len() > self.reserved {
            // Leave the queue (or give up the reservation) before taking, so that the
            // dispatch inside `take` cannot hand this receiver a second item.
            if let Some(key) = slot.take() {
                self.receivers.remove(key);
                self.reserved -= usize::from(reserved);
            }
            return Poll::Ready(Ok(self.take(wakes)));
        }
        if self.is_ended() {
            if let Some(key) = slot.take() {
                self.cancel_receive(key, wakes);
            }
            return Poll::Ready(Err(ReceiveError::EndOfStream));
        }
        match *slot {
            Some(key) => register(&mut self.receivers.get_mut(key).waker, waker),
            None => {
                let key = self.receivers.push_back(ReceiveWaiter {
                    status: Status::Waiting,
                    waker: None,
                    owner,
                });
                // A waiting receiver is room for one more item: a queued sender's item is
                // handed over, to this receiver, which takes it now.
                self.dispatch(wakes);
                if self.receivers.get(key).status == Status::Reserved {
                    self.receivers.remove(key);
                    self.reserved -= 1;
                    return Poll::Ready(Ok(self.take(wakes)));
                }
                self.receivers.get_mut(key).waker = Some(waker.clone());
                *slot = Some(key);
            }
        }
        Poll::Pending
    }

    /// Frees a receive's slot; a reservation it held passes to the next waiting receiver (or
    /// its item stays first in line).
    pub(crate) fn cancel_receive(&mut self, key: Key, wakes: &mut WakeList) {
        if self.receivers.remove(key).0.status == Status::Reserved {
            self.reserved -= 1;
            self.dispatch(wakes);
        }
    }

    /// Closes sender handle `owner`: its waiting sends are withdrawn (they resolve to `Closed`
    /// with their item), and when it was the last sender, drained receivers see the end.
    pub(crate) fn close_sender(&mut self, owner: HandleId, wakes: &mut WakeList) {
        self.open_senders -= 1;
        self.senders.unlink_where(|_, waiter| {
            if waiter.owner != owner {
                return false;
            }
            let item = match mem::replace(&mut waiter.slot, Slot::Delivered) {
                Slot::Queued(item) => item,
                settled => {
                    waiter.slot = settled;
                    return false;
                }
            };
            waiter.slot = Slot::Closed(item);
            wakes.push(waiter.waker.take());
            true
        });
        self.dispatch(wakes);
        self.wake_receivers_if_ended(wakes);
    }

    /// Closes receiver handle `owner`: its waiting receives resolve to `Closed` and its
    /// reservations pass on. When it was the last receiver, waiting sends resolve to `Broken`
    /// with their item and the buffered items are returned, for the caller to drop after
    /// releasing the lock.
    pub(crate) fn close_receiver(&mut self, owner: HandleId, wakes: &mut WakeList) -> VecDeque<T> {
        self.open_receivers -= 1;
        let reserved = &mut self.reserved;
        self.receivers.unlink_where(|_, waiter| {
            let mine = waiter.owner == owner && waiter.status != Status::Closed;
            if mine {
                *reserved -= usize::from(waiter.status == Status::Reserved);
                waiter.status = Status::Closed;
                wakes.push(waiter.waker.take());
            }
            mine
        });
        if self.open_receivers > 0 {
            self.dispatch(wakes);
            return VecDeque::new();
        }
        debug_assert_eq!(self.reserved, 0, "every receiver is closed");
        self.senders.unlink_where(|_, waiter| {
            let item = match mem::replace(&mut waiter.slot, Slot::Delivered) {
                Slot::Queued(item) => item,
                settled => {
                    waiter.slot = settled;
                    return false;
                }
            };
            waiter.slot = Slot::Broken(item);
            wakes.push(waiter.waker.take());
            true
        });
        mem::take(&mut self.buffer)
    }

    /// Whether a receive can never succeed again: no sender left and nothing buffered.
    pub(crate) fn is_ended(&self) -> bool {
        self.open_senders == 0 && self.buffer.is_empty()
    }

    pub(crate) fn statistics(&self) -> MemoryObjectStreamStatistics {
        MemoryObjectStreamStatistics {
            current_buffer_used: self.buffer.len() - self.reserved,
            max_buffer_size: (self.capacity != UNBOUNDED).then_some(self.capacity),
            open_send_streams: self.open_senders,
            open_receive_streams: self.open_receivers,
            tasks_waiting_send: self.senders.len(),
            tasks_waiting_receive: self.receivers.len(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
