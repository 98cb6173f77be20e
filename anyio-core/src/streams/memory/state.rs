//! The state machine every clone of both ends shares, behind one lock.
//!
//! It knows nothing of futures: each operation takes the caller's waker and a [`WakeList`] to
//! fill, and is a plain method on [`State`], so a loom model can drive it directly.
//!
//! # The model
//!
//! Delivered items wait in the `buffer`, and receivers always take its front, so items are
//! received in exactly the order they were delivered. A send that finds room (and nobody
//! ready to send before it) delivers its item at once; otherwise its item waits in its own
//! slot in the sender queue.
//!
//! **A waiting send is handed room with its item, as AnyIO's are.** When room appears (a
//! receive took an item, a receiver started waiting), the front queued sender's item moves
//! into the buffer at once and the sender is woken to report success: the send has completed.
//! A `try_receive` that finds nothing buffered takes a waiting sender's item the same way, and
//! [`State::statistics`] shows every hand-over the moment it happens. A send whose item was
//! handed over reports success even if its scope is cancelled before it runs (the delivery
//! rule: it completed before the cancellation reached it); a send future dropped by other
//! means after that point has delivered its item.
//!
//! **Receivers never hold items.** "Room" counts the capacity plus the receivers waiting for
//! an item, so a send that finds a receiver waiting delivers at once, even at capacity 0: the
//! item is *handed* to that receiver. Handing never moves the item into the receiver's future
//! (which could be dropped with it): the item stays in the buffer and the receiver's slot is
//! marked `Reserved`, counted in `reserved`. The receiver takes the front item when it next
//! runs, in the same poll that returns it, also if its scope was cancelled after the hand-over.
//! A reserved receiver dropped by other means, or closed, gives its reservation to the next
//! waiting receiver, or leaves the item in the buffer for whoever receives next.
//!
//! **Hand-overs skip cancelled waiters.** Each waiter carries a [`ScopeProbe`] of the scope it
//! waits in. A waiter whose scope is cancelled will never get past its checkpoint, so it is
//! neither handed an item nor counted as room (AnyIO's `test_cancel_during_receive_buffered`),
//! and its queued item is not taken: it stays where it is until its scope drops it. A waiter
//! is *ready* when its scope is not cancelled. A scope's cancellation can also be lifted (a
//! shield switched on), and that wakes the waiter: its next poll finds the room or the item
//! that passed it by, so nothing waits while it could proceed.
//!
//! Invariants between operations, with "ready" read at the time of the last change:
//! - `reserved <= buffer.len()`: every reservation is backed by a buffered item;
//! - after [`State::dispatch`], no ready receiver waits while an unreserved item is buffered,
//!   and no ready sender waits while there is room;
//! - an unreserved receiver takes an item only if `buffer.len() > reserved`, so nobody
//!   overtakes the receivers already handed one; a new send delivers directly only when no
//!   ready sender is queued, so it never overtakes one.

use std::collections::VecDeque;
use std::mem;
use std::task::{Poll, Waker};

use super::error::{ReceiveError, SendError, TryReceiveError, TrySendError};
use super::scope_probe::ScopeProbe;
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
    scope: ScopeProbe,
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
    scope: ScopeProbe,
}

/// A waiter that a hand-over may pick: one whose scope is not cancelled.
trait Ready {
    fn is_ready(&self) -> bool;
}

impl<T> Ready for SendWaiter<T> {
    #[inline]
    fn is_ready(&self) -> bool {
        !self.scope.is_cancelled()
    }
}

impl Ready for ReceiveWaiter {
    #[inline]
    fn is_ready(&self) -> bool {
        !self.scope.is_cancelled()
    }
}

/// The first ready waiter in `list`'s queue; usually the front, cancelled waiters are few and
/// leave soon.
#[inline]
fn first_ready<S: Ready>(list: &WaitList<S>) -> Option<Key> {
    let mut cursor = list.front();
    while let Some(key) = cursor {
        if list.get(key).is_ready() {
            return Some(key);
        }
        cursor = list.next(key);
    }
    None
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

    /// Buffered items not handed to a receiver yet.
    #[inline]
    fn unreserved(&self) -> usize {
        self.buffer.len() - self.reserved
    }

    /// Whether one more item may enter the buffer: fewer unreserved items than the capacity,
    /// or (with none unreserved, as after every dispatch while receivers wait) a ready
    /// receiver waiting for one.
    #[inline]
    fn has_room(&self) -> bool {
        let unreserved = self.unreserved();
        unreserved < self.capacity
            || (unreserved == 0
                && !self.receivers.is_empty()
                && first_ready(&self.receivers).is_some())
    }

    /// Whether a new send may deliver at once: room, and no ready sender waiting before it.
    #[inline]
    fn may_send_now(&self) -> bool {
        self.has_room() && (self.senders.is_empty() || first_ready(&self.senders).is_none())
    }

    /// Restores the invariants: hands buffered items to ready waiting receivers, and room to
    /// ready queued senders.
    #[inline]
    fn dispatch(&mut self, wakes: &mut WakeList) {
        if self.receivers.is_empty() && self.senders.is_empty() {
            return; // the common case: nobody waits
        }
        self.dispatch_waiters(wakes);
    }

    fn dispatch_waiters(&mut self, wakes: &mut WakeList) {
        loop {
            if self.unreserved() > 0 && !self.receivers.is_empty() {
                if let Some(key) = first_ready(&self.receivers) {
                    self.reserve(key, wakes);
                    continue;
                }
            }
            if !self.senders.is_empty() && self.has_room() {
                if let Some(key) = first_ready(&self.senders) {
                    self.hand_over(key, wakes);
                    continue;
                }
            }
            return;
        }
    }

    /// Hands waiting receiver `key` one of the buffered items (the caller checked there is an
    /// unreserved one) and wakes it.
    fn reserve(&mut self, key: Key, wakes: &mut WakeList) {
        self.receivers.unlink(key);
        let waiter = self.receivers.get_mut(key);
        waiter.status = Status::Reserved;
        wakes.push(waiter.waker.take());
        self.reserved += 1;
    }

    /// Moves queued sender `key`'s item into the buffer and wakes it to report success.
    fn hand_over(&mut self, key: Key, wakes: &mut WakeList) {
        self.senders.unlink(key);
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

    /// Whether [`take_unreserved`](Self::take_unreserved) would find an item.
    #[inline]
    fn can_take_unreserved(&self) -> bool {
        self.unreserved() > 0 || (!self.senders.is_empty() && first_ready(&self.senders).is_some())
    }

    /// Takes an item for a receiver that is not waiting in the queue: a buffered one not
    /// handed to anyone, else the item of the first ready queued sender (beyond the capacity
    /// for a moment: it leaves at once), which then completes.
    #[inline]
    fn take_unreserved(&mut self, wakes: &mut WakeList) -> Option<T> {
        if self.unreserved() == 0 {
            if self.senders.is_empty() {
                return None;
            }
            let key = first_ready(&self.senders)?;
            self.hand_over(key, wakes);
        }
        Some(self.take(wakes))
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
    #[inline]
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
    /// [`cancel_send`](Self::cancel_send)). `scope` is asked for the send's scope only if it
    /// has to wait.
    pub(crate) fn start_send(
        &mut self,
        owner: HandleId,
        closed: bool,
        item: T,
        waker: Option<&Waker>,
        scope: impl FnOnce() -> ScopeProbe,
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
                    scope: scope(),
                });
                Ok(Some(key))
            }
        }
    }

    /// Polls a queued send. A send whose item was handed over is ready even when `cancelled`
    /// (it completed first); otherwise a cancelled poll changes nothing. `scope` gives the
    /// scope of the poll, if the send still waits. When ready, the slot is freed.
    pub(crate) fn poll_send(
        &mut self,
        key: Key,
        cancelled: bool,
        waker: Option<&Waker>,
        scope: impl FnOnce() -> ScopeProbe,
        wakes: &mut WakeList,
    ) -> Poll<Result<(), SendError<T>>> {
        let waiter = self.senders.get_mut(key);
        match waiter.slot {
            Slot::Delivered => {}
            _ if cancelled => return Poll::Pending,
            Slot::Queued(_) => {
                if let Some(waker) = waker {
                    register(&mut waiter.waker, waker);
                }
                waiter.scope.update(scope);
                // Room that appeared while this send's scope was cancelled passed it by; the
                // cancellation has been lifted since (or it would not be polled here).
                if !self.has_room() {
                    return Poll::Pending;
                }
                self.dispatch(wakes);
                if let Slot::Queued(_) = self.senders.get(key).slot {
                    return Poll::Pending;
                }
            }
            Slot::Closed(_) | Slot::Broken(_) => {}
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

    /// Receives without waiting: a buffered item not handed to a waiting receive, or else a
    /// ready waiting sender's item, whose send then completes.
    pub(crate) fn try_receive(
        &mut self,
        closed: bool,
        wakes: &mut WakeList,
    ) -> Result<T, TryReceiveError> {
        if closed {
            return Err(TryReceiveError::Closed);
        }
        if let Some(item) = self.take_unreserved(wakes) {
            return Ok(item);
        }
        if self.is_ended() {
            return Err(TryReceiveError::EndOfStream);
        }
        Err(TryReceiveError::WouldBlock)
    }

    /// Polls a receive whose waiter slot (if any) is `*slot`; frees the slot when ready. A
    /// receive that was handed an item takes it even when `cancelled` (it completed first);
    /// otherwise a cancelled poll changes nothing. `scope` is asked for the scope of the poll
    /// only if the receive has to wait.
    #[allow(clippy::too_many_arguments)] // the plain inputs of one step, for the loom models
    pub(crate) fn poll_receive(
        &mut self,
        slot: &mut Option<Key>,
        owner: HandleId,
        closed: bool,
        cancelled: bool,
        waker: &Waker,
        scope: impl FnOnce() -> ScopeProbe,
        wakes: &mut WakeList,
    ) -> Poll<Result<T, ReceiveError>> {
        let status = slot.map(|key| self.receivers.get(key).status);
        if status == Some(Status::Reserved) {
            // Give up the reservation before taking, so that the dispatch inside `take` cannot
            // hand this receiver a second item.
            self.receivers
                .remove(slot.take().expect("a reserved receive has a slot"));
            self.reserved -= 1;
            return Poll::Ready(Ok(self.take(wakes)));
        }
        if cancelled {
            return Poll::Pending;
        }
        if closed || status == Some(Status::Closed) {
            if let Some(key) = slot.take() {
                self.cancel_receive(key, wakes);
            }
            return Poll::Ready(Err(ReceiveError::Closed));
        }
        // Not reserved: by the invariants, nothing unreserved is buffered and no ready sender
        // waits unless no ready receiver waits ahead of this one (or this receive's scope was
        // cancelled a moment ago, and items passed it by), so it overtakes nobody.
        if self.can_take_unreserved() {
            // Leave the queue before taking, so that the dispatch inside `take` cannot hand
            // this receiver a second item.
            if let Some(key) = slot.take() {
                self.receivers.remove(key);
            }
            let item = self.take_unreserved(wakes);
            return Poll::Ready(Ok(item.expect("checked by `can_take_unreserved`")));
        }
        if self.is_ended() {
            if let Some(key) = slot.take() {
                self.cancel_receive(key, wakes);
            }
            return Poll::Ready(Err(ReceiveError::EndOfStream));
        }
        match *slot {
            Some(key) => {
                let waiter = self.receivers.get_mut(key);
                register(&mut waiter.waker, waker);
                waiter.scope.update(scope);
            }
            None => {
                // A waiting receiver is room for one more item, but a ready sender queued for
                // room would have been handed its item just above: nothing to dispatch.
                *slot = Some(self.receivers.push_back(ReceiveWaiter {
                    status: Status::Waiting,
                    waker: Some(waker.clone()),
                    owner,
                    scope: scope(),
                }));
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
            current_buffer_used: self.unreserved(),
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
