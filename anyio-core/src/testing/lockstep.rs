//! In-memory byte streams with no buffering at all: Trio's `lockstep_stream_one_way_pair` and
//! `lockstep_stream_pair`.

use std::fmt;
use std::future::{poll_fn, Future};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use bytes::{Bytes, BytesMut};

use super::memory::{broken, start, EMPTY_BUFFER};
use crate::streams::byte::ZERO_MAX_BYTES;
use crate::streams::claim::Direction;
use crate::streams::{
    AsyncClose, ByteReceiveStream, ByteSendStream, StapledByteStream, StreamError,
};
use crate::wait::{register, Acquire};

/// What the two ends of a one-way lockstep stream share.
#[derive(Debug, Default)]
struct Lockstep {
    state: Mutex<LockstepState>,
    sending: Direction,
    receiving: Direction,
}

#[derive(Debug, Default)]
struct LockstepState {
    /// What the send in progress offers and no receive has taken yet.
    data: BytesMut,
    sender_closed: bool,
    receiver_closed: bool,
    sender: Option<Waker>,
    receiver: Option<Waker>,
}

impl Lockstep {
    fn lock(&self) -> MutexGuard<'_, LockstepState> {
        self.state.acquire()
    }

    /// Closes one end, and both waiting operations react. A sender's close withdraws the data
    /// on offer; a receiver's close leaves it, so the waiting send sees that bytes were not
    /// taken and fails with `Broken`, where one whose bytes were all taken succeeds.
    fn close(&self, close: impl FnOnce(&mut LockstepState)) {
        let (sender, receiver) = {
            let mut state = self.lock();
            close(&mut state);
            if state.sender_closed {
                state.data = BytesMut::new();
            }
            (state.sender.take(), state.receiver.take())
        };
        sender.into_iter().chain(receiver).for_each(Waker::wake);
    }

    fn poll_take(
        &self,
        cx: &mut Context<'_>,
        max_bytes: usize,
    ) -> Poll<Result<Bytes, StreamError>> {
        let (chunk, sender) = {
            let mut state = self.lock();
            if state.receiver_closed {
                return Poll::Ready(Err(StreamError::Closed));
            }
            if state.data.is_empty() {
                if state.sender_closed {
                    return Poll::Ready(Err(StreamError::EndOfStream));
                }
                register(&mut state.receiver, cx.waker());
                return Poll::Pending;
            }
            let n = max_bytes.min(state.data.len());
            (state.data.split_to(n).freeze(), state.sender.take())
        };
        // The sender finishes once everything it offered was taken.
        if let Some(waker) = sender {
            waker.wake();
        }
        Poll::Ready(Ok(chunk))
    }
}

/// The sending end of a one-way lockstep stream made by [`lockstep_stream_one_way_pair`].
///
/// A send offers its bytes and waits until receives have taken all of them: nothing is
/// buffered, so a send with no receiver waits forever. That makes it a "clogged" stream for
/// the checkers. A send that is cancelled (or dropped) withdraws what was not taken yet.
///
/// # Examples
///
/// ```
/// use anyio::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio::testing::lockstep_stream_one_way_pair;
///
/// # anyio::run(async {
/// let (tx, rx) = lockstep_stream_one_way_pair();
/// let (sent, received) = futures_util::join!(tx.send(b"step"), rx.receive(10));
/// sent.unwrap();
/// assert_eq!(&received.unwrap()[..], b"step");
/// # }).unwrap();
/// ```
pub struct LockstepSendStream {
    lockstep: Arc<Lockstep>,
}

/// The receiving end of a one-way lockstep stream made by [`lockstep_stream_one_way_pair`].
///
/// A receive takes up to `max_bytes` of what a waiting send offers, waiting for a send while
/// there is none; after the sender closed it ends with [`StreamError::EndOfStream`]. Closing
/// it (or dropping it) makes the waiting and later sends fail with [`StreamError::Broken`].
///
/// # Examples
///
/// ```
/// use anyio::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, StreamError};
/// use anyio::testing::lockstep_stream_one_way_pair;
///
/// # anyio::run(async {
/// let (tx, rx) = lockstep_stream_one_way_pair();
/// rx.close().await;
/// assert!(matches!(tx.send(b"never taken").await, Err(StreamError::Broken(_))));
/// # }).unwrap();
/// ```
pub struct LockstepReceiveStream {
    lockstep: Arc<Lockstep>,
}

/// A two-way lockstep stream: one end of [`lockstep_stream_pair`].
///
/// [`send_eof`](crate::streams::ByteStream::send_eof) closes the sending half, as for any
/// [`StapledByteStream`].
pub type LockstepStream = StapledByteStream<LockstepSendStream, LockstepReceiveStream>;

/// A connected one-way byte stream in which data flows in lockstep: each send waits until
/// receives have taken all of its bytes. Trio's `lockstep_stream_one_way_pair`.
///
/// Good for testing flow control in the extreme case, and as the "clogged" stream maker of
/// the [checkers](super): a send on it waits until someone receives.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use anyio::streams::ByteSendStream;
/// use anyio::testing::lockstep_stream_one_way_pair;
///
/// # anyio::run(async {
/// let (tx, _rx) = lockstep_stream_one_way_pair();
/// // Nobody receives, so the send waits.
/// assert!(anyio::move_on_after(Duration::from_millis(10), tx.send(b"x")).await.is_none());
/// # }).unwrap();
/// ```
pub fn lockstep_stream_one_way_pair() -> (LockstepSendStream, LockstepReceiveStream) {
    let lockstep = Arc::new(Lockstep::default());
    (
        LockstepSendStream {
            lockstep: lockstep.clone(),
        },
        LockstepReceiveStream { lockstep },
    )
}

/// A connected two-way lockstep stream: two [`lockstep_stream_one_way_pair`]s stapled into
/// [`StapledByteStream`]s. Trio's `lockstep_stream_pair`.
///
/// # Examples
///
/// ```
/// use anyio::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio::testing::lockstep_stream_pair;
///
/// # anyio::run(async {
/// let (left, right) = lockstep_stream_pair();
/// let (sent, received) = futures_util::join!(left.send(b"ping"), right.receive(10));
/// sent.unwrap();
/// assert_eq!(&received.unwrap()[..], b"ping");
/// # }).unwrap();
/// ```
pub fn lockstep_stream_pair() -> (LockstepStream, LockstepStream) {
    let (left_tx, right_rx) = lockstep_stream_one_way_pair();
    let (right_tx, left_rx) = lockstep_stream_one_way_pair();
    (
        StapledByteStream::new(left_tx, left_rx),
        StapledByteStream::new(right_tx, right_rx),
    )
}

/// Withdraws the bytes a send offered and no receive took, when the send ends early.
struct Offer<'a> {
    lockstep: &'a Lockstep,
    pending: bool,
}

impl Drop for Offer<'_> {
    fn drop(&mut self) {
        if self.pending {
            self.lockstep.lock().data.clear();
        }
    }
}

impl ByteSendStream for LockstepSendStream {
    async fn send<'a>(&'a self, data: &'a [u8]) -> Result<(), StreamError> {
        let lockstep = &*self.lockstep;
        let mut claim = None;
        let mut offer = Offer {
            lockstep,
            pending: false,
        };
        poll_fn(|cx| {
            ready!(start(&lockstep.sending, &mut claim, None))?;
            let mut state = lockstep.lock();
            if state.sender_closed {
                offer.pending = false;
                return Poll::Ready(Err(StreamError::Closed));
            }
            if !offer.pending {
                if state.receiver_closed {
                    return Poll::Ready(Err(broken("the lockstep receive stream was closed")));
                }
                if data.is_empty() {
                    return Poll::Ready(Ok(()));
                }
                state.data.extend_from_slice(data);
                offer.pending = true;
                let receiver = state.receiver.take();
                register(&mut state.sender, cx.waker());
                drop(state);
                if let Some(waker) = receiver {
                    waker.wake();
                }
                return Poll::Pending;
            }
            if state.data.is_empty() {
                offer.pending = false;
                return Poll::Ready(Ok(()));
            }
            if state.receiver_closed {
                // Dropping the offer withdraws the bytes nobody took.
                return Poll::Ready(Err(broken("the lockstep receive stream was closed")));
            }
            register(&mut state.sender, cx.waker());
            Poll::Pending
        })
        .await
    }
}

impl LockstepReceiveStream {
    async fn take(&self, max_bytes: usize, invalid: &'static str) -> Result<Bytes, StreamError> {
        let invalid = (max_bytes == 0).then_some(invalid);
        let mut claim = None;
        poll_fn(|cx| {
            ready!(start(&self.lockstep.receiving, &mut claim, invalid))?;
            self.lockstep.poll_take(cx, max_bytes)
        })
        .await
    }
}

impl ByteReceiveStream for LockstepReceiveStream {
    async fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> Result<usize, StreamError> {
        let chunk = self.take(buf.len(), EMPTY_BUFFER).await?;
        buf[..chunk.len()].copy_from_slice(&chunk);
        Ok(chunk.len())
    }

    fn receive(&self, max_bytes: usize) -> impl Future<Output = Result<Bytes, StreamError>> + Send {
        self.take(max_bytes, ZERO_MAX_BYTES)
    }
}

impl AsyncClose for LockstepSendStream {
    /// Withdraws the bytes on offer; a waiting send fails with `Closed`, the receiver sees the
    /// end of the stream. Closes at once, also in a cancelled scope.
    async fn close(&self) {
        self.lockstep.close(|state| state.sender_closed = true);
    }
}

impl AsyncClose for LockstepReceiveStream {
    /// A waiting receive fails with `Closed`, a waiting send with `Broken`. Closes at once,
    /// also in a cancelled scope.
    async fn close(&self) {
        self.lockstep.close(|state| state.receiver_closed = true);
    }
}

impl Drop for LockstepSendStream {
    fn drop(&mut self) {
        self.lockstep.close(|state| state.sender_closed = true);
    }
}

impl Drop for LockstepReceiveStream {
    fn drop(&mut self) {
        self.lockstep.close(|state| state.receiver_closed = true);
    }
}

impl fmt::Debug for LockstepSendStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lockstep.lock();
        f.debug_struct("LockstepSendStream")
            .field("offered", &state.data.len())
            .field("closed", &state.sender_closed)
            .finish()
    }
}

impl fmt::Debug for LockstepReceiveStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lockstep.lock();
        f.debug_struct("LockstepReceiveStream")
            .field("closed", &state.receiver_closed)
            .finish()
    }
}
