//! A receive buffer over any byte stream: exact-length reads and delimited reads.

use std::fmt;
#[cfg(unix)]
use std::io;
use std::sync::Mutex;

use bytes::{Bytes, BytesMut};

use super::byte::ZERO_MAX_BYTES;
use super::claim::{Claim, Direction};
use super::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
#[cfg(unix)]
use crate::net::{SocketAddress, SocketAttributes};
use crate::wait::Acquire;

/// How much a buffered stream asks the stream below for at a time.
const CHUNK: usize = 65536;

/// Wraps a byte stream with a receive buffer, for protocols framed by length
/// ([`receive_exactly`](Self::receive_exactly)) or by delimiter
/// ([`receive_until`](Self::receive_until)).
///
/// Sending, `send_eof`, closing and the socket attributes pass through to the wrapped stream.
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::streams::BufferedByteReceiveStream;
/// # use anyio::net::SocketAttributes as _;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
/// let server = BufferedByteReceiveStream::new(listener.accept().await.unwrap());
/// client.send(b"HELLO\r\n\x00\x05world").await.unwrap();
/// assert_eq!(&server.receive_until(b"\r\n", 1024).await.unwrap()[..], b"HELLO");
/// let len = server.receive_exactly(2).await.unwrap();
/// let body = server.receive_exactly(u16::from_be_bytes([len[0], len[1]]).into()).await.unwrap();
/// assert_eq!(&body[..], b"world");
/// # }).unwrap();
/// ```
pub struct BufferedByteReceiveStream<S> {
    inner: S,
    buffer: Mutex<BytesMut>,
    receiving: Direction,
}

impl<S> BufferedByteReceiveStream<S> {
    /// Wraps `inner` with an empty buffer.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::BufferedByteReceiveStream;
    /// use anyio::streams::memory::create_memory_object_stream;
    ///
    /// let (_tx, rx) = create_memory_object_stream::<u8>(1);
    /// let buffered = BufferedByteReceiveStream::new(rx);
    /// assert!(buffered.buffer().is_empty());
    /// ```
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            buffer: Mutex::new(BytesMut::new()),
            receiving: Direction::default(),
        }
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::BufferedByteReceiveStream;
    ///
    /// let buffered = BufferedByteReceiveStream::new(42);
    /// assert_eq!(*buffered.get_ref(), 42);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The bytes received from the stream below but not yet returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::BufferedByteReceiveStream;
    ///
    /// assert!(BufferedByteReceiveStream::new(()).buffer().is_empty());
    /// ```
    pub fn buffer(&self) -> Bytes {
        Bytes::copy_from_slice(&self.lock())
    }

    /// How many bytes are buffered and not yet returned, without copying them.
    ///
    /// A protocol server can use it to tell whether a pipelined request is already waiting
    /// and batch its replies until the buffer runs dry.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::BufferedByteReceiveStream;
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let server = BufferedByteReceiveStream::new(listener.accept().await.unwrap());
    /// assert_eq!(server.buffered_len(), 0);
    /// client.send(b"one\ntwo\n").await.unwrap();
    /// assert_eq!(&server.receive_until(b"\n", 64).await.unwrap()[..], b"one");
    /// // Whatever arrived with the first line waits in the buffer for the next read.
    /// assert!(server.buffered_len() <= 4);
    /// assert_eq!(&server.receive_exactly(4).await.unwrap()[..], b"two\n");
    /// assert_eq!(server.buffered_len(), 0);
    /// # }).unwrap();
    /// ```
    pub fn buffered_len(&self) -> usize {
        self.lock().len()
    }

    /// Runs `f` on the bytes buffered and not yet returned, without copying or consuming
    /// them: for example to check whether a complete pipelined request is already waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::BufferedByteReceiveStream;
    ///
    /// let stream = BufferedByteReceiveStream::new(());
    /// assert!(!stream.peek(|buffered| buffered.contains(&b'\n')));
    /// ```
    pub fn peek<T>(&self, f: impl FnOnce(&[u8]) -> T) -> T {
        f(&self.lock())
    }

    /// Appends `data` to the buffer, to be returned before anything the wrapped stream
    /// receives next: for bytes read ahead by other means, such as the first bytes of a
    /// connection a protocol sniffer looked at.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    /// use anyio::streams::{BufferedByteReceiveStream, Bytes, ChunkStream};
    ///
    /// # anyio::run(async {
    /// let (tx, rx) = create_memory_object_stream::<Bytes>(1);
    /// tx.send(Bytes::from_static(b"abcd")).await.unwrap();
    /// let buffered = BufferedByteReceiveStream::new(ChunkStream::new(rx));
    /// buffered.feed_data(b"xxx");
    /// buffered.feed_data(b"foo");
    /// assert_eq!(&buffered.receive_exactly(10).await.unwrap()[..], b"xxxfooabcd");
    /// # }).unwrap();
    /// ```
    pub fn feed_data(&self, data: &[u8]) {
        self.lock().extend_from_slice(data);
    }

    /// The wrapped stream and the bytes still buffered.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::BufferedByteReceiveStream;
    ///
    /// let (inner, rest) = BufferedByteReceiveStream::new("stream").into_parts();
    /// assert_eq!((inner, rest.len()), ("stream", 0));
    /// ```
    pub fn into_parts(self) -> (S, Bytes) {
        let buffer = self.buffer.into_inner().unwrap_or_else(|e| e.into_inner());
        (self.inner, buffer.freeze())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BytesMut> {
        self.buffer.acquire()
    }

    fn claim(&self) -> Result<Claim<'_>, StreamError> {
        self.receiving.claim()
    }
}

impl<S: ByteReceiveStream> BufferedByteReceiveStream<S> {
    /// Receives at most `max_bytes`: buffered bytes first, else one receive from the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::BufferedByteReceiveStream;
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let server = BufferedByteReceiveStream::new(listener.accept().await.unwrap());
    /// client.send(b"abc").await.unwrap();
    /// let first = server.receive(1).await.unwrap();
    /// assert_eq!(&first[..], b"a");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The stream's errors; `InvalidArgument` when `max_bytes` is 0, `Busy` while another
    /// receive on this wrapper runs.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe when the wrapped stream's receive is.
    pub async fn receive(&self, max_bytes: usize) -> Result<Bytes, StreamError> {
        if max_bytes == 0 {
            return Err(StreamError::invalid_argument(ZERO_MAX_BYTES));
        }
        let _claim = self.claim()?;
        {
            let mut buffer = self.lock();
            if !buffer.is_empty() {
                let n = max_bytes.min(buffer.len());
                return Ok(buffer.split_to(n).freeze());
            }
        }
        self.inner.receive(max_bytes).await
    }

    /// Receives exactly `n` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::{BufferedByteReceiveStream, StreamError};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let server = BufferedByteReceiveStream::new(listener.accept().await.unwrap());
    /// client.send(b"12345").await.unwrap();
    /// client.close().await;
    /// assert_eq!(&server.receive_exactly(3).await.unwrap()[..], b"123");
    /// assert!(matches!(
    ///     server.receive_exactly(3).await,
    ///     Err(StreamError::IncompleteRead { expected: 3, received: 2 })
    /// ));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::IncompleteRead`] when the stream ends first (the bytes that did arrive
    /// stay buffered), the stream's other errors, `Busy`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe when the wrapped stream's receive is: bytes received before the
    /// cancellation stay buffered for the next call.
    pub async fn receive_exactly(&self, n: usize) -> Result<Bytes, StreamError> {
        let _claim = self.claim()?;
        loop {
            {
                let mut buffer = self.lock();
                if buffer.len() >= n {
                    return Ok(buffer.split_to(n).freeze());
                }
            }
            match self.fill().await {
                Err(StreamError::EndOfStream) => {
                    let received = self.lock().len();
                    return Err(StreamError::IncompleteRead {
                        expected: n,
                        received,
                    });
                }
                other => other?,
            }
        }
    }

    /// Receives up to `delimiter`, which is consumed but not returned, looking at most
    /// `max_bytes` bytes ahead.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::{BufferedByteReceiveStream, StreamError};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let server = BufferedByteReceiveStream::new(listener.accept().await.unwrap());
    /// client.send(b"short\nfar too long a line\n").await.unwrap();
    /// assert_eq!(&server.receive_until(b"\n", 8).await.unwrap()[..], b"short");
    /// assert!(matches!(
    ///     server.receive_until(b"\n", 8).await,
    ///     Err(StreamError::DelimiterNotFound { max_bytes: 8 })
    /// ));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::DelimiterNotFound`] when `max_bytes` bytes arrived without it,
    /// [`StreamError::IncompleteRead`] when the stream ended first (the bytes stay buffered
    /// in both cases), `InvalidArgument` for an empty delimiter, the stream's other errors,
    /// `Busy`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe when the wrapped stream's receive is: bytes received before the
    /// cancellation stay buffered for the next call.
    pub async fn receive_until(
        &self,
        delimiter: &[u8],
        max_bytes: usize,
    ) -> Result<Bytes, StreamError> {
        if delimiter.is_empty() {
            return Err(StreamError::invalid_argument(
                "the delimiter is empty: pass the bytes that end a frame, such as b\"\\n\"",
            ));
        }
        let _claim = self.claim()?;
        // Where the delimiter must have started by: a frame may be `max_bytes` long.
        let limit = max_bytes.saturating_add(delimiter.len());
        let mut searched = 0;
        loop {
            {
                let mut buffer = self.lock();
                let window = buffer.len().min(limit);
                if let Some(at) = find(&buffer[searched..window], delimiter) {
                    let at = searched + at;
                    let frame = buffer.split_to(at).freeze();
                    let _ = buffer.split_to(delimiter.len());
                    return Ok(frame);
                }
                if buffer.len() >= limit {
                    return Err(StreamError::DelimiterNotFound { max_bytes });
                }
                // The delimiter may straddle what has arrived and what comes next.
                searched = window.saturating_sub(delimiter.len() - 1);
            }
            match self.fill().await {
                Err(StreamError::EndOfStream) => {
                    let received = self.lock().len();
                    return Err(StreamError::IncompleteRead {
                        expected: received + delimiter.len(),
                        received,
                    });
                }
                other => other?,
            }
        }
    }

    /// Appends one receive from the wrapped stream to the buffer.
    async fn fill(&self) -> Result<(), StreamError> {
        let chunk = self.inner.receive(CHUNK).await?;
        self.lock().extend_from_slice(&chunk);
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

impl<S> fmt::Debug for BufferedByteReceiveStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufferedByteReceiveStream")
            .field("buffered", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl<S: ByteReceiveStream> ByteReceiveStream for BufferedByteReceiveStream<S> {
    async fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> Result<usize, StreamError> {
        let chunk = BufferedByteReceiveStream::receive(self, buf.len()).await?;
        buf[..chunk.len()].copy_from_slice(&chunk);
        Ok(chunk.len())
    }

    async fn receive(&self, max_bytes: usize) -> Result<Bytes, StreamError> {
        BufferedByteReceiveStream::receive(self, max_bytes).await
    }
}

impl<S: ByteSendStream> ByteSendStream for BufferedByteReceiveStream<S> {
    fn send<'a>(
        &'a self,
        data: &'a [u8],
    ) -> impl std::future::Future<Output = Result<(), StreamError>> + Send + 'a {
        self.inner.send(data)
    }
}

impl<S: ByteStream> ByteStream for BufferedByteReceiveStream<S> {
    fn send_eof(&self) -> impl std::future::Future<Output = Result<(), StreamError>> + Send + '_ {
        self.inner.send_eof()
    }
}

impl<S: AsyncClose> AsyncClose for BufferedByteReceiveStream<S> {
    fn close(&self) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.inner.close()
    }
}

#[cfg(unix)]
impl<S: SocketAttributes> SocketAttributes for BufferedByteReceiveStream<S> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.inner.local_address()
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        self.inner.remote_address()
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.raw_fd()
    }
}
