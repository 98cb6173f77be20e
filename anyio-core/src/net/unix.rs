//! Unix stream sockets and listeners.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener as StdUnixListener, UnixStream as StdUnixStream};
use std::path::Path;

use socket2::{Domain, SockAddr, SockRef, Type};

use super::op::{ReadBytes, ReadInto, SendAll};
use super::send_eof::SendEof;
use super::socket::{IoOp, Socket, SocketIo};
use super::stream::{impl_stream_traits, Connected};
use super::{SocketAddress, SocketAttributes};
use crate::backend::{Interest, Reactor, Registration};
use crate::streams::{AsyncClose, Listener, StreamError};

/// A Unix stream connection, as returned by [`connect_unix`] and by a [`UnixListener`]'s
/// accept.
///
/// Receiving and sending take `&self`, so one task can receive while another sends; two
/// concurrent receives (or sends) are [`StreamError::Busy`]. Dropping the stream closes it.
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_unix, create_unix_listener};
///
/// # anyio::run(async {
/// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-stream", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("app.sock");
/// let listener = create_unix_listener(&path).await.unwrap();
/// let client = connect_unix(&path).await.unwrap();
/// let server = listener.accept().await.unwrap();
/// client.send(b"ping").await.unwrap();
/// assert_eq!(&server.receive(4).await.unwrap()[..], b"ping");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }).unwrap();
/// ```
pub struct UnixStream<R: Reactor> {
    inner: Connected<R, StdUnixStream>,
}

/// A receive on a [`UnixStream`], as returned by [`UnixStream::receive`].
pub type UnixReceive<'a, R> = SocketIo<'a, R, StdUnixStream, ReadBytes>;
/// A receive into a buffer on a [`UnixStream`], as returned by [`UnixStream::receive_into`].
pub type UnixReceiveInto<'a, R> = SocketIo<'a, R, StdUnixStream, ReadInto<'a>>;
/// A send on a [`UnixStream`], as returned by [`UnixStream::send`].
pub type UnixSend<'a, R> = SocketIo<'a, R, StdUnixStream, SendAll<'a>>;

impl<R: Reactor> UnixStream<R> {
    /// Wraps a connected standard-library stream, registering it with the runtime serving the
    /// caller; it is made non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::net::UnixStream;
    ///
    /// # anyio::run(async {
    /// let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let (a, b) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
    /// a.send(b"over the pair").await.unwrap();
    /// assert_eq!(&b.receive(64).await.unwrap()[..], b"over the pair");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, or the reactor's when the caller is outside a runtime.
    pub fn from_std(stream: StdUnixStream) -> io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Self::from_socket(Socket::new(stream)?))
    }

    fn from_socket(socket: Socket<R, StdUnixStream>) -> Self {
        Self {
            inner: Connected::new(socket),
        }
    }

    /// Receives at least one and at most `max_bytes` bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::UnixStream;
    /// # anyio::run(async {
    /// # let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// # let (client, server) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
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
    /// [`StreamError::EndOfStream`] once the peer finished sending, `Broken` when it is
    /// gone, `Closed`, `Busy`, and `InvalidArgument` when `max_bytes` is 0.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: bytes leave the socket only in the poll that returns them.
    pub fn receive(&self, max_bytes: usize) -> UnixReceive<'_, R> {
        self.inner.receive(max_bytes)
    }

    /// Receives at least one byte into `buf`, returning how many; no allocation.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::UnixStream;
    /// # anyio::run(async {
    /// # let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// # let (client, server) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
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
    pub fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> UnixReceiveInto<'a, R> {
        self.inner.receive_into(buf)
    }

    /// Sends all of `data`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::UnixStream;
    /// # anyio::run(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// # let client = UnixStream::from_std(a).unwrap();
    /// client.send(b"GET /status\n").await.unwrap();
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
    pub fn send<'a>(&'a self, data: &'a [u8]) -> UnixSend<'a, R> {
        self.inner.send(data)
    }

    /// Finishes sending: the peer's receives end with [`StreamError::EndOfStream`] once it has
    /// everything sent before, while this side can still receive.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::UnixStream;
    /// use anyio::streams::StreamError;
    /// # anyio::run(async {
    /// # let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// # let (client, server) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
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
    /// # use anyio::net::UnixStream;
    /// use anyio::streams::StreamError;
    /// # anyio::run(async {
    /// # let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// # let (client, server) = (UnixStream::from_std(a).unwrap(), UnixStream::from_std(b).unwrap());
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
    /// # use anyio::net::UnixStream;
    /// # anyio::run(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let stream = UnixStream::from_std(a).unwrap();
    /// assert!(!stream.is_closed());
    /// stream.close().await;
    /// assert!(stream.is_closed());
    /// # }).unwrap();
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The standard-library stream, for options anyio does not wrap (peer credentials,
    /// buffer sizes). Reading or writing through it bypasses anyio's readiness tracking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::UnixStream;
    /// # anyio::run(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let stream = UnixStream::from_std(a).unwrap();
    /// assert!(stream.get_ref().take_error().unwrap().is_none());
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &StdUnixStream {
        self.inner.get_ref()
    }
}

impl<R: Reactor> fmt::Debug for UnixStream<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_address().ok())
            .field("remote", &self.remote_address().ok())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<R: Reactor> SocketAttributes for UnixStream<R> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.inner.get_ref().local_addr().map(SocketAddress::from)
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        self.inner.get_ref().peer_addr().map(SocketAddress::from)
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.get_ref().as_raw_fd()
    }
}

impl_stream_traits!(UnixStream, StdUnixStream);

/// Connects to the Unix socket at `path`.
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_unix, create_unix_listener};
///
/// # anyio::run(async {
/// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-connect", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("app.sock");
/// let _listener = create_unix_listener(&path).await.unwrap();
/// let stream = connect_unix(&path).await.unwrap();
/// assert!(!stream.is_closed());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error, with a message naming `path`: for example
/// [`io::ErrorKind::NotFound`] when nothing is there, or
/// [`io::ErrorKind::ConnectionRefused`] when no process listens on it.
///
/// # Cancel safety
///
/// Cancel safe: a connection that has not been returned is closed.
pub async fn connect_unix<R: Reactor>(path: impl AsRef<Path>) -> io::Result<UnixStream<R>> {
    let path = path.as_ref();
    connect_path::<R>(path)
        .await
        .map_err(|error| naming_path(error, "cannot connect to the Unix socket", path))
}

async fn connect_path<R: Reactor>(path: &Path) -> io::Result<UnixStream<R>> {
    let address = SockAddr::unix(path)?;
    let socket = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    socket.set_nonblocking(true)?;
    let pending = match socket.connect(&address) {
        Ok(()) => false,
        Err(error) if error.raw_os_error() == Some(libc::EINPROGRESS) => true,
        // Linux: the listener's backlog is full. A blocking connect waits for room; done off
        // the event loop, since the listener may take its time to accept.
        Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
            return connect_blocking::<R>(path).await;
        }
        Err(error) => return Err(error),
    };
    let socket =
        Socket::<R, StdUnixStream>::new(StdUnixStream::from(std::os::fd::OwnedFd::from(socket)))?;
    if pending {
        poll_fn(|cx| {
            socket
                .registration()
                .poll_io(cx, Interest::Write, |stream| {
                    match SockRef::from(stream).take_error()? {
                        Some(error) => Err(error),
                        None => Ok(()),
                    }
                })
        })
        .await?;
    }
    Ok(UnixStream::from_socket(socket))
}

async fn connect_blocking<R: Reactor>(path: &Path) -> io::Result<UnixStream<R>> {
    let runtime = R::current().map_err(io::Error::other)?;
    let path = path.to_path_buf();
    let stream = runtime
        .spawn_blocking(move || StdUnixStream::connect(path))
        .await
        .unwrap_or_else(|| Err(io::Error::other("the connecting thread panicked")))?;
    UnixStream::from_std(stream)
}

fn naming_path(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{what} {}: {error}", path.display()))
}

/// A Unix socket listener, as returned by [`create_unix_listener`].
///
/// The socket file stays when the listener is closed or dropped (as with AnyIO); the next
/// [`create_unix_listener`] on the same path replaces it.
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_unix, create_unix_listener};
///
/// # anyio::run(async {
/// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-listener", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("app.sock");
/// let listener = create_unix_listener(&path).await.unwrap();
/// let client = connect_unix(&path).await.unwrap();
/// let server_side = listener.accept().await.unwrap();
/// server_side.send(b"welcome").await.unwrap();
/// assert_eq!(&client.receive(16).await.unwrap()[..], b"welcome");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }).unwrap();
/// ```
pub struct UnixListener<R: Reactor> {
    socket: Socket<R, StdUnixListener>,
}

/// An accept on a [`UnixListener`], as returned by [`UnixListener::accept`].
pub type UnixAccept<'a, R> = SocketIo<'a, R, StdUnixListener, AcceptUnix<R>>;

impl<R: Reactor> UnixListener<R> {
    /// Wraps a bound, listening standard-library listener, registering it with the runtime
    /// serving the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::UnixListener;
    ///
    /// # anyio::run(async {
    /// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-from-std", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("app.sock");
    /// let listener = UnixListener::from_std(std::os::unix::net::UnixListener::bind(&path).unwrap())
    ///     .unwrap();
    /// assert_eq!(listener.local_address().unwrap().as_path(), Some(path.as_path()));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, or the reactor's when the caller is outside a runtime.
    pub fn from_std(listener: StdUnixListener) -> io::Result<Self> {
        listener.set_nonblocking(true)?;
        Ok(Self {
            socket: Socket::new(listener)?,
        })
    }

    /// Waits for the next connection.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::net::{connect_unix, create_unix_listener};
    ///
    /// # anyio::run(async {
    /// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-accept", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("app.sock");
    /// let listener = create_unix_listener(&path).await.unwrap();
    /// let _client = connect_unix(&path).await.unwrap();
    /// let accepted = listener.accept().await.unwrap();
    /// assert!(!accepted.is_closed());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `Closed`, `Busy` (another task is accepting), or the operating system's error, such as
    /// running out of file descriptors.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a connection is taken from the listener only in the poll that returns it.
    pub fn accept(&self) -> UnixAccept<'_, R> {
        self.socket.io(
            Interest::Read,
            AcceptUnix {
                runtime: self.socket.runtime(),
            },
        )
    }

    /// Accepts connections until the listener fails or the caller's scope is cancelled,
    /// running `handler` on each in its own task; see [`serve`](crate::streams::serve).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::net::{connect_unix, create_unix_listener};
    ///
    /// # anyio::run(async {
    /// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-serve", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("echo.sock");
    /// let listener = create_unix_listener(&path).await.unwrap();
    /// let server = anyio::move_on_after(Duration::from_millis(200), listener.serve(|conn| async move {
    ///     if let Ok(data) = conn.receive(1024).await {
    ///         let _ = conn.send(&data).await;
    ///     }
    /// }));
    /// let client = async {
    ///     let stream = connect_unix(&path).await.unwrap();
    ///     stream.send(b"echo").await.unwrap();
    ///     stream.receive(1024).await.unwrap()
    /// };
    /// let (_, reply) = futures_util::join!(server, client);
    /// assert_eq!(&reply[..], b"echo");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The listener's error that ended serving, such as [`StreamError::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling it cancels every handler, as for any task group.
    pub async fn serve<H, F>(&self, handler: H) -> Result<(), StreamError>
    where
        H: Fn(UnixStream<R>) -> F,
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        crate::streams::serve::<R, _, _, _>(self, handler).await
    }

    /// Closes the listener; a waiting accept ends with [`StreamError::Closed`]. The socket
    /// file is left in place.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::net::create_unix_listener;
    /// use anyio::streams::StreamError;
    ///
    /// # anyio::run(async {
    /// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-close", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("app.sock");
    /// let listener = create_unix_listener(&path).await.unwrap();
    /// listener.close().await;
    /// assert!(matches!(listener.accept().await, Err(StreamError::Closed)));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it completes at once.
    pub fn close(&self) -> std::future::Ready<()> {
        // A waiting accept is woken by the socket itself; the kernel has nothing to end.
        self.socket.close(|_| {});
        std::future::ready(())
    }

    /// The standard-library listener, for options anyio does not wrap.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::net::create_unix_listener;
    ///
    /// # anyio::run(async {
    /// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-get-ref", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("app.sock");
    /// let listener = create_unix_listener(&path).await.unwrap();
    /// assert!(listener.get_ref().local_addr().unwrap().as_pathname().is_some());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &StdUnixListener {
        self.socket.get_ref()
    }
}

impl<R: Reactor> fmt::Debug for UnixListener<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local", &self.local_address().ok())
            .field("closed", &self.socket.is_closed())
            .finish()
    }
}

impl<R: Reactor> SocketAttributes for UnixListener<R> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.socket.get_ref().local_addr().map(SocketAddress::from)
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        Err(io::ErrorKind::NotConnected.into())
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.socket.get_ref().as_raw_fd()
    }
}

impl<R: Reactor> Listener for UnixListener<R> {
    type Stream = UnixStream<R>;

    #[allow(refining_impl_trait)]
    fn accept(&self) -> UnixAccept<'_, R> {
        UnixListener::accept(self)
    }
}

impl<R: Reactor> AsyncClose for UnixListener<R> {
    #[allow(refining_impl_trait)]
    fn close(&self) -> std::future::Ready<()> {
        UnixListener::close(self)
    }
}

/// Accepts one Unix connection and registers it with the listener's runtime.
pub struct AcceptUnix<R> {
    runtime: R,
}

impl<R: fmt::Debug> fmt::Debug for AcceptUnix<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcceptUnix")
            .field("runtime", &self.runtime)
            .finish()
    }
}

impl<R: Reactor> IoOp<StdUnixListener> for AcceptUnix<R> {
    type Output = UnixStream<R>;

    fn attempt(&mut self, listener: &StdUnixListener) -> io::Result<UnixStream<R>> {
        let (stream, _) = listener.accept()?;
        stream.set_nonblocking(true)?;
        Ok(UnixStream::from_socket(Socket::with_runtime(
            self.runtime,
            stream,
        )?))
    }
}

/// Creates a Unix socket listener at `path`.
///
/// When `path` is a socket file no process listens on (left by a listener that was not
/// cleaned up), it is replaced, as AnyIO does. Unlike AnyIO, a socket some process still
/// listens on is not taken over: it is [`io::ErrorKind::AddrInUse`]. Telling the two apart
/// takes a connection attempt, which that process sees as a connection closed without data.
/// Any other kind of file is [`io::ErrorKind::AlreadyExists`]. Neither is removed.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_unix_listener;
///
/// # anyio::run(async {
/// # let dir = std::env::temp_dir().join(format!("anyio-doc-{}-create", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("app.sock");
/// let listener = create_unix_listener(&path).await.unwrap();
/// assert_eq!(listener.local_address().unwrap().as_path(), Some(path.as_path()));
/// drop(listener);
/// // The socket file is stale now: a new listener replaces it.
/// let _again = create_unix_listener(&path).await.unwrap();
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// `AlreadyExists` or `AddrInUse` as above, and otherwise the operating system's error; every
/// message names `path`.
///
/// # Cancel safety
///
/// Cancel safe: it completes in its first poll (binding never waits).
pub async fn create_unix_listener<R: Reactor>(
    path: impl AsRef<Path>,
) -> io::Result<UnixListener<R>> {
    let path = path.as_ref();
    remove_stale_socket(path)?;
    let listener = StdUnixListener::bind(path)
        .map_err(|error| naming_path(error, "cannot listen on the Unix socket", path))?;
    UnixListener::from_std(listener)
}

fn remove_stale_socket(path: &Path) -> io::Result<()> {
    let file_type = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata.file_type(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(naming_path(error, "cannot inspect", path)),
    };
    if !file_type.is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "{} exists and is not a socket: remove it or choose another path for the listener",
                path.display()
            ),
        ));
    }
    let probe = socket2::Socket::new(Domain::UNIX, Type::STREAM, None)?;
    probe.set_nonblocking(true)?;
    match probe.connect(&SockAddr::unix(path)?) {
        Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path)
                .map_err(|error| naming_path(error, "cannot remove the stale socket", path))
        }
        Err(error)
            if error.raw_os_error() != Some(libc::EINPROGRESS)
                && error.kind() != io::ErrorKind::WouldBlock =>
        {
            Err(naming_path(error, "cannot probe the existing socket", path))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "a process is listening on {}: stop it or choose another path",
                path.display()
            ),
        )),
    }
}
