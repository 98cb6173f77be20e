//! The sending end: [`MemoryObjectSender`], its [`Send`] future and its `Sink`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_sink::Sink;

use super::error::{SendError, TrySendError};
use super::scope_probe::ScopeProbe;
use super::state::{HandleId, Shared};
use super::statistics::MemoryObjectStreamStatistics;
use crate::loom::atomic::{AtomicBool, Ordering};
use crate::loom::Arc;
use crate::time::is_cancelled;
use crate::wait::Key;

/// The sending end of a memory object stream; clone it for more senders.
///
/// Every clone is a handle of its own: [`close`](Self::close) (or dropping it) closes that
/// handle only. Receivers see the end of the stream once every sender handle is closed or
/// dropped and they have received everything sent.
///
/// It is `Send + Sync` when `T: Send`, so it can be shared by tasks and OS threads; the
/// [`try_send`](Self::try_send) twin works from synchronous code.
///
/// It also implements [`Sink`]: `poll_ready` waits until the item started before has been
/// delivered (there was room for it), `start_send` enqueues an item (into the buffer when
/// there is room, otherwise as a waiting send, delivered as soon as room appears, without
/// waiting to be polled), `poll_flush` waits for that item to be delivered, and `poll_close`
/// flushes, then closes this handle. An item started but not yet delivered when the handle is
/// closed comes back as [`SendError::Closed`] from the next `poll_ready`/`poll_flush`; one
/// still undelivered when the handle is dropped is withdrawn (never delivered) and dropped.
/// The inherent [`send`](Self::send) and [`close`](Self::close) take precedence over
/// `SinkExt`'s methods of the same names: call those as `SinkExt::send(&mut tx, item)`.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<&str>(1);
/// let tx2 = tx.clone();
/// tx.send("from tx").await.unwrap();
/// drop(tx);
/// assert_eq!(rx.receive().await.unwrap(), "from tx");
/// tx2.try_send("from tx2").unwrap();
/// assert_eq!(rx.receive().await.unwrap(), "from tx2");
/// # }).unwrap();
/// ```
///
/// Through the `Sink` combinators of `futures-util`:
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
/// use futures_util::{stream, SinkExt, StreamExt};
///
/// # anyio::run(async {
/// let (mut tx, rx) = create_memory_object_stream::<u32>(4);
/// tx.send_all(&mut stream::iter([1, 2, 3]).map(Ok)).await.unwrap();
/// SinkExt::close(&mut tx).await.unwrap();
/// assert_eq!(rx.collect::<Vec<_>>().await, [1, 2, 3]);
/// # }).unwrap();
/// ```
pub struct MemoryObjectSender<T> {
    shared: Arc<Shared<T>>,
    id: HandleId,
    /// Written under the lock, so reading it under the lock is exact.
    closed: AtomicBool,
    /// The `Sink` item in flight, waiting for room.
    sink: Option<Key>,
}

impl<T> MemoryObjectSender<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>, id: HandleId) -> Self {
        Self {
            shared,
            id,
            closed: AtomicBool::new(false),
            sink: None,
        }
    }

    /// Sends `item`, waiting for room in the buffer (or, at capacity 0, for a receiver to take
    /// it). Waiting sends are served in FIFO order; a send never overtakes one already waiting.
    ///
    /// A send that has to wait keeps its item in the stream's queue, and completes the moment
    /// its item is handed over: when room appears, or, at capacity 0, when a receiver asks for
    /// an item (a waiting [`receive`](super::MemoryObjectReceiver::receive), or a
    /// [`try_receive`](super::MemoryObjectReceiver::try_receive), which takes the item at
    /// once). A send whose scope is cancelled while it waits is passed over: its item is not
    /// taken.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// # anyio::run(async {
    /// let (tx, rx) = create_memory_object_stream::<u32>(1);
    /// tx.send(1).await.unwrap();
    /// assert_eq!(rx.receive().await.unwrap(), 1);
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Hands the item back in [`SendError::Broken`] when every receiver is closed or dropped
    /// (also while waiting), and in [`SendError::Closed`] when this handle is closed (also
    /// while waiting).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe and lossless. As an anyio checkpoint, a send in a cancelled scope delivers
    /// nothing and never completes, so the scope drops it, withdrawing its item; so does any
    /// other drop of a [`Send`] future whose item still waits in the queue: no receiver ever
    /// sees the item, it is dropped with the future, and retrying the send duplicates nothing.
    ///
    /// Once its item has been handed over the send has completed: it returns `Ok(())` even if
    /// its scope is cancelled before it runs again (the delivery rule: an operation that
    /// completed before the cancellation reached it keeps its result), and its code runs on
    /// to its next checkpoint. **A `Send` future dropped by other means after the hand-over (a
    /// `select!` that picked another branch, another library's timeout) has delivered its
    /// item**, though it never reported so: the item is received, or dropped with the last
    /// receiver. Code that must know whether the item went out drops sends only through cancel
    /// scopes, or uses [`try_send`](Self::try_send).
    pub fn send(&self, item: T) -> Send<'_, T> {
        Send {
            sender: self,
            op: Op::Start(item),
        }
    }

    /// Sends `item` if that needs no waiting: there is room in the buffer (or a receiver is
    /// waiting, and the item is handed to it at once) and no other send is already waiting.
    /// Not a checkpoint.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::{create_memory_object_stream, TrySendError};
    ///
    /// let (tx, rx) = create_memory_object_stream::<u32>(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::WouldBlock(2)));
    /// assert_eq!(rx.try_receive(), Ok(1));
    /// ```
    ///
    /// # Errors
    ///
    /// Hands the item back in [`TrySendError::WouldBlock`] when it would have to wait, in
    /// [`TrySendError::Broken`] when every receiver is closed or dropped, and in
    /// [`TrySendError::Closed`] when this handle is closed.
    pub fn try_send(&self, item: T) -> Result<(), TrySendError<T>> {
        self.shared
            .with(|state, wakes| state.try_send(self.is_closed_locked(), item, wakes))
    }

    /// Closes this handle (not its clones): its waiting sends resolve to
    /// [`SendError::Closed`] with their item, and further sends through it fail the same way.
    /// When it was the last open sender, receivers get [`ReceiveError::EndOfStream`] once
    /// they have received every item already sent. Closing twice does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::{create_memory_object_stream, ReceiveError, SendError};
    ///
    /// # anyio::run(async {
    /// let (tx, rx) = create_memory_object_stream::<u32>(1);
    /// tx.send(1).await.unwrap();
    /// tx.close();
    /// assert_eq!(tx.send(2).await, Err(SendError::Closed(2)));
    /// assert_eq!(rx.receive().await, Ok(1));
    /// assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
    /// # }).unwrap();
    /// ```
    ///
    /// [`ReceiveError::EndOfStream`]: super::ReceiveError::EndOfStream
    pub fn close(&self) {
        self.shared.with(|state, wakes| {
            if !self.closed.swap(true, Ordering::Relaxed) {
                state.close_sender(self.id, wakes);
            }
        });
    }

    /// Whether this handle was closed with [`close`](Self::close) (or by a `Sink` close).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// let (tx, _rx) = create_memory_object_stream::<u32>(1);
    /// let tx2 = tx.clone();
    /// tx.close();
    /// assert!(tx.is_closed());
    /// assert!(!tx2.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// A snapshot of the stream (shared by every clone of both ends).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// let (tx, _rx) = create_memory_object_stream::<u32>(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.statistics().current_buffer_used, 1);
    /// assert_eq!(tx.statistics().max_buffer_size, Some(2));
    /// ```
    pub fn statistics(&self) -> MemoryObjectStreamStatistics {
        self.shared.with(|state, _| state.statistics())
    }

    fn is_closed_locked(&self) -> bool {
        // Under the lock that `close` writes it under: exact.
        self.closed.load(Ordering::Relaxed)
    }

    /// Drives a send future: starts it, or polls its queued slot. In a `cancelled` scope only
    /// a send whose item was already handed over completes.
    fn poll_op(
        &self,
        op: &mut Op<T>,
        cancelled: bool,
        waker: &Waker,
    ) -> Poll<Result<(), SendError<T>>> {
        match std::mem::replace(op, Op::Done) {
            Op::Start(item) if cancelled => {
                *op = Op::Start(item);
                Poll::Pending
            }
            Op::Start(item) => {
                let started = self.shared.with(|state, wakes| {
                    // Read again under the lock a receive that makes room takes: another
                    // thread's cancel and receive, in that order, are seen in that order.
                    if is_cancelled() {
                        return Err(item);
                    }
                    let closed = self.is_closed_locked();
                    let scope = ScopeProbe::current;
                    Ok(state.start_send(self.id, closed, item, Some(waker), scope, wakes))
                });
                match started {
                    Err(item) => {
                        *op = Op::Start(item);
                        Poll::Pending
                    }
                    Ok(Ok(Some(key))) => {
                        *op = Op::Queued(key);
                        Poll::Pending
                    }
                    Ok(Ok(None)) => Poll::Ready(Ok(())),
                    Ok(Err(error)) => Poll::Ready(Err(error)),
                }
            }
            Op::Queued(key) => {
                let poll = self.shared.with(|state, wakes| {
                    state.poll_send(key, cancelled, Some(waker), ScopeProbe::current, wakes)
                });
                if poll.is_pending() {
                    *op = Op::Queued(key);
                }
                poll
            }
            Op::Done => Poll::Ready(Ok(())),
        }
    }

    /// Withdraws a queued send; the item is dropped after the lock is released.
    fn cancel_op(&self, key: Key) {
        drop(self.shared.with(|state, _| state.cancel_send(key)));
    }

    /// The `Sink`'s item in flight, polled until delivered.
    fn poll_sink(&mut self, waker: &Waker) -> Poll<Result<(), SendError<T>>> {
        let Some(key) = self.sink else {
            return Poll::Ready(Ok(()));
        };
        let poll = self.shared.with(|state, wakes| {
            state.poll_send(key, false, Some(waker), || ScopeProbe::Unscoped, wakes)
        });
        if poll.is_ready() {
            self.sink = None;
        }
        poll
    }
}

impl<T> Clone for MemoryObjectSender<T> {
    /// Another sender handle on the same stream, open unless this one is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// let (tx, _rx) = create_memory_object_stream::<u32>(1);
    /// let tx2 = tx.clone();
    /// assert_eq!(tx.statistics().open_send_streams, 2);
    /// drop(tx2);
    /// assert_eq!(tx.statistics().open_send_streams, 1);
    /// ```
    fn clone(&self) -> Self {
        let (id, open) = self.shared.with(|state, _| {
            let open = !self.is_closed_locked();
            (state.add_sender(open), open)
        });
        let clone = Self::new(self.shared.clone(), id);
        clone.closed.store(!open, Ordering::Relaxed);
        clone
    }
}

impl<T> Drop for MemoryObjectSender<T> {
    fn drop(&mut self) {
        let withdrawn = self.shared.with(|state, wakes| {
            let withdrawn = self.sink.take().and_then(|key| state.cancel_send(key));
            if !self.closed.swap(true, Ordering::Relaxed) {
                state.close_sender(self.id, wakes);
            }
            withdrawn
        });
        drop(withdrawn);
    }
}

impl<T> fmt::Debug for MemoryObjectSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryObjectSender")
            .field("closed", &self.is_closed())
            .field("sink_item_in_flight", &self.sink.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Sink<T> for MemoryObjectSender<T> {
    type Error = SendError<T>;

    /// Waits until the item started before (if any) has been delivered. An anyio checkpoint.
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if is_cancelled() {
            return Poll::Pending;
        }
        self.get_mut().poll_sink(cx.waker())
    }

    /// Enqueues `item`: into the buffer when there is room, else as a waiting send that
    /// `poll_ready`/`poll_flush` wait on.
    ///
    /// # Panics
    ///
    /// When called while an item is still in flight, i.e. without `poll_ready` having returned
    /// `Ready(Ok(()))` first (a breach of the `Sink` contract).
    fn start_send(self: Pin<&mut Self>, item: T) -> Result<(), Self::Error> {
        let this = self.get_mut();
        assert!(
            this.sink.is_none(),
            "`Sink::start_send` called on a MemoryObjectSender whose previous item is still in \
             flight; call `poll_ready` until it is ready first"
        );
        this.sink = this.shared.with(|state, wakes| {
            let closed = this.is_closed_locked();
            // Nothing can cancel an item in flight: it is handed over as soon as there is room.
            let scope = || ScopeProbe::Unscoped;
            state.start_send(this.id, closed, item, None, scope, wakes)
        })?;
        Ok(())
    }

    /// Waits until the item in flight (if any) has been delivered. An anyio checkpoint.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if is_cancelled() {
            return Poll::Pending;
        }
        self.get_mut().poll_sink(cx.waker())
    }

    /// Flushes, then closes this handle. An anyio checkpoint.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if is_cancelled() {
            return Poll::Pending;
        }
        let this = self.get_mut();
        match this.poll_sink(cx.waker()) {
            Poll::Ready(Ok(())) => {
                this.close();
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

/// Where a send is: holding its item, queued in the stream, or finished.
enum Op<T> {
    Start(T),
    Queued(Key),
    Done,
}

/// The future returned by [`MemoryObjectSender::send`]: resolves once the item is delivered,
/// or hands it back in a [`SendError`].
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, Send};
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u32>(1);
/// let send: Send<'_, u32> = tx.send(1);
/// send.await.unwrap();
/// assert_eq!(rx.try_receive(), Ok(1));
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe and lossless: see [`MemoryObjectSender::send`]. Dropped while its item waits in
/// the queue, it withdraws the item (no receiver ever sees it); dropped after its item was
/// handed over, the item was delivered. Inside a cancelled scope it completes only if its item
/// was handed over before the cancellation reached it.
#[must_use = "futures do nothing unless polled"]
pub struct Send<'a, T> {
    sender: &'a MemoryObjectSender<T>,
    op: Op<T>,
}

// The item is moved in and out, never pinned.
impl<T> Unpin for Send<'_, T> {}

impl<T> Future for Send<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.sender
            .poll_op(&mut this.op, is_cancelled(), cx.waker())
    }
}

impl<T> Drop for Send<'_, T> {
    fn drop(&mut self) {
        if let Op::Queued(key) = self.op {
            self.sender.cancel_op(key);
        }
    }
}

impl<T> fmt::Debug for Send<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.op {
            Op::Start(_) => "not started",
            Op::Queued(_) => "waiting for room",
            Op::Done => "done",
        };
        f.debug_struct("Send")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
