//! The operations of stream sockets, as [`IoOp`]s: what [`SocketIo`](super::SocketIo) runs.

use std::fmt;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;

use super::scratch::read_to_bytes;
use super::socket::IoOp;
use crate::streams::byte::ZERO_MAX_BYTES;
use crate::streams::StreamError;

/// Reads into a caller's buffer; a read of 0 bytes is the end of the stream.
pub struct ReadInto<'a> {
    buf: &'a mut [u8],
}

impl<'a> ReadInto<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf }
    }
}

impl fmt::Debug for ReadInto<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadInto")
            .field("len", &self.buf.len())
            .finish()
    }
}

impl<T> IoOp<T> for ReadInto<'_>
where
    for<'x> &'x T: Read,
{
    type Output = usize;

    fn validate(&self) -> Result<(), StreamError> {
        if self.buf.is_empty() {
            return Err(StreamError::invalid_argument(EMPTY_BUFFER));
        }
        Ok(())
    }

    fn attempt(&mut self, socket: &T) -> io::Result<usize> {
        let mut socket = socket;
        socket.read(self.buf)
    }

    fn complete(result: io::Result<usize>) -> Result<usize, StreamError> {
        end_of_stream_at_zero(result)
    }
}

/// Reads at most a given number of bytes into a fresh [`Bytes`] of exactly the length read.
///
/// It holds no buffer while it waits: the bytes are read into the thread's scratch buffer
/// once the socket is ready, and copied out (see the `scratch` module).
pub struct ReadBytes {
    max_bytes: usize,
}

impl ReadBytes {
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self { max_bytes }
    }
}

impl fmt::Debug for ReadBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadBytes")
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

impl<T> IoOp<T> for ReadBytes
where
    for<'x> &'x T: Read,
{
    type Output = Bytes;

    fn validate(&self) -> Result<(), StreamError> {
        if self.max_bytes == 0 {
            return Err(StreamError::invalid_argument(ZERO_MAX_BYTES));
        }
        Ok(())
    }

    fn attempt(&mut self, socket: &T) -> io::Result<Bytes> {
        let mut socket = socket;
        let (bytes, ()) = read_to_bytes(self.max_bytes, |buf| Ok((socket.read(buf)?, ())))?;
        Ok(bytes)
    }

    fn complete(result: io::Result<Bytes>) -> Result<Bytes, StreamError> {
        match result {
            Ok(bytes) if bytes.is_empty() => Err(StreamError::EndOfStream),
            Ok(bytes) => Ok(bytes),
            Err(error) => Err(StreamError::from(error)),
        }
    }
}

/// Writes all of a buffer, over as many readiness rounds as it takes.
pub struct WriteAll<'a> {
    data: &'a [u8],
}

impl<'a> WriteAll<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }
}

impl fmt::Debug for WriteAll<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteAll")
            .field("remaining", &self.data.len())
            .finish()
    }
}

impl<T> IoOp<T> for WriteAll<'_>
where
    for<'x> &'x T: Write,
{
    type Output = ();

    fn attempt(&mut self, socket: &T) -> io::Result<()> {
        let mut socket = socket;
        while !self.data.is_empty() {
            match socket.write(self.data) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.data = &self.data[n..],
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

/// Sends all of its data on a stream socket, or fails with [`StreamError::Closed`] once the
/// stream's sending side was finished with `send_eof`: the operation behind a TCP or Unix
/// stream's `send`.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// # use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::streams::StreamError;
/// # anyio::run(async {
/// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
/// client.send_eof().await.unwrap();
/// assert!(matches!(client.send(b"late").await, Err(StreamError::Closed)));
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct SendAll<'a> {
    data: WriteAll<'a>,
    /// Whether the stream's sending side was finished.
    finished: &'a AtomicBool,
}

impl<'a> SendAll<'a> {
    pub(crate) fn new(data: &'a [u8], finished: &'a AtomicBool) -> Self {
        Self {
            data: WriteAll::new(data),
            finished,
        }
    }

    fn is_finished(&self) -> bool {
        self.finished.load(Ordering::Acquire)
    }
}

impl<T> IoOp<T> for SendAll<'_>
where
    for<'x> &'x T: Write,
{
    type Output = ();

    fn validate(&self) -> Result<(), StreamError> {
        if self.is_finished() {
            return Err(StreamError::Closed);
        }
        Ok(())
    }

    fn attempt(&mut self, socket: &T) -> io::Result<()> {
        // Checked again with the write direction held: a `send_eof` that finished between
        // `validate` and the claim is seen here, before anything is written.
        if self.is_finished() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                StreamError::Closed,
            ));
        }
        self.data.attempt(socket)
    }

    fn complete(result: io::Result<()>) -> Result<(), StreamError> {
        result.map_err(|error| match error.get_ref() {
            Some(inner) if matches!(inner.downcast_ref(), Some(StreamError::Closed)) => {
                StreamError::Closed
            }
            _ => StreamError::from(error),
        })
    }
}

/// Writes some of a buffer: what `AsyncWrite::poll_write` needs.
pub struct WriteSome<'a> {
    data: &'a [u8],
}

impl<'a> WriteSome<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self { data }
    }
}

impl fmt::Debug for WriteSome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteSome")
            .field("len", &self.data.len())
            .finish()
    }
}

impl<T> IoOp<T> for WriteSome<'_>
where
    for<'x> &'x T: Write,
{
    type Output = usize;

    fn attempt(&mut self, socket: &T) -> io::Result<usize> {
        let mut socket = socket;
        socket.write(self.data)
    }
}

const EMPTY_BUFFER: &str =
    "the buffer to receive into is empty: a receive of 0 bytes could never complete";

/// A read of 0 bytes into a non-empty buffer is the peer's end of stream.
pub(crate) fn end_of_stream_at_zero(result: io::Result<usize>) -> Result<usize, StreamError> {
    match result {
        Ok(0) => Err(StreamError::EndOfStream),
        Ok(n) => Ok(n),
        Err(error) => Err(StreamError::from(error)),
    }
}
