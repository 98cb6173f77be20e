//! In-memory byte streams with unbounded buffering: Trio's `memory_stream_one_way_pair` and
//! `memory_stream_pair`.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use bytes::{Bytes, BytesMut};

use crate::context::is_cancelled;
use crate::streams::byte::ZERO_MAX_BYTES;
use crate::streams::claim::{Claim, Direction};
use crate::streams::{
    AsyncClose, ByteReceiveStream, ByteSendStream, StapledByteStream, StreamError,
};
use crate::wait::{register, Acquire};

/// The message of a receive into an empty buffer.
pub(super) const EMPTY_BUFFER: &str =
    "buf must hold at least 1 byte: a receive of 0 bytes could never complete";

/// What the two ends of a one-way memory stream share.
#[derive(Debug, Default)]
struct Pipe {
    state: Mutex<PipeState>,
    sending: Direction,
    receiving: Direction,
}

#[derive(Debug, Default)]
struct PipeState {
    /// Sent and not yet received.
    data: BytesMut,
    sender_closed: bool,
    receiver_closed: bool,
    /// The receive waiting for data; one at most, since a second one is `Busy`.
    receiver: Option<Waker>,
}

impl Pipe {
    fn lock(&self) -> MutexGuard<'_, PipeState> {
        self.state.acquire()
    }

    /// Takes at most `max_bytes`, or parks the receive until something happens.
    fn poll_take(
        &self,
        cx: &mut Context<'_>,
        max_bytes: usize,
    ) -> Poll<Result<Bytes, StreamError>> {
        let mut state = self.lock();
        if state.receiver_closed {
            return Poll::Ready(Err(StreamError::Closed));
        }
        if !state.data.is_empty() {
            let n = max_bytes.min(state.data.len());
            return Poll::Ready(Ok(state.data.split_to(n).freeze()));
        }
        if state.sender_closed {
            return Poll::Ready(Err(StreamError::EndOfStream));
        }
        register(&mut state.receiver, cx.waker());
        Poll::Pending
    }

    fn close_sender(&self) {
        let waiting = {
            let mut state = self.lock();
            state.sender_closed = true;
            state.receiver.take()
        };
        // The waiting receive takes what is left, then sees the end of the stream.
        if let Some(waker) = waiting {
            waker.wake();
        }
    }

    fn close_receiver(&self) {
        let waiting = {
            let mut state = self.lock();
            state.receiver_closed = true;
            state.data = BytesMut::new();
            state.receiver.take()
        };
        if let Some(waker) = waiting {
            waker.wake();
        }
    }
}

/// The sending end of a one-way in-memory byte stream made by [`memory_stream_one_way_pair`].
///
/// A send never waits: the bytes go into an unbounded buffer that the
/// [`MemoryReceiveStream`] drains. Closing it (or dropping it) ends the stream once the
/// receiver has taken what was sent.
///
/// # Examples
///
/// ```
/// use anyio::streams::{ByteReceiveStream, ByteSendStream};
/// use anyio::testing::memory_stream_one_way_pair;
///
/// # anyio::run(async {
/// let (tx, rx) = memory_stream_one_way_pair();
/// tx.send(b"hello").await.unwrap();
/// assert_eq!(&rx.receive(10).await.unwrap()[..], b"hello");
/// # }).unwrap();
/// ```
pub struct MemorySendStream {
    pipe: Arc<Pipe>,
}

/// The receiving end of a one-way in-memory byte stream made by
/// [`memory_stream_one_way_pair`].
///
/// A receive takes what was sent, up to `max_bytes`, waiting while there is nothing. After
/// the sender closed it takes what is left, then ends with [`StreamError::EndOfStream`].
/// Closing it (or dropping it) discards what was not received; the sender's later sends fail
/// with [`StreamError::Broken`].
///
/// # Examples
///
/// ```
/// use anyio::streams::{AsyncClose, ByteReceiveStream, ByteSendStream};
/// use anyio::testing::memory_stream_one_way_pair;
///
/// # anyio::run(async {
/// let (tx, rx) = memory_stream_one_way_pair();
/// tx.send(b"bye").await.unwrap();
/// tx.close().await;
/// assert_eq!(&rx.receive(10).await.unwrap()[..], b"bye");
/// assert!(rx.receive(10).await.unwrap_err().is_end_of_stream());
/// # }).unwrap();
/// ```
pub struct MemoryReceiveStream {
    pipe: Arc<Pipe>,
}

/// A two-way in-memory byte stream: one end of [`memory_stream_pair`].
///
/// [`send_eof`](crate::streams::ByteStream::send_eof) closes the sending half, as for any
/// [`StapledByteStream`].
pub type MemoryStream = StapledByteStream<MemorySendStream, MemoryReceiveStream>;

/// A connected one-way in-memory byte stream with unbounded buffering: bytes sent on the
/// first end are received on the second. Trio's `memory_stream_one_way_pair`.
///
/// Both ends are anyio checkpoints in every operation but `close`; a second concurrent
/// receive fails with [`StreamError::Busy`].
///
/// # Examples
///
/// ```
/// use anyio::streams::{AsyncClose, ByteSendStream, StreamError};
/// use anyio::testing::memory_stream_one_way_pair;
///
/// # anyio::run(async {
/// let (tx, rx) = memory_stream_one_way_pair();
/// rx.close().await;
/// assert!(matches!(tx.send(b"lost").await, Err(StreamError::Broken(_))));
/// # }).unwrap();
/// ```
pub fn memory_stream_one_way_pair() -> (MemorySendStream, MemoryReceiveStream) {
    let pipe = Arc::new(Pipe::default());
    (
        MemorySendStream { pipe: pipe.clone() },
        MemoryReceiveStream { pipe },
    )
}

/// A connected two-way in-memory byte stream with unbounded buffering in both directions,
/// like a socket pair without the operating system. Trio's `memory_stream_pair`.
///
/// Each end is a [`StapledByteStream`] of a [`MemorySendStream`] and a
/// [`MemoryReceiveStream`] made by [`memory_stream_one_way_pair`].
///
/// # Examples
///
/// ```
/// use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream};
/// use anyio::testing::memory_stream_pair;
///
/// # anyio::run(async {
/// let (left, right) = memory_stream_pair();
/// left.send(b"123").await.unwrap();
/// right.send(b"abc").await.unwrap();
/// assert_eq!(&right.receive(10).await.unwrap()[..], b"123");
/// assert_eq!(&left.receive(10).await.unwrap()[..], b"abc");
/// left.send_eof().await.unwrap();
/// assert!(right.receive(10).await.unwrap_err().is_end_of_stream());
/// # }).unwrap();
/// ```
pub fn memory_stream_pair() -> (MemoryStream, MemoryStream) {
    let (left_tx, right_rx) = memory_stream_one_way_pair();
    let (right_tx, left_rx) = memory_stream_one_way_pair();
    (
        StapledByteStream::new(left_tx, left_rx),
        StapledByteStream::new(right_tx, right_rx),
    )
}

/// The checks every operation but `close` starts with, on each poll: cancellation first (so a
/// cancelled operation claims and takes nothing), then, on the first poll, the argument and
/// the claim of the direction (one task at a time).
pub(super) fn start<'a>(
    direction: &'a Direction,
    claim: &mut Option<Claim<'a>>,
    invalid: Option<&'static str>,
) -> Poll<Result<(), StreamError>> {
    if is_cancelled() {
        return Poll::Pending;
    }
    if claim.is_none() {
        if let Some(message) = invalid {
            return Poll::Ready(Err(StreamError::invalid_argument(message)));
        }
        *claim = Some(direction.claim()?);
    }
    Poll::Ready(Ok(()))
}

/// The error of a send whose receiver is gone.
pub(super) fn broken(message: &'static str) -> StreamError {
    StreamError::Broken(io::Error::new(io::ErrorKind::BrokenPipe, message))
}

impl MemoryReceiveStream {
    async fn take(&self, max_bytes: usize, invalid: &'static str) -> Result<Bytes, StreamError> {
        let invalid = (max_bytes == 0).then_some(invalid);
        let mut claim = None;
        poll_fn(|cx| {
            ready!(start(&self.pipe.receiving, &mut claim, invalid))?;
            self.pipe.poll_take(cx, max_bytes)
        })
        .await
    }
}

impl ByteReceiveStream for MemoryReceiveStream {
    async fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> Result<usize, StreamError> {
        let chunk = self.take(buf.len(), EMPTY_BUFFER).await?;
        buf[..chunk.len()].copy_from_slice(&chunk);
        Ok(chunk.len())
    }

    fn receive(&self, max_bytes: usize) -> impl Future<Output = Result<Bytes, StreamError>> + Send {
        self.take(max_bytes, ZERO_MAX_BYTES)
    }
}

impl ByteSendStream for MemorySendStream {
    async fn send<'a>(&'a self, data: &'a [u8]) -> Result<(), StreamError> {
        let mut claim = None;
        poll_fn(|_| {
            ready!(start(&self.pipe.sending, &mut claim, None))?;
            let waiting = {
                let mut state = self.pipe.lock();
                if state.sender_closed {
                    return Poll::Ready(Err(StreamError::Closed));
                }
                if state.receiver_closed {
                    return Poll::Ready(Err(broken("the memory receive stream was closed")));
                }
                state.data.extend_from_slice(data);
                state.receiver.take()
            };
            if let Some(waker) = waiting {
                waker.wake();
            }
            Poll::Ready(Ok(()))
        })
        .await
    }
}

impl AsyncClose for MemorySendStream {
    /// Ends the stream: the receiver takes what was sent, then sees the end. Closes at once,
    /// also in a cancelled scope.
    async fn close(&self) {
        self.pipe.close_sender();
    }
}

impl AsyncClose for MemoryReceiveStream {
    /// Discards what was not received and wakes a waiting receive with `Closed`. Closes at
    /// once, also in a cancelled scope.
    async fn close(&self) {
        self.pipe.close_receiver();
    }
}

impl Drop for MemorySendStream {
    fn drop(&mut self) {
        self.pipe.close_sender();
    }
}

impl Drop for MemoryReceiveStream {
    fn drop(&mut self) {
        self.pipe.close_receiver();
    }
}

impl fmt::Debug for MemorySendStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pipe.lock();
        f.debug_struct("MemorySendStream")
            .field("buffered", &state.data.len())
            .field("closed", &state.sender_closed)
            .finish()
    }
}

impl fmt::Debug for MemoryReceiveStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.pipe.lock();
        f.debug_struct("MemoryReceiveStream")
            .field("buffered", &state.data.len())
            .field("closed", &state.receiver_closed)
            .finish()
    }
}
