//! `AsyncRead`/`AsyncWrite` for any byte stream: TLS sessions, buffered, text and stapled
//! wrappers, and streams of other crates, so code written against the I/O traits runs on top.
//!
//! anyio's sockets implement the traits themselves; this adapter serves every other
//! [`ByteReceiveStream`]/[`ByteStream`], whose operations are `async` and so need somewhere to
//! live between polls.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use bytes::Bytes;

use super::{ByteReceiveStream, ByteStream, StreamError};

/// How much a read asks the stream for at least, so that small reads do not cost a receive
/// each.
const MIN_READ: usize = 8192;

type Pending<T> = Pin<Box<dyn Future<Output = Result<T, StreamError>> + Send>>;

/// A byte stream as `futures::io` `AsyncRead` + `AsyncWrite` (and tokio's, with the `tokio-io`
/// feature).
///
/// Reads take what one receive returns, keeping what does not fit the caller's buffer for the
/// next read; the end of the stream reads as 0 bytes. A write sends its whole buffer before it
/// reports it written; `close` (tokio: `shutdown`) finishes the sending side with
/// [`send_eof`](ByteStream::send_eof). The stream is shared through an `Arc`, so the
/// adapter can hand out its operations as owned futures: [`IoStream::get_ref`] still reaches
/// it (for attributes, or to close it from another task).
///
/// # Examples
///
/// futures' line reader over a buffered stream (any byte stream works the same way):
///
/// ```
/// use futures_util::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
/// use futures_util::StreamExt;
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::streams::{BufferedByteReceiveStream, IoStream};
/// # use anyio::net::SocketAttributes as _;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
/// let server = BufferedByteReceiveStream::new(listener.accept().await.unwrap());
///
/// let mut writer = IoStream::new(client);
/// writer.write_all(b"one\ntwo\n").await.unwrap();
/// writer.close().await.unwrap(); // send_eof
///
/// let lines: Vec<String> = BufReader::new(IoStream::new(server))
///     .lines()
///     .map(Result::unwrap)
///     .collect()
///     .await;
/// assert_eq!(lines, ["one", "two"]);
/// # }).unwrap();
/// ```
pub struct IoStream<S> {
    stream: Arc<S>,
    leftover: Bytes,
    reading: Option<Pending<Bytes>>,
    writing: Option<Pending<usize>>,
    closing: Option<Pending<()>>,
}

impl<S> IoStream<S> {
    /// Adapts `stream`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::IoStream;
    ///
    /// let adapted = IoStream::new(42);
    /// assert_eq!(*adapted.get_ref(), 42);
    /// ```
    pub fn new(stream: S) -> Self {
        Self::from_arc(Arc::new(stream))
    }

    /// Adapts a stream that other holders share, for example a task that keeps sending on it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use anyio::streams::IoStream;
    ///
    /// let shared = Arc::new("stream");
    /// let adapted = IoStream::from_arc(Arc::clone(&shared));
    /// assert_eq!(Arc::strong_count(&shared), 2);
    /// # drop(adapted);
    /// ```
    pub fn from_arc(stream: Arc<S>) -> Self {
        Self {
            stream,
            leftover: Bytes::new(),
            reading: None,
            writing: None,
            closing: None,
        }
    }

    /// The adapted stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::IoStream;
    ///
    /// assert_eq!(IoStream::new(String::from("s")).get_ref(), "s");
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The adapted stream, and the bytes received from it but not yet read.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::IoStream;
    ///
    /// let (stream, unread) = IoStream::new(7).into_parts();
    /// assert_eq!((*stream, unread.len()), (7, 0));
    /// ```
    pub fn into_parts(self) -> (Arc<S>, Bytes) {
        (self.stream, self.leftover)
    }
}

impl<S> fmt::Debug for IoStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoStream")
            .field("unread", &self.leftover.len())
            .field("reading", &self.reading.is_some())
            .field("writing", &self.writing.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: ByteReceiveStream + 'static> IoStream<S> {
    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if self.leftover.is_empty() {
            let stream = &self.stream;
            let receive = self.reading.get_or_insert_with(|| {
                let stream = Arc::clone(stream);
                let max_bytes = buf.len().max(MIN_READ);
                Box::pin(async move { stream.receive(max_bytes).await })
            });
            let received = ready!(receive.as_mut().poll(cx));
            self.reading = None;
            match received {
                Ok(bytes) => self.leftover = bytes,
                Err(StreamError::EndOfStream) => return Poll::Ready(Ok(0)),
                Err(error) => return Poll::Ready(Err(error.into())),
            }
        }
        let n = buf.len().min(self.leftover.len());
        buf[..n].copy_from_slice(&self.leftover.split_to(n));
        Poll::Ready(Ok(n))
    }
}

impl<S: ByteStream + 'static> IoStream<S> {
    /// Sends `data` whole; while a send is in flight, later calls (which the I/O traits make
    /// with the same data) wait for it.
    fn poll_send(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let stream = &self.stream;
        let send = self.writing.get_or_insert_with(|| {
            let stream = Arc::clone(stream);
            let data = data.to_vec();
            Box::pin(async move { stream.send(&data).await.map(|()| data.len()) })
        });
        let sent = ready!(send.as_mut().poll(cx));
        self.writing = None;
        Poll::Ready(sent.map_err(io::Error::from))
    }

    fn poll_flush_sends(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.writing.as_mut() {
            Some(send) => {
                let sent = ready!(send.as_mut().poll(cx));
                self.writing = None;
                Poll::Ready(sent.map(drop).map_err(io::Error::from))
            }
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_flush_sends(cx))?;
        let stream = &self.stream;
        let finish = self.closing.get_or_insert_with(|| {
            let stream = Arc::clone(stream);
            Box::pin(async move { stream.send_eof().await })
        });
        let finished = ready!(finish.as_mut().poll(cx));
        self.closing = None;
        Poll::Ready(match finished {
            Ok(()) | Err(StreamError::Closed) => Ok(()),
            Err(error) => Err(error.into()),
        })
    }
}

impl<S: ByteReceiveStream + 'static> futures_io::AsyncRead for IoStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_into(cx, buf)
    }
}

impl<S: ByteStream + 'static> futures_io::AsyncWrite for IoStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_send(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_sends(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_finish(cx)
    }
}

#[cfg(feature = "tokio-io")]
impl<S: ByteReceiveStream + 'static> tokio::io::AsyncRead for IoStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = ready!(self.poll_read_into(cx, buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

#[cfg(feature = "tokio-io")]
impl<S: ByteStream + 'static> tokio::io::AsyncWrite for IoStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_send(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_sends(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_finish(cx)
    }
}
