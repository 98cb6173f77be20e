//! Separate send and receive halves as one stream.
//!
//! The stapled streams finish sending ([`send_eof`](StapledByteStream::send_eof)) by
//! closing the send half: a send-only stream has nothing else to finish, and closing is what
//! tells its peer that nothing more will come (a memory sender's receivers see the end of the
//! stream, a socket's peer sees EOF). The receive half stays open. A send still in flight is
//! not cut short: `send_eof` is [`StreamError::Busy`] until it has finished.
//!
//! Closing always closes, as Trio's `aclose` does: [`close`](AsyncClose::close) starts both
//! halves' closes when it is called and waits for them together, so a half whose goodbye is
//! cut short (by a cancelled scope, or by dropping the future) does not keep the other open.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Poll;

use bytes::Bytes;

use super::byte::{EMPTY_BUF, ZERO_MAX_BYTES};
use super::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, StreamError,
};

/// A send stream and a receive stream used as one bidirectional [`ByteStream`].
///
/// Sends go to the send half, receives come from the receive half;
/// [`send_eof`](ByteStream::send_eof) closes the send half (which must be [`AsyncClose`])
/// and leaves the receive half open; [`close`](AsyncClose::close) closes both.
///
/// # Examples
///
/// Two one-way TCP connections make one two-way stream:
///
/// ```
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::streams::{ByteReceiveStream, ByteSendStream, ByteStream, StapledByteStream};
/// # use anyio::net::SocketAttributes as _;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let (out_tx, out_rx) = (connect_tcp("127.0.0.1", port).await.unwrap(), listener.accept().await.unwrap());
/// let (back_tx, back_rx) = (connect_tcp("127.0.0.1", port).await.unwrap(), listener.accept().await.unwrap());
/// let here = StapledByteStream::new(out_tx, back_rx);
/// let there = StapledByteStream::new(back_tx, out_rx);
///
/// here.send(b"ping").await.unwrap();
/// here.send_eof().await.unwrap();
/// let mut got = Vec::new();
/// while let Ok(chunk) = there.receive(16).await {
///     got.extend_from_slice(&chunk);
/// }
/// assert_eq!(got, b"ping");
/// there.send(b"pong").await.unwrap(); // the other direction still works
/// assert_eq!(&here.receive(4).await.unwrap()[..1], b"p");
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct StapledByteStream<S, R> {
    send_stream: S,
    receive_stream: R,
    sends: Sends,
}

/// A send stream and a receive stream of objects used as one two-way object stream.
///
/// Sends go to the send half ([`ObjectSendStream`]), receives come from the receive half
/// ([`ObjectReceiveStream`]), each with its own error type; [`send_eof`](Self::send_eof)
/// closes the send half, [`close`](AsyncClose::close) closes both.
///
/// # Examples
///
/// Two memory object streams make a two-way channel:
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, ReceiveError};
/// use anyio::streams::{ObjectReceiveStream, ObjectSendStream, StapledObjectStream};
///
/// # anyio::run(async {
/// let (to_b, from_a) = create_memory_object_stream::<&str>(4);
/// let (to_a, from_b) = create_memory_object_stream::<&str>(4);
/// let a = StapledObjectStream::new(to_b, from_b);
/// let b = StapledObjectStream::new(to_a, from_a);
///
/// a.send("ping").await.unwrap();
/// a.send_eof().await.unwrap();
/// assert_eq!(b.receive().await, Ok("ping"));
/// assert_eq!(b.receive().await, Err(ReceiveError::EndOfStream));
/// b.send("pong").await.unwrap();
/// assert_eq!(a.receive().await, Ok("pong"));
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct StapledObjectStream<S, R> {
    send_stream: S,
    receive_stream: R,
    sends: Sends,
}

/// The sends in flight through a stapled stream, so that `send_eof` does not cut one short.
/// A count rather than a claim: an object stream's send half may serve several senders at
/// once, as a memory sender does.
#[derive(Debug, Default)]
struct Sends(AtomicUsize);

impl Sends {
    /// Counts a send until the returned guard is dropped, also by cancellation.
    fn enter(&self) -> SendInFlight<'_> {
        self.0.fetch_add(1, Ordering::AcqRel);
        SendInFlight(&self.0)
    }

    /// [`StreamError::Busy`] while a send is in flight.
    fn ensure_idle(&self) -> Result<(), StreamError> {
        if self.0.load(Ordering::Acquire) > 0 {
            return Err(StreamError::Busy);
        }
        Ok(())
    }
}

/// Waits for two closes together, so that each is polled even while the other waits.
async fn close_both(first: impl Future<Output = ()>, second: impl Future<Output = ()>) {
    let (mut first, mut second) = (pin!(first), pin!(second));
    let (mut first_done, mut second_done) = (false, false);
    poll_fn(|cx| {
        first_done = first_done || first.as_mut().poll(cx).is_ready();
        second_done = second_done || second.as_mut().poll(cx).is_ready();
        if first_done && second_done {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

/// One send in flight, counted out when dropped.
struct SendInFlight<'a>(&'a AtomicUsize);

impl Drop for SendInFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The constructor and accessors, the same for both stapled streams.
macro_rules! halves {
    ($name:ident, $what:literal) => {
        impl<S, R> $name<S, R> {
            #[doc = concat!("Staples `send_stream` and `receive_stream` into one ", $what, ".")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use anyio::streams::", stringify!($name), ";")]
            ///
            #[doc = concat!("let stream = ", stringify!($name), "::new(1, 2);")]
            /// assert_eq!((*stream.send_stream(), *stream.receive_stream()), (1, 2));
            /// ```
            pub fn new(send_stream: S, receive_stream: R) -> Self {
                Self {
                    send_stream,
                    receive_stream,
                    sends: Sends::default(),
                }
            }

            /// The send half.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use anyio::streams::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(*", stringify!($name), "::new('s', 'r').send_stream(), 's');")]
            /// ```
            pub fn send_stream(&self) -> &S {
                &self.send_stream
            }

            /// The receive half.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use anyio::streams::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(*", stringify!($name), "::new('s', 'r').receive_stream(), 'r');")]
            /// ```
            pub fn receive_stream(&self) -> &R {
                &self.receive_stream
            }

            /// The send half and the receive half.
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("use anyio::streams::", stringify!($name), ";")]
            ///
            #[doc = concat!("assert_eq!(", stringify!($name), "::new('s', 'r').into_parts(), ('s', 'r'));")]
            /// ```
            pub fn into_parts(self) -> (S, R) {
                (self.send_stream, self.receive_stream)
            }
        }

        impl<S: AsyncClose, R: AsyncClose> AsyncClose for $name<S, R> {
            /// Closes both halves: starts both closes now and waits for them together.
            fn close(&self) -> impl Future<Output = ()> + Send + '_ {
                // Both made now: a socket or memory half closes in the call, and a half with
                // a goodbye to send (TLS) closes when its future is dropped, polled or not.
                let closes = (self.send_stream.close(), self.receive_stream.close());
                close_both(closes.0, closes.1)
            }
        }
    };
}

halves!(StapledByteStream, "byte stream");
halves!(StapledObjectStream, "object stream");

/// Receives refuse a size of 0 here, whatever the receive half would do with it: a byte
/// stream never hands out an empty chunk.
impl<S: Send + Sync, R: ByteReceiveStream> ByteReceiveStream for StapledByteStream<S, R> {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Err(StreamError::invalid_argument(EMPTY_BUF));
        }
        self.receive_stream.receive_into(buf).await
    }

    async fn receive(&self, max_bytes: usize) -> Result<Bytes, StreamError> {
        if max_bytes == 0 {
            return Err(StreamError::invalid_argument(ZERO_MAX_BYTES));
        }
        self.receive_stream.receive(max_bytes).await
    }
}

impl<S: ByteSendStream, R: Send + Sync> ByteSendStream for StapledByteStream<S, R> {
    async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        let _in_flight = self.sends.enter();
        self.send_stream.send(data).await
    }
}

impl<S: ByteSendStream + AsyncClose, R: ByteReceiveStream> ByteStream for StapledByteStream<S, R> {
    /// Closes the send half; the receive half stays open. [`StreamError::Busy`], changing
    /// nothing, while a send is in flight.
    async fn send_eof(&self) -> Result<(), StreamError> {
        self.sends.ensure_idle()?;
        self.send_stream.close().await;
        Ok(())
    }
}

impl<S: AsyncClose, R> StapledObjectStream<S, R> {
    /// Closes the send half, so the peer's receives end once it has received what was sent;
    /// the receive half stays open.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::{create_memory_object_stream, SendError};
    /// use anyio::streams::{ObjectSendStream, StapledObjectStream};
    ///
    /// # anyio::run(async {
    /// let (tx, _peer_rx) = create_memory_object_stream::<u8>(1);
    /// let (_peer_tx, rx) = create_memory_object_stream::<u8>(1);
    /// let stream = StapledObjectStream::new(tx, rx);
    /// stream.send_eof().await.unwrap();
    /// assert_eq!(stream.send(1).await, Err(SendError::Closed(1)));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::Busy`] while a send through this stream is in flight; nothing is
    /// closed then, and the send goes on.
    ///
    /// # Cancel safety
    ///
    /// As the send half's [`close`](AsyncClose::close).
    pub async fn send_eof(&self) -> Result<(), StreamError> {
        self.sends.ensure_idle()?;
        self.send_stream.close().await;
        Ok(())
    }
}

impl<T, S: Send + Sync, R: ObjectReceiveStream<T>> ObjectReceiveStream<T>
    for StapledObjectStream<S, R>
{
    type Error = R::Error;

    fn receive(&self) -> impl Future<Output = Result<T, R::Error>> + Send + '_ {
        self.receive_stream.receive()
    }
}

impl<T, S: ObjectSendStream<T>, R: Send + Sync> ObjectSendStream<T> for StapledObjectStream<S, R> {
    type Error = S::Error;

    fn send(&self, item: T) -> impl Future<Output = Result<(), S::Error>> + Send + '_ {
        let send = self.send_stream.send(item);
        async move {
            let _in_flight = self.sends.enter();
            send.await
        }
    }
}
