//! The byte stream traits: what sockets, TLS and the stream wrappers have in common.
//!
//! Streams take `&self`, so a stream can be shared (in an `Arc`, or by reference in a task
//! group) between a task that receives and one that sends. Each direction serves one task at a
//! time: a second concurrent receive (or send) fails with [`StreamError::Busy`].

use std::future::Future;

use bytes::Bytes;

use super::StreamError;

/// The message of a receive of 0 bytes.
pub(crate) const ZERO_MAX_BYTES: &str =
    "max_bytes must be at least 1: a receive of 0 bytes could never complete";

/// The message of a receive into an empty buffer.
pub(crate) const EMPTY_BUF: &str =
    "buf must hold at least 1 byte: a receive of 0 bytes could never complete";

/// The receiving half of a byte stream.
///
/// Implementors provide [`receive_into`](Self::receive_into); [`receive`](Self::receive)
/// follows from it.
///
/// # Examples
///
/// Code generic over any byte stream (a TCP connection, a TLS session, a Unix socket):
///
/// ```
/// use anyio_core::streams::{ByteReceiveStream, StreamError};
///
/// async fn count_bytes(stream: &impl ByteReceiveStream) -> Result<usize, StreamError> {
///     let mut total = 0;
///     loop {
///         match stream.receive(4096).await {
///             Ok(chunk) => total += chunk.len(),
///             Err(StreamError::EndOfStream) => return Ok(total),
///             Err(error) => return Err(error),
///         }
///     }
/// }
/// ```
pub trait ByteReceiveStream: Send + Sync {
    /// Receives at least one and at most `buf.len()` bytes into `buf`, returning how many.
    ///
    /// # Errors
    ///
    /// [`StreamError::EndOfStream`] once the peer has finished sending; `Closed`, `Broken`,
    /// `Busy`, and `InvalidArgument` for an empty `buf`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes are only taken from the stream in the poll that returns them.
    fn receive_into<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = Result<usize, StreamError>> + Send + 'a;

    /// Receives at least one and at most `max_bytes` bytes. Never returns an empty chunk: the
    /// end of the stream is [`StreamError::EndOfStream`].
    ///
    /// # Errors
    ///
    /// As [`receive_into`](Self::receive_into); `InvalidArgument` when `max_bytes` is 0.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_into`](Self::receive_into).
    fn receive(&self, max_bytes: usize) -> impl Future<Output = Result<Bytes, StreamError>> + Send {
        async move {
            if max_bytes == 0 {
                return Err(StreamError::invalid_argument(ZERO_MAX_BYTES));
            }
            let mut buf = vec![0; max_bytes];
            let n = self.receive_into(&mut buf).await?;
            buf.truncate(n);
            Ok(Bytes::from(buf))
        }
    }
}

/// The sending half of a byte stream.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::{ByteSendStream, StreamError};
///
/// async fn greet(stream: &impl ByteSendStream) -> Result<(), StreamError> {
///     stream.send(b"hello\r\n").await
/// }
/// ```
pub trait ByteSendStream: Send + Sync {
    /// Sends all of `data`.
    ///
    /// # Errors
    ///
    /// `Closed`, `Broken` (the peer is gone), `Busy`.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: when cancelled, a prefix of `data` may have been sent.
    fn send<'a>(
        &'a self,
        data: &'a [u8],
    ) -> impl Future<Output = Result<(), StreamError>> + Send + 'a;
}

/// A bidirectional byte stream whose sending half can be finished on its own.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::{ByteStream, StreamError};
///
/// async fn request(stream: &impl ByteStream) -> Result<Vec<u8>, StreamError> {
///     stream.send(b"GET / HTTP/1.0\r\n\r\n").await?;
///     stream.send_eof().await?; // we are done sending; the reply can still arrive
///     let mut reply = Vec::new();
///     loop {
///         match stream.receive(65536).await {
///             Ok(chunk) => reply.extend_from_slice(&chunk),
///             Err(StreamError::EndOfStream) => return Ok(reply),
///             Err(error) => return Err(error),
///         }
///     }
/// }
/// ```
pub trait ByteStream: ByteReceiveStream + ByteSendStream {
    /// Finishes the sending half: the peer's receives end with
    /// [`StreamError::EndOfStream`], while this side can still receive.
    ///
    /// # Errors
    ///
    /// `Closed`, `Broken`, or the stream cannot be half-closed
    /// ([`StreamError::InvalidArgument`]).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe for streams that must send something to finish (TLS); a socket's
    /// `send_eof` completes at once.
    fn send_eof(&self) -> impl Future<Output = Result<(), StreamError>> + Send + '_;
}

/// A resource that can be closed while it is shared: the stream, listener or socket, and
/// any operation waiting on it, ends.
///
/// Operations waiting on the resource when it is closed end with [`StreamError::Closed`];
/// later operations too. Dropping the resource also closes it, without waiting.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::AsyncClose;
///
/// async fn finish(stream: impl AsyncClose) {
///     stream.close().await;
/// }
/// ```
pub trait AsyncClose: Send + Sync {
    /// Closes the resource; a TLS stream first tells its peer.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the resource is closed even when the wait for a graceful goodbye is
    /// cut short.
    fn close(&self) -> impl Future<Output = ()> + Send + '_;
}

/// The receiving half of a stream of typed objects; the memory object receiver is one.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::{ObjectReceiveStream, StreamError};
///
/// async fn first<T: Send>(stream: &impl ObjectReceiveStream<T>) -> Option<T> {
///     stream.receive().await.ok()
/// }
/// ```
pub trait ObjectReceiveStream<T>: Send + Sync {
    /// The error of a failed receive.
    type Error;

    /// Receives the next object.
    ///
    /// # Errors
    ///
    /// The stream's end or closure, in the stream's own error type.
    ///
    /// # Cancel safety
    ///
    /// Implementations should be cancel safe: no object is lost when a receive is cancelled.
    fn receive(&self) -> impl Future<Output = Result<T, Self::Error>> + Send + '_;
}

/// The sending half of a stream of typed objects; the memory object sender is one.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::ObjectSendStream;
///
/// async fn send_all<S: ObjectSendStream<u32>>(stream: &S, items: Vec<u32>) -> Result<(), S::Error> {
///     for item in items {
///         stream.send(item).await?;
///     }
///     Ok(())
/// }
/// ```
pub trait ObjectSendStream<T>: Send + Sync {
    /// The error of a failed send, which should hand `item` back.
    type Error;

    /// Sends `item`.
    ///
    /// # Errors
    ///
    /// The stream's closure, in the stream's own error type.
    ///
    /// # Cancel safety
    ///
    /// Implementations should be cancel safe: a cancelled send does not deliver its item.
    fn send(&self, item: T) -> impl Future<Output = Result<(), Self::Error>> + Send + '_;
}

/// Shared streams: a borrowed or reference-counted stream is a stream, so wrappers can sit on
/// one half of a connection while another task holds it too.
macro_rules! forward_stream_traits {
    ($($pointer:ty),*) => {$(
        impl<S: ByteReceiveStream + ?Sized> ByteReceiveStream for $pointer {
            fn receive_into<'a>(
                &'a self,
                buf: &'a mut [u8],
            ) -> impl Future<Output = Result<usize, StreamError>> + Send + 'a {
                (**self).receive_into(buf)
            }

            fn receive(
                &self,
                max_bytes: usize,
            ) -> impl Future<Output = Result<Bytes, StreamError>> + Send {
                (**self).receive(max_bytes)
            }
        }

        impl<S: ByteSendStream + ?Sized> ByteSendStream for $pointer {
            fn send<'a>(
                &'a self,
                data: &'a [u8],
            ) -> impl Future<Output = Result<(), StreamError>> + Send + 'a {
                (**self).send(data)
            }
        }

        impl<S: ByteStream + ?Sized> ByteStream for $pointer {
            fn send_eof(&self) -> impl Future<Output = Result<(), StreamError>> + Send + '_ {
                (**self).send_eof()
            }
        }

        impl<S: AsyncClose + ?Sized> AsyncClose for $pointer {
            fn close(&self) -> impl Future<Output = ()> + Send + '_ {
                (**self).close()
            }
        }

        impl<T, S: ObjectReceiveStream<T> + ?Sized> ObjectReceiveStream<T> for $pointer {
            type Error = S::Error;

            fn receive(&self) -> impl Future<Output = Result<T, S::Error>> + Send + '_ {
                (**self).receive()
            }
        }

        impl<T, S: ObjectSendStream<T> + ?Sized> ObjectSendStream<T> for $pointer {
            type Error = S::Error;

            fn send(&self, item: T) -> impl Future<Output = Result<(), S::Error>> + Send + '_ {
                (**self).send(item)
            }
        }
    )*};
}

forward_stream_traits!(&S, std::sync::Arc<S>, Box<S>);
