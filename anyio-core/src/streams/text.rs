//! A UTF-8 text stream over a byte stream.

use std::fmt;
#[cfg(unix)]
use std::io;
use std::sync::{Mutex, MutexGuard};

use super::claim::Direction;
use super::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, StreamError,
};
#[cfg(unix)]
use crate::net::{SocketAddress, SocketAttributes};
use crate::wait::Acquire;

/// How much a text stream asks the stream below for at a time.
const CHUNK: usize = 65536;

/// Sends and receives UTF-8 text over a byte stream.
///
/// [`receive`](Self::receive) decodes incrementally: a character split between two chunks
/// of the stream below is kept until its last byte arrives, so no chunk boundary ever breaks
/// a character. Bytes that are not UTF-8 fail with [`StreamError::InvalidData`], or decode as
/// U+FFFD on a [`lossy`](Self::lossy) stream.
///
/// What it can do follows the wrapped stream: it receives over a [`ByteReceiveStream`],
/// sends over a [`ByteSendStream`], and does both (with [`send_eof`](Self::send_eof)) over a
/// [`ByteStream`], so it is the text receive stream, the text send stream and the
/// bidirectional text stream at once. Closing and the socket attributes pass through. As an
/// [`ObjectReceiveStream<String>`] and [`ObjectSendStream<String>`] it fits wherever a
/// stream of strings is expected.
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::streams::TextStream;
/// # use anyio::net::SocketAttributes as _;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let client = TextStream::new(connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap());
/// let server = TextStream::new(listener.accept().await.unwrap());
/// client.send("grüße, 世界").await.unwrap();
/// client.send_eof().await.unwrap();
/// let mut text = String::new();
/// while let Ok(chunk) = server.receive().await {
///     text.push_str(&chunk);
/// }
/// assert_eq!(text, "grüße, 世界");
/// # }).unwrap();
/// ```
pub struct TextStream<S> {
    inner: S,
    /// Received bytes not yet returned: at most an incomplete character between receives,
    /// or what follows an invalid sequence until it is reported.
    pending: Mutex<Vec<u8>>,
    receiving: Direction,
    /// Whether invalid bytes decode as U+FFFD instead of failing the receive.
    lossy: bool,
}

impl<S> TextStream<S> {
    /// Wraps `inner`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::TextStream;
    ///
    /// let text = TextStream::new(());
    /// assert!(text.pending().is_empty());
    /// ```
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: Mutex::new(Vec::new()),
            receiving: Direction::default(),
            lossy: false,
        }
    }

    /// Decodes bytes that are not UTF-8 as U+FFFD REPLACEMENT CHARACTER (one per invalid
    /// sequence, as [`String::from_utf8_lossy`]) instead of failing the receive with
    /// [`StreamError::InvalidData`]; a stream that ends inside a character then yields one
    /// last U+FFFD before [`StreamError::EndOfStream`].
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::create_memory_object_stream;
    /// use anyio::streams::{Bytes, ChunkStream, TextStream};
    ///
    /// # anyio::run(async {
    /// let (tx, rx) = create_memory_object_stream::<Bytes>(1);
    /// let text = TextStream::new(ChunkStream::new(rx)).lossy();
    /// tx.send(Bytes::from_static(b"caf\xe9!")).await.unwrap(); // "café!" in Latin-1
    /// assert_eq!(text.receive().await.unwrap(), "caf\u{FFFD}!");
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn lossy(mut self) -> Self {
        self.lossy = true;
        self
    }

    /// The wrapped stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::TextStream;
    ///
    /// assert_eq!(*TextStream::new(7).get_ref(), 7);
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The received bytes not yet decoded, such as the first bytes of a character whose
    /// last byte has not arrived.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::TextStream;
    ///
    /// assert!(TextStream::new(()).pending().is_empty());
    /// ```
    pub fn pending(&self) -> Vec<u8> {
        self.lock().clone()
    }

    /// The wrapped stream and the bytes not yet decoded.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::TextStream;
    ///
    /// let (inner, pending) = TextStream::new("stream").into_parts();
    /// assert_eq!((inner, pending.len()), ("stream", 0));
    /// ```
    pub fn into_parts(self) -> (S, Vec<u8>) {
        let pending = self.pending.into_inner().unwrap_or_else(|e| e.into_inner());
        (self.inner, pending)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.pending.acquire()
    }
}

impl<S: ByteReceiveStream> TextStream<S> {
    /// Receives the next piece of text: at least one character, as much as one receive from
    /// the stream below brings.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::TextStream;
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let server = TextStream::new(listener.accept().await.unwrap());
    /// // "é" is two bytes; the first arrives alone and is kept until the second comes.
    /// client.send(b"caf\xc3").await.unwrap();
    /// let mut text = String::new();
    /// while text.len() < 3 {
    ///     text += &server.receive().await.unwrap();
    /// }
    /// assert_eq!(text, "caf");
    /// client.send(b"\xa9!").await.unwrap();
    /// while text.len() < 6 {
    ///     text += &server.receive().await.unwrap();
    /// }
    /// assert_eq!(text, "café!");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidData`] for bytes that are not UTF-8 (text received before them
    /// is returned first; the invalid bytes are skipped, so receiving again continues after
    /// them) and for a stream that ends in the middle of a character, unless the stream is
    /// [`lossy`](Self::lossy); `Busy` while another
    /// receive on this wrapper runs; the stream's other errors, such as
    /// [`StreamError::EndOfStream`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe when the wrapped stream's receive is: received bytes are decoded in the
    /// poll that receives them, and an incomplete character stays for the next call.
    pub async fn receive(&self) -> Result<String, StreamError> {
        let _claim = self.receiving.claim()?;
        loop {
            let decoded = if self.lossy {
                Ok(decode_lossy(&mut self.lock()))
            } else {
                decode(&mut self.lock())
            };
            if let Some(text) = decoded? {
                return Ok(text);
            }
            match self.inner.receive(CHUNK).await {
                Ok(chunk) => self.lock().extend_from_slice(&chunk),
                Err(StreamError::EndOfStream) => {
                    let cut = std::mem::take(&mut *self.lock());
                    if cut.is_empty() {
                        return Err(StreamError::EndOfStream);
                    }
                    if self.lossy {
                        return Ok(char::REPLACEMENT_CHARACTER.to_string());
                    }
                    return Err(invalid(format!(
                        "the stream ended in the middle of a UTF-8 character ({} of its bytes \
                         arrived): the peer sent truncated text",
                        cut.len()
                    )));
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// Takes the longest decodable text out of `pending`, leaving an incomplete last character.
fn decode(pending: &mut Vec<u8>) -> Result<Option<String>, StreamError> {
    if pending.is_empty() {
        return Ok(None);
    }
    let error = match String::from_utf8(std::mem::take(pending)) {
        Ok(text) => return Ok(Some(text)),
        Err(error) => error,
    };
    let utf8 = error.utf8_error();
    *pending = error.into_bytes();
    let valid = utf8.valid_up_to();
    if valid > 0 {
        // The text before an incomplete or invalid sequence is good: return it now.
        let rest = pending.split_off(valid);
        let text = String::from_utf8_lossy(&std::mem::replace(pending, rest)).into_owned();
        return Ok(Some(text));
    }
    match utf8.error_len() {
        None => Ok(None),
        Some(len) => {
            pending.drain(..len);
            Err(invalid(format!(
                "received {len} byte(s) that are not UTF-8 (they were skipped): the peer must \
                 send UTF-8 text, or receive its bytes without a TextStream"
            )))
        }
    }
}

/// Takes all of `pending` as text, invalid sequences replaced, but for an incomplete last
/// character.
fn decode_lossy(pending: &mut Vec<u8>) -> Option<String> {
    let mut text = String::new();
    let mut incomplete = 0;
    let mut chunks = pending.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        text.push_str(chunk.valid());
        let invalid = chunk.invalid();
        if invalid.is_empty() {
            continue;
        }
        let cut_short = std::str::from_utf8(invalid).is_err_and(|e| e.error_len().is_none());
        if chunks.peek().is_none() && cut_short {
            incomplete = invalid.len();
        } else {
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    let decoded = pending.len() - incomplete;
    pending.drain(..decoded);
    (!text.is_empty()).then_some(text)
}

fn invalid(message: String) -> StreamError {
    StreamError::InvalidData(message.into())
}

impl<S: ByteSendStream> TextStream<S> {
    /// Sends `text` as UTF-8.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::TextStream;
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let client = TextStream::new(connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap());
    /// let server = listener.accept().await.unwrap();
    /// client.send("ü").await.unwrap();
    /// let mut bytes = Vec::new();
    /// while bytes.len() < 2 {
    ///     bytes.extend_from_slice(&server.receive(2).await.unwrap());
    /// }
    /// assert_eq!(bytes, "ü".as_bytes());
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The stream's send errors: `Closed`, `Broken`, `Busy`.
    ///
    /// # Cancel safety
    ///
    /// As the wrapped stream's send: not cancel safe for sockets, where a prefix of the
    /// text (possibly ending inside a character) may have been sent.
    pub async fn send(&self, text: &str) -> Result<(), StreamError> {
        self.inner.send(text.as_bytes()).await
    }
}

impl<S: ByteStream> TextStream<S> {
    /// Finishes the sending half of the wrapped stream; see [`ByteStream::send_eof`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::streams::{StreamError, TextStream};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let client = TextStream::new(connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap());
    /// let server = TextStream::new(listener.accept().await.unwrap());
    /// client.send_eof().await.unwrap();
    /// assert!(matches!(server.receive().await, Err(StreamError::EndOfStream)));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`ByteStream::send_eof`].
    ///
    /// # Cancel safety
    ///
    /// As [`ByteStream::send_eof`].
    pub async fn send_eof(&self) -> Result<(), StreamError> {
        self.inner.send_eof().await
    }
}

impl<S> fmt::Debug for TextStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextStream")
            .field("pending", &self.lock().len())
            .finish_non_exhaustive()
    }
}

impl<S: ByteReceiveStream> ObjectReceiveStream<String> for TextStream<S> {
    type Error = StreamError;

    fn receive(
        &self,
    ) -> impl std::future::Future<Output = Result<String, StreamError>> + Send + '_ {
        TextStream::receive(self)
    }
}

impl<S: ByteSendStream> ObjectSendStream<String> for TextStream<S> {
    /// Does not hand the text back: a failed send may have sent a prefix of it.
    type Error = StreamError;

    async fn send(&self, item: String) -> Result<(), StreamError> {
        self.inner.send(item.as_bytes()).await
    }
}

impl<S: AsyncClose> AsyncClose for TextStream<S> {
    fn close(&self) -> impl std::future::Future<Output = ()> + Send + '_ {
        self.inner.close()
    }
}

#[cfg(unix)]
impl<S: SocketAttributes> SocketAttributes for TextStream<S> {
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
