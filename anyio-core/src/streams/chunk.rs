//! A byte stream over an object stream of byte chunks, such as a memory object stream of
//! [`Bytes`].

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;

use super::byte::ZERO_MAX_BYTES;
use super::claim::Direction;
use super::memory::{ReceiveError, SendError};
use super::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, StapledObjectStream, StreamError,
};
use crate::time::checkpoint;
use crate::wait::Acquire;

/// Turns an object stream of [`Bytes`] chunks into a byte stream, so the byte-stream
/// wrappers ([`BufferedByteReceiveStream`](super::BufferedByteReceiveStream),
/// [`TextStream`](super::TextStream)) and anything written against
/// [`ByteReceiveStream`]/[`ByteSendStream`] work over a channel of chunks.
///
/// A receive returns at most `max_bytes` of the next chunk and keeps the rest for the next
/// receive; empty chunks are skipped. A send sends its bytes as one chunk (an empty send sends
/// nothing). One task at a time receives and one sends: a second concurrent receive or send
/// fails with [`Busy`](StreamError::Busy), as on any byte stream. Over a [`StapledObjectStream`] it is a [`ByteStream`], whose `send_eof` closes
/// the send half. The object stream's errors map onto [`StreamError`]: its clean end is
/// [`EndOfStream`](StreamError::EndOfStream), our own close is
/// [`Closed`](StreamError::Closed), and a send nobody can receive is
/// [`Broken`](StreamError::Broken).
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
/// use anyio::streams::{BufferedByteReceiveStream, Bytes, ChunkStream};
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<Bytes>(2);
/// tx.send(Bytes::from_static(b"abcd")).await.unwrap();
/// tx.send(Bytes::from_static(b"efgh")).await.unwrap();
/// let buffered = BufferedByteReceiveStream::new(ChunkStream::new(rx));
/// assert_eq!(&buffered.receive_exactly(8).await.unwrap()[..], b"abcdefgh");
/// # }).unwrap();
/// ```
pub struct ChunkStream<S> {
    inner: S,
    /// The part of the last chunk that did not fit in the receive that took it.
    rest: std::sync::Mutex<Bytes>,
    receiving: Direction,
    sending: Direction,
    /// Closed through this wrapper: what is left of a chunk is not returned any more, and an
    /// empty send, which sends nothing below, still reports the close.
    closed: AtomicBool,
}

impl<S> ChunkStream<S> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    /// use anyio::streams::{Bytes, ChunkStream};
    ///
    /// let (_tx, rx) = create_memory_object_stream::<Bytes>(1);
    /// let stream = ChunkStream::new(rx);
    /// assert!(stream.rest().is_empty());
    /// ```
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            rest: std::sync::Mutex::new(Bytes::new()),
            receiving: Direction::default(),
            sending: Direction::default(),
            closed: AtomicBool::new(false),
        }
    }

    /// The wrapped object stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::ChunkStream;
    ///
    /// assert_eq!(*ChunkStream::new(3).get_ref(), 3);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// What is left of the last chunk received, to be returned by the next receive.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::ChunkStream;
    ///
    /// assert!(ChunkStream::new(()).rest().is_empty());
    /// ```
    pub fn rest(&self) -> Bytes {
        self.rest.acquire().clone()
    }

    /// The wrapped stream and what is left of the last chunk.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::ChunkStream;
    ///
    /// let (inner, rest) = ChunkStream::new("chunks").into_parts();
    /// assert_eq!((inner, rest.len()), ("chunks", 0));
    /// ```
    pub fn into_parts(self) -> (S, Bytes) {
        let rest = self.rest.into_inner().unwrap_or_else(|e| e.into_inner());
        (self.inner, rest)
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Takes up to `max_bytes` of `chunk`, keeping the rest.
    fn take(&self, mut chunk: Bytes, max_bytes: usize) -> Bytes {
        if chunk.len() > max_bytes {
            *self.rest.acquire() = chunk.split_off(max_bytes);
        }
        chunk
    }
}

impl<S> fmt::Debug for ChunkStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkStream")
            .field("rest", &self.rest.acquire().len())
            .finish_non_exhaustive()
    }
}

impl<S> ByteReceiveStream for ChunkStream<S>
where
    S: ObjectReceiveStream<Bytes>,
    S::Error: Into<StreamError>,
{
    async fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> Result<usize, StreamError> {
        let chunk = ByteReceiveStream::receive(self, buf.len()).await?;
        buf[..chunk.len()].copy_from_slice(&chunk);
        Ok(chunk.len())
    }

    async fn receive(&self, max_bytes: usize) -> Result<Bytes, StreamError> {
        if max_bytes == 0 {
            return Err(StreamError::invalid_argument(ZERO_MAX_BYTES));
        }
        let _claim = self.receiving.claim()?;
        if self.is_closed() {
            return Err(StreamError::Closed);
        }
        if !self.rest.acquire().is_empty() {
            // The rest is taken after the checkpoint, so a cancelled receive leaves it.
            checkpoint().await;
            let rest = std::mem::take(&mut *self.rest.acquire());
            return Ok(self.take(rest, max_bytes));
        }
        loop {
            let chunk = self.inner.receive().await.map_err(Into::into)?;
            if !chunk.is_empty() {
                return Ok(self.take(chunk, max_bytes));
            }
        }
    }
}

impl<S> ByteSendStream for ChunkStream<S>
where
    S: ObjectSendStream<Bytes>,
    S::Error: Into<StreamError>,
{
    async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        let _claim = self.sending.claim()?;
        if self.is_closed() {
            return Err(StreamError::Closed);
        }
        if data.is_empty() {
            checkpoint().await;
            return Ok(());
        }
        let chunk = Bytes::copy_from_slice(data);
        self.inner.send(chunk).await.map_err(Into::into)
    }
}

impl<S, R> ByteStream for ChunkStream<StapledObjectStream<S, R>>
where
    S: ObjectSendStream<Bytes> + AsyncClose,
    S::Error: Into<StreamError>,
    R: ObjectReceiveStream<Bytes> + AsyncClose,
    R::Error: Into<StreamError>,
{
    fn send_eof(&self) -> impl Future<Output = Result<(), StreamError>> + Send + '_ {
        self.inner.send_eof()
    }
}

impl<S: AsyncClose> AsyncClose for ChunkStream<S> {
    fn close(&self) -> impl Future<Output = ()> + Send + '_ {
        self.closed.store(true, Ordering::Release);
        self.inner.close()
    }
}

impl From<ReceiveError> for StreamError {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::EndOfStream => StreamError::EndOfStream,
            ReceiveError::Closed => StreamError::Closed,
        }
    }
}

impl<T> From<SendError<T>> for StreamError {
    /// Drops the item that was not sent.
    fn from(error: SendError<T>) -> Self {
        match error {
            SendError::Closed(_) => StreamError::Closed,
            SendError::Broken(_) => StreamError::Broken(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "every receiver of the object stream is closed or dropped",
            )),
        }
    }
}
