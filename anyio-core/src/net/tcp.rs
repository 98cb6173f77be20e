//! TCP streams and listeners.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;

use socket2::{Domain, Protocol, SockRef, Type};

use super::op::{ReadBytes, ReadInto, SendAll};
use super::send_eof::SendEof;
use super::socket::{Socket, SocketIo};
use super::stream::{impl_stream_traits, Connected};
use super::{SocketAddress, SocketAttributes};
use crate::backend::{Interest, Reactor, Registration};
#[cfg(doc)]
use crate::streams::StreamError;

/// A TCP connection, as returned by [`connect_tcp`](super::connect_tcp) and by a
/// [`TcpListener`](super::TcpListener)'s accept.
///
/// Receiving and sending take `&self`, so one task can receive while another sends (share
/// the stream by reference or in an `Arc`); two concurrent receives (or sends) are
/// [`StreamError::Busy`]. `TCP_NODELAY` is on. Dropping the stream closes it.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{connect_tcp, create_tcp_listener};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let client = connect_tcp("127.0.0.1", port).await.unwrap();
/// let server = listener.accept().await.unwrap();
/// client.send(b"ping").await.unwrap();
/// assert_eq!(&server.receive(4).await.unwrap()[..], b"ping");
/// # }).unwrap();
/// ```
pub struct TcpStream<R: Reactor> {
    inner: Connected<R, std::net::TcpStream>,
}

/// A receive on a [`TcpStream`], as returned by [`TcpStream::receive`].
pub type TcpReceive<'a, R> = SocketIo<'a, R, std::net::TcpStream, ReadBytes>;
/// A receive into a buffer on a [`TcpStream`], as returned by [`TcpStream::receive_into`].
pub type TcpReceiveInto<'a, R> = SocketIo<'a, R, std::net::TcpStream, ReadInto<'a>>;
/// A send on a [`TcpStream`], as returned by [`TcpStream::send`].
pub type TcpSend<'a, R> = SocketIo<'a, R, std::net::TcpStream, SendAll<'a>>;

impl<R: Reactor> TcpStream<R> {
    /// Wraps a connected standard-library stream, registering it with the runtime serving the
    /// caller; it is made non-blocking and `TCP_NODELAY` is set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::TcpStream;
    ///
    /// # anyio::run(async {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let stream = TcpStream::from_std(std_stream).unwrap();
    /// assert_eq!(stream.remote_port(), Some(listener.local_addr().unwrap().port()));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, or the reactor's when the caller is outside a runtime.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        stream.set_nodelay(true)?;
        Ok(Self::from_socket(Socket::new(stream)?))
    }

    pub(crate) fn from_socket(socket: Socket<R, std::net::TcpStream>) -> Self {
        Self {
            inner: Connected::new(socket),
        }
    }

    /// Receives at least one and at most `max_bytes` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// # let server = listener.accept().await.unwrap();
    /// client.send(b"hello").await.unwrap();
    /// client.send_eof().await.unwrap();
    /// let mut received = Vec::new();
    /// while let Ok(chunk) = server.receive(2).await {
    ///     received.extend_from_slice(&chunk);
    /// }
    /// assert_eq!(received, b"hello");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::EndOfStream`] once the peer finished sending, `Broken` when it reset
    /// the connection, `Closed`, `Busy`, and `InvalidArgument` when `max_bytes` is 0.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes leave the socket only in the poll that returns them.
    pub fn receive(&self, max_bytes: usize) -> TcpReceive<'_, R> {
        self.inner.receive(max_bytes)
    }

    /// Receives at least one byte into `buf`, returning how many; no allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// # let server = listener.accept().await.unwrap();
    /// client.send(b"hi").await.unwrap();
    /// let mut buf = [0; 16];
    /// let n = server.receive_into(&mut buf).await.unwrap();
    /// assert_eq!(&buf[..n], &b"hi"[..n]);
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As [`receive`](Self::receive); `InvalidArgument` when `buf` is empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive`](Self::receive).
    pub fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> TcpReceiveInto<'a, R> {
        self.inner.receive_into(buf)
    }

    /// Sends all of `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// client.send(b"GET / HTTP/1.0\r\n\r\n").await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `Broken` when the peer is gone, `Closed` (also after [`send_eof`](Self::send_eof)),
    /// `Busy`.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled send may have sent a prefix of `data`.
    pub fn send<'a>(&'a self, data: &'a [u8]) -> TcpSend<'a, R> {
        self.inner.send(data)
    }

    /// Finishes sending: the peer's receives end with [`StreamError::EndOfStream`] once it has
    /// everything sent before, while this side can still receive.
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
    /// # let server = listener.accept().await.unwrap();
    /// client.send_eof().await.unwrap();
    /// assert!(matches!(server.receive(16).await, Err(StreamError::EndOfStream)));
    /// server.send(b"still open").await.unwrap();
    /// assert_eq!(&client.receive(16).await.unwrap()[..], b"still open");
    /// # }).unwrap();
    /// ```
    ///
    /// One task sends at a time (as in Trio): while another task's [`send`](Self::send) is in
    /// progress, `send_eof` is [`StreamError::Busy`] and changes nothing, and the send goes on.
    ///
    /// # Errors
    ///
    /// `Closed` when the stream was closed, `Busy` while a send is in progress, `Broken` when
    /// the peer is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it completes at once.
    pub fn send_eof(&self) -> SendEof<'_> {
        self.inner.send_eof()
    }

    /// Closes the stream: waiting receives and sends end with [`StreamError::Closed`], and the
    /// peer sees the end of the stream. The descriptor is released when the stream is
    /// dropped.
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
    /// # let server = listener.accept().await.unwrap();
    /// client.close().await;
    /// assert!(matches!(client.receive(1).await, Err(StreamError::Closed)));
    /// assert!(matches!(server.receive(1).await, Err(StreamError::EndOfStream)));
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it completes at once.
    pub fn close(&self) -> std::future::Ready<()> {
        self.inner.close()
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// # let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// assert!(!client.is_closed());
    /// client.close().await;
    /// assert!(client.is_closed());
    /// # }).unwrap();
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The standard-library stream, for options anyio does not wrap. Reading or writing
    /// through it bypasses anyio's readiness tracking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// assert!(client.get_ref().nodelay().unwrap());
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &std::net::TcpStream {
        self.inner.get_ref()
    }
}

impl<R: Reactor> fmt::Debug for TcpStream<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.inner.get_ref().local_addr().ok())
            .field("remote", &self.inner.get_ref().peer_addr().ok())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<R: Reactor> SocketAttributes for TcpStream<R> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.inner.get_ref().local_addr().map(SocketAddress::Inet)
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        self.inner.get_ref().peer_addr().map(SocketAddress::Inet)
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl_stream_traits!(TcpStream, std::net::TcpStream);

/// Connects one TCP socket to `address`, optionally bound to `local` first; the building
/// block of happy eyeballs.
pub(crate) async fn connect_addr<R: Reactor>(
    address: SocketAddr,
    local: Option<SocketAddr>,
) -> io::Result<TcpStream<R>> {
    let socket = socket2::Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(true)?;
    if let Some(local) = local {
        socket.bind(&local.into())?;
    }
    match socket.connect(&address.into()) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
        Err(error) => return Err(error),
    }
    let socket = Socket::<R, std::net::TcpStream>::new(std::net::TcpStream::from(socket))?;
    poll_fn(|cx| {
        socket
            .registration()
            .poll_io(cx, Interest::Write, |stream| {
                if let Some(error) = SockRef::from(stream).take_error()? {
                    return Err(error);
                }
                match stream.peer_addr() {
                    Ok(_) => Ok(()),
                    // Still connecting: wait for the socket to become writable.
                    Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                        Err(io::ErrorKind::WouldBlock.into())
                    }
                    Err(error) => Err(error),
                }
            })
    })
    .await?;
    Ok(TcpStream::from_socket(socket))
}
