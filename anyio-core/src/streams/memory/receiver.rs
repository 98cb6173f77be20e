//! The receiving end: [`MemoryObjectReceiver`], its [`Receive`] future and its `Stream`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::{FusedStream, Stream};

use super::error::{ReceiveError, TryReceiveError};
use super::scope_probe::ScopeProbe;
use super::state::{HandleId, Shared};
use super::statistics::MemoryObjectStreamStatistics;
use crate::loom::atomic::{AtomicBool, Ordering};
use crate::loom::Arc;
use crate::time::is_cancelled;
use crate::wait::Key;

/// The receiving end of a memory object stream; clone it for more receivers.
///
/// Every clone is a handle of its own: [`close`](Self::close) (or dropping it) closes that
/// handle only. Once every receiver handle is closed or dropped, sends fail with
/// [`SendError::Broken`](super::SendError::Broken) (handing the item back) and the items
/// still buffered are dropped.
///
/// It is `Send + Sync` when `T: Send`, so it can be shared by tasks and OS threads; the
/// [`try_receive`](Self::try_receive) twin works from synchronous code.
///
/// It also implements [`Stream`], ending (`None`) at the end of the stream or when this handle
/// is closed; like [`receive`](Self::receive), `poll_next` never loses an item.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u32>(4);
/// for i in 0..3 {
///     tx.send(i).await.unwrap();
/// }
/// drop(tx);
/// let mut received = Vec::new();
/// while let Ok(i) = rx.receive().await {
///     received.push(i);
/// }
/// assert_eq!(received, [0, 1, 2]);
/// # }).unwrap();
/// ```
///
/// Through the `Stream` combinators of `futures-util`:
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
/// use futures_util::StreamExt;
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u32>(4);
/// for i in 1..=3 {
///     tx.try_send(i).unwrap();
/// }
/// drop(tx);
/// let doubled: Vec<u32> = rx.map(|i| i * 2).collect().await;
/// assert_eq!(doubled, [2, 4, 6]);
/// # }).unwrap();
/// ```
pub struct MemoryObjectReceiver<T> {
    shared: Arc<Shared<T>>,
    id: HandleId,
    /// Written under the lock, so reading it under the lock is exact.
    closed: AtomicBool,
    /// The `Stream`'s waiter slot while `poll_next` waits.
    stream: Option<Key>,
}

impl<T> MemoryObjectReceiver<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>, id: HandleId) -> Self {
        Self {
            shared,
            id,
            closed: AtomicBool::new(false),
            stream: None,
        }
    }

    /// Receives the next item, waiting until one is sent. Waiting receives are served in FIFO
    /// order: an item sent while receives wait is handed to the one that has waited longest
    /// (receives handed items at the same moment take them in the order they run, so items
    /// are always received in the order they entered the stream).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// # anyio::run(async {
    /// let (tx, rx) = create_memory_object_stream::<u32>(0);
    /// anyio::task_group(|tg| async move {
    ///     tg.spawn(async move {
    ///         tx.send(42).await.unwrap();
    ///         Ok(())
    ///     })?;
    ///     assert_eq!(rx.receive().await.unwrap(), 42);
    ///     Ok::<_, anyio::BoxError>(())
    /// })
    /// .await
    /// .unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`ReceiveError::EndOfStream`] once every sender is closed or dropped and every item
    /// sent has been received; [`ReceiveError::Closed`] when this handle is closed (also while
    /// waiting).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe and lossless: an item is only ever taken out of the stream in the same
    /// poll that returns it, never stored in the [`Receive`] future. An item handed to a
    /// waiting receive stays in the stream, set aside for it, until that receive runs; it then
    /// returns the item even if its scope was cancelled after the hand-over (the delivery rule:
    /// the item is delivered, not put back), and its code runs on to its next checkpoint. A
    /// receive whose scope is cancelled while it waits is passed over: items go to the next
    /// receiver in line, or stay in the buffer. A receive dropped by other means after the
    /// hand-over (a `select!`, another library's timeout) passes the item to the next waiting
    /// receive, or leaves it first in line for the next one to come: dropping a receive never
    /// loses or reorders items. As an anyio checkpoint it never completes inside a cancelled
    /// scope unless it was handed an item first.
    pub fn receive(&self) -> Receive<'_, T> {
        Receive {
            receiver: self,
            slot: None,
        }
    }

    /// Receives the next item if one is ready (and not already handed to a waiting receive):
    /// a buffered one, or else the item of a waiting send, which then completes (at capacity
    /// 0 that is the only way an item is ready). Not a checkpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::{create_memory_object_stream, TryReceiveError};
    ///
    /// let (tx, rx) = create_memory_object_stream::<u32>(1);
    /// assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_receive(), Ok(1));
    /// drop(tx);
    /// assert_eq!(rx.try_receive(), Err(TryReceiveError::EndOfStream));
    /// ```
    ///
    /// # Errors
    ///
    /// [`TryReceiveError::WouldBlock`] when no item is ready, [`TryReceiveError::EndOfStream`]
    /// once every sender is gone and everything was received, [`TryReceiveError::Closed`] when
    /// this handle is closed.
    pub fn try_receive(&self) -> Result<T, TryReceiveError> {
        self.shared
            .with(|state, wakes| state.try_receive(self.is_closed_locked(), wakes))
    }

    /// Closes this handle (not its clones): its waiting receives resolve to
    /// [`ReceiveError::Closed`] (an item handed to one of them goes to the next waiting
    /// receive), and further receives through it fail the same way. When it was the last open
    /// receiver, waiting sends resolve to [`SendError::Broken`](super::SendError::Broken) with
    /// their item, and the items still buffered are dropped. Closing twice does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::{create_memory_object_stream, ReceiveError, SendError};
    ///
    /// # anyio::run(async {
    /// let (tx, rx) = create_memory_object_stream::<u32>(1);
    /// rx.close();
    /// assert_eq!(rx.receive().await, Err(ReceiveError::Closed));
    /// assert_eq!(tx.send(1).await, Err(SendError::Broken(1)));
    /// # }).unwrap();
    /// ```
    pub fn close(&self) {
        let dropped = self.shared.with(|state, wakes| {
            if self.closed.swap(true, Ordering::Relaxed) {
                Default::default()
            } else {
                state.close_receiver(self.id, wakes)
            }
        });
        drop(dropped);
    }

    /// Whether this handle was closed with [`close`](Self::close).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// let (_tx, rx) = create_memory_object_stream::<u32>(1);
    /// let rx2 = rx.clone();
    /// rx.close();
    /// assert!(rx.is_closed());
    /// assert!(!rx2.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// A snapshot of the stream (shared by every clone of both ends).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_unbounded_memory_object_stream;
    ///
    /// let (tx, rx) = create_unbounded_memory_object_stream::<u32>();
    /// tx.try_send(1).unwrap();
    /// let stats = rx.statistics();
    /// assert_eq!(stats.current_buffer_used, 1);
    /// assert_eq!(stats.max_buffer_size, None);
    /// ```
    pub fn statistics(&self) -> MemoryObjectStreamStatistics {
        self.shared.with(|state, _| state.statistics())
    }

    fn is_closed_locked(&self) -> bool {
        // Under the lock that `close` writes it under: exact.
        self.closed.load(Ordering::Relaxed)
    }

    /// Polls a receive with waiter slot `slot`. In a `cancelled` scope only a receive that was
    /// already handed an item completes.
    fn poll_slot(
        &self,
        slot: &mut Option<Key>,
        cancelled: bool,
        waker: &Waker,
    ) -> Poll<Result<T, ReceiveError>> {
        if cancelled && slot.is_none() {
            return Poll::Pending; // nothing can have been handed to it
        }
        self.shared.with(|state, wakes| {
            // A receive that was not queued reads its scope again under the lock a send takes:
            // another thread's cancel and send, in that order, are seen in that order.
            let cancelled = cancelled || (slot.is_none() && is_cancelled());
            if cancelled && slot.is_none() {
                return Poll::Pending;
            }
            let closed = self.is_closed_locked();
            let scope = ScopeProbe::current;
            state.poll_receive(slot, self.id, closed, cancelled, waker, scope, wakes)
        })
    }

    fn cancel_slot(&self, key: Key) {
        self.shared
            .with(|state, wakes| state.cancel_receive(key, wakes));
    }
}

impl<T> Clone for MemoryObjectReceiver<T> {
    /// Another receiver handle on the same stream, open unless this one is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// let (_tx, rx) = create_memory_object_stream::<u32>(1);
    /// let rx2 = rx.clone();
    /// assert_eq!(rx.statistics().open_receive_streams, 2);
    /// drop(rx2);
    /// assert_eq!(rx.statistics().open_receive_streams, 1);
    /// ```
    fn clone(&self) -> Self {
        let (id, open) = self.shared.with(|state, _| {
            let open = !self.is_closed_locked();
            (state.add_receiver(open), open)
        });
        let clone = Self::new(self.shared.clone(), id);
        clone.closed.store(!open, Ordering::Relaxed);
        clone
    }
}

impl<T> Drop for MemoryObjectReceiver<T> {
    fn drop(&mut self) {
        let dropped = self.shared.with(|state, wakes| {
            if let Some(key) = self.stream.take() {
                state.cancel_receive(key, wakes);
            }
            if self.closed.swap(true, Ordering::Relaxed) {
                Default::default()
            } else {
                state.close_receiver(self.id, wakes)
            }
        });
        drop(dropped);
    }
}

impl<T> fmt::Debug for MemoryObjectReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryObjectReceiver")
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl<T> Stream for MemoryObjectReceiver<T> {
    type Item = T;

    /// The next item; `None` at the end of the stream or once this handle is closed. An anyio
    /// checkpoint; lossless like [`receive`](MemoryObjectReceiver::receive).
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let mut slot = this.stream.take();
        let poll = this.poll_slot(&mut slot, is_cancelled(), cx.waker());
        this.stream = slot;
        poll.map(Result::ok)
    }
}

impl<T> FusedStream for MemoryObjectReceiver<T> {
    /// Whether `poll_next` can only return `None` from now on.
    fn is_terminated(&self) -> bool {
        self.shared
            .with(|state, _| self.is_closed_locked() || state.is_ended())
    }
}

/// The future returned by [`MemoryObjectReceiver::receive`]: resolves to the next item, or to
/// a [`ReceiveError`].
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, Receive};
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u32>(1);
/// tx.try_send(5).unwrap();
/// let receive: Receive<'_, u32> = rx.receive();
/// assert_eq!(receive.await, Ok(5));
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe and lossless: it never holds an item (see [`MemoryObjectReceiver::receive`]).
/// An item handed to it while it waits stays in the stream until it runs, and it returns that
/// item even in a scope cancelled after the hand-over; dropped by other means before it runs,
/// it passes the item to the next waiting receive (or leaves it first in line). Inside a
/// cancelled scope it completes only if it was handed an item before the cancellation reached
/// it.
#[must_use = "futures do nothing unless polled"]
pub struct Receive<'a, T> {
    receiver: &'a MemoryObjectReceiver<T>,
    slot: Option<Key>,
}

impl<T> Future for Receive<'_, T> {
    type Output = Result<T, ReceiveError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.receiver
            .poll_slot(&mut this.slot, is_cancelled(), cx.waker())
    }
}

impl<T> Drop for Receive<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.slot.take() {
            self.receiver.cancel_slot(key);
        }
    }
}

impl<T> fmt::Debug for Receive<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receive")
            .field("waiting", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}
