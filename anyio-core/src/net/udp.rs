//! UDP sockets: unconnected ones, which exchange datagrams with any address, and connected
//! ones, which exchange them with one peer.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use bytes::Bytes;

use super::scratch::{read_to_bytes, SCRATCH_SIZE};
use super::socket::{IoOp, Socket, SocketIo};
use super::{SocketAddress, SocketAttributes};
use crate::backend::{Interest, Reactor};
use crate::streams::{AsyncClose, ObjectReceiveStream, ObjectSendStream, StreamError};

/// The largest UDP payload anyio sends: what fits in one IPv4 datagram (65,535 bytes less the
/// IP and UDP headers).
///
/// # Examples
///
/// ```
/// assert_eq!(anyio::net::MAX_DATAGRAM_SIZE, 65_507);
/// ```
pub const MAX_DATAGRAM_SIZE: usize = 65_507;

// Receives read into the thread's scratch buffer, which is larger than any UDP payload, so a
// receive never cuts a datagram short.
const _: () = assert!(SCRATCH_SIZE > MAX_DATAGRAM_SIZE);

const DATAGRAM_TOO_LARGE: &str =
    "the datagram is larger than MAX_DATAGRAM_SIZE (65507 bytes): split it into smaller ones";

/// The registered socket of a [`UdpSocket`] or a [`ConnectedUdpSocket`].
struct Datagrams<R: Reactor> {
    socket: Socket<R, std::net::UdpSocket>,
}

impl<R: Reactor> Datagrams<R> {
    fn new(socket: std::net::UdpSocket) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket: Socket::new(socket)?,
        })
    }

    fn close(&self) -> std::future::Ready<()> {
        // Nothing for the kernel to end: the waiting tasks are woken by the socket itself.
        self.socket.close(|_| {});
        std::future::ready(())
    }

    fn fmt_fields(&self, f: &mut fmt::DebugStruct<'_, '_>) {
        f.field("local", &self.socket.get_ref().local_addr().ok())
            .field("remote", &self.socket.get_ref().peer_addr().ok())
            .field("closed", &self.socket.is_closed());
    }
}

/// An unconnected UDP socket, as returned by [`create_udp_socket`]: it sends datagrams to,
/// and receives them from, any address.
///
/// Receiving and sending take `&self`, so one task can receive while another sends; two
/// concurrent receives (or sends) are [`StreamError::Busy`]. As an object stream it receives
/// and sends `(payload, address)` pairs. Dropping the socket closes it.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_udp_socket;
///
/// # anyio::run(async {
/// let a = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
/// let b = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
/// let b_address = b.local_address().unwrap().as_inet().unwrap();
/// a.send_to(b"ping", b_address).await.unwrap();
/// let (payload, sender) = b.receive_from().await.unwrap();
/// assert_eq!(&payload[..], b"ping");
/// assert_eq!(Some(sender.port()), a.local_port());
/// # }).unwrap();
/// ```
pub struct UdpSocket<R: Reactor> {
    inner: Datagrams<R>,
}

/// A receive on a [`UdpSocket`], as returned by [`UdpSocket::receive_from`].
pub type UdpReceiveFrom<'a, R> = SocketIo<'a, R, std::net::UdpSocket, ReceiveDatagramFrom>;
/// A send on a UDP socket, as returned by [`UdpSocket::send_to`] and
/// [`ConnectedUdpSocket::send`].
pub type UdpSend<'a, R> = SocketIo<'a, R, std::net::UdpSocket, SendDatagram<'a>>;
/// A receive on a [`ConnectedUdpSocket`], as returned by [`ConnectedUdpSocket::receive`].
pub type UdpReceive<'a, R> = SocketIo<'a, R, std::net::UdpSocket, ReceiveDatagram>;

impl<R: Reactor> UdpSocket<R> {
    /// Wraps a bound standard-library socket, registering it with the runtime serving the
    /// caller; it is made non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::UdpSocket;
    ///
    /// # anyio::run(async {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let port = std_socket.local_addr().unwrap().port();
    /// let socket = UdpSocket::from_std(std_socket).unwrap();
    /// assert_eq!(socket.local_port(), Some(port));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, or the reactor's when the caller is outside a runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<Self> {
        Ok(Self {
            inner: Datagrams::new(socket)?,
        })
    }

    /// Receives the next datagram and the address it came from. The payload is never cut
    /// short: receives read into a buffer larger than any UDP payload.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::create_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// let own_address = socket.local_address().unwrap().as_inet().unwrap();
    /// socket.send_to(b"to myself", own_address).await.unwrap();
    /// let (payload, from) = socket.receive_from().await.unwrap();
    /// assert_eq!((&payload[..], from), (&b"to myself"[..], own_address));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `Closed`, `Busy` (another task is receiving), or the operating system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram leaves the socket only in the poll that returns it.
    pub fn receive_from(&self) -> UdpReceiveFrom<'_, R> {
        self.inner.socket.io(Interest::Read, ReceiveDatagramFrom)
    }

    /// Sends `data` as one datagram to `address`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// let nobody = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// socket.send_to(b"hello", nobody.local_addr().unwrap()).await.unwrap();
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `data` is longer than [`MAX_DATAGRAM_SIZE`], `Closed`, `Busy`
    /// (another task is sending), or the operating system's error, for example when
    /// `address` is of the other IP family than the socket.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is sent whole, in the poll that completes the send, or not at
    /// all.
    pub fn send_to<'a>(&'a self, data: &'a [u8], address: SocketAddr) -> UdpSend<'a, R> {
        self.inner.socket.io(
            Interest::Write,
            SendDatagram {
                data,
                to: Some(address),
            },
        )
    }

    /// Sends `data` as one datagram to `host` (a name or a literal IP address) on `port`;
    /// a name is resolved first, off the event loop, and its first address of the socket's IP
    /// family is used.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::create_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// let port = socket.local_port().unwrap();
    /// socket.send_to_host(b"hi", "127.0.0.1", port).await.unwrap();
    /// assert_eq!(&socket.receive_from().await.unwrap().0[..], b"hi");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The resolver's error (as [`StreamError::Io`]), or as [`send_to`](Self::send_to).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`send_to`](Self::send_to).
    pub async fn send_to_host(
        &self,
        data: &[u8],
        host: &str,
        port: u16,
    ) -> Result<(), StreamError> {
        let addresses = resolve::<R>(host, port).await?;
        let ipv4 = self.get_ref().local_addr()?.is_ipv4();
        let address = addresses
            .iter()
            .copied()
            .find(|address| address.is_ipv4() == ipv4)
            .unwrap_or(addresses[0]);
        self.send_to(data, address).await
    }

    /// Closes the socket: waiting receives and sends end with [`StreamError::Closed`]. The
    /// descriptor is released when the socket is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_udp_socket;
    /// use anyio::streams::StreamError;
    /// # anyio::run(async {
    /// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// socket.close().await;
    /// assert!(matches!(socket.receive_from().await, Err(StreamError::Closed)));
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
    /// # use anyio::net::create_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// assert!(!socket.is_closed());
    /// socket.close().await;
    /// assert!(socket.is_closed());
    /// # }).unwrap();
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.socket.is_closed()
    }

    /// The standard-library socket, for options anyio does not wrap (broadcast, multicast,
    /// TTL). Receiving or sending through it bypasses anyio's readiness tracking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// socket.get_ref().set_broadcast(true).unwrap();
    /// assert!(socket.get_ref().broadcast().unwrap());
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &std::net::UdpSocket {
        self.inner.socket.get_ref()
    }
}

impl<R: Reactor> fmt::Debug for UdpSocket<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("UdpSocket");
        self.inner.fmt_fields(&mut debug);
        debug.finish()
    }
}

impl<R: Reactor> SocketAttributes for UdpSocket<R> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.get_ref().local_addr().map(SocketAddress::Inet)
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        Err(io::ErrorKind::NotConnected.into())
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<R: Reactor> ObjectReceiveStream<(Bytes, SocketAddr)> for UdpSocket<R> {
    type Error = StreamError;

    #[allow(refining_impl_trait)]
    fn receive(&self) -> UdpReceiveFrom<'_, R> {
        self.receive_from()
    }
}

impl<R: Reactor> ObjectSendStream<(Bytes, SocketAddr)> for UdpSocket<R> {
    type Error = StreamError;

    async fn send(&self, (data, address): (Bytes, SocketAddr)) -> Result<(), StreamError> {
        self.send_to(&data, address).await
    }
}

impl<R: Reactor> AsyncClose for UdpSocket<R> {
    #[allow(refining_impl_trait)]
    fn close(&self) -> std::future::Ready<()> {
        UdpSocket::close(self)
    }
}

/// A UDP socket connected to one peer, as returned by [`create_connected_udp_socket`]: it
/// sends only to that peer and receives only from it.
///
/// Busy and close behave as for [`UdpSocket`]. As an object stream it receives and sends
/// payloads.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{create_connected_udp_socket, create_udp_socket};
///
/// # anyio::run(async {
/// let server = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
/// let port = server.local_port().unwrap();
/// let client = create_connected_udp_socket("127.0.0.1", port, None, 0).await.unwrap();
/// client.send(b"ping").await.unwrap();
/// let (payload, from) = server.receive_from().await.unwrap();
/// server.send_to(&payload, from).await.unwrap();
/// assert_eq!(&client.receive().await.unwrap()[..], b"ping");
/// # }).unwrap();
/// ```
pub struct ConnectedUdpSocket<R: Reactor> {
    inner: Datagrams<R>,
}

impl<R: Reactor> ConnectedUdpSocket<R> {
    /// Wraps a connected standard-library socket, registering it with the runtime serving
    /// the caller; it is made non-blocking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::ConnectedUdpSocket;
    ///
    /// # anyio::run(async {
    /// let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// std_socket.connect(peer.local_addr().unwrap()).unwrap();
    /// let socket = ConnectedUdpSocket::from_std(std_socket).unwrap();
    /// assert_eq!(socket.remote_port(), Some(peer.local_addr().unwrap().port()));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotConnected`] when `socket` has no peer (wrap it in a [`UdpSocket`]
    /// instead, or connect it first); the operating system's error, or the reactor's when
    /// the caller is outside a runtime.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<Self> {
        if let Err(error) = socket.peer_addr() {
            return Err(io::Error::new(
                error.kind(),
                "the UDP socket is not connected: connect it first, or wrap it in a UdpSocket",
            ));
        }
        Ok(Self {
            inner: Datagrams::new(socket)?,
        })
    }

    /// Receives the next datagram from the peer. The payload is never cut short.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{create_connected_udp_socket, create_udp_socket};
    /// # anyio::run(async {
    /// let server = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// let client = create_connected_udp_socket("127.0.0.1", server.local_port().unwrap(), None, 0)
    ///     .await
    ///     .unwrap();
    /// let client_address = client.local_address().unwrap().as_inet().unwrap();
    /// server.send_to(b"welcome", client_address).await.unwrap();
    /// assert_eq!(&client.receive().await.unwrap()[..], b"welcome");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `Closed`, `Busy` (another task is receiving), or the operating system's error, such
    /// as [`io::ErrorKind::ConnectionRefused`] after an earlier datagram found no listener.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram leaves the socket only in the poll that returns it.
    pub fn receive(&self) -> UdpReceive<'_, R> {
        self.inner.socket.io(Interest::Read, ReceiveDatagram)
    }

    /// Sends `data` as one datagram to the peer.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{create_connected_udp_socket, create_udp_socket};
    /// # anyio::run(async {
    /// let server = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    /// let client = create_connected_udp_socket("127.0.0.1", server.local_port().unwrap(), None, 0)
    ///     .await
    ///     .unwrap();
    /// client.send(b"hello").await.unwrap();
    /// assert_eq!(&server.receive_from().await.unwrap().0[..], b"hello");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidArgument` when `data` is longer than [`MAX_DATAGRAM_SIZE`], `Closed`, `Busy`
    /// (another task is sending), or the operating system's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is sent whole, in the poll that completes the send, or not at
    /// all.
    pub fn send<'a>(&'a self, data: &'a [u8]) -> UdpSend<'a, R> {
        self.inner
            .socket
            .io(Interest::Write, SendDatagram { data, to: None })
    }

    /// Closes the socket: waiting receives and sends end with [`StreamError::Closed`]. The
    /// descriptor is released when the socket is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_connected_udp_socket;
    /// use anyio::streams::StreamError;
    /// # anyio::run(async {
    /// let socket = create_connected_udp_socket("127.0.0.1", 9, None, 0).await.unwrap();
    /// socket.close().await;
    /// assert!(matches!(socket.send(b"late").await, Err(StreamError::Closed)));
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
    /// # use anyio::net::create_connected_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_connected_udp_socket("127.0.0.1", 9, None, 0).await.unwrap();
    /// assert!(!socket.is_closed());
    /// socket.close().await;
    /// assert!(socket.is_closed());
    /// # }).unwrap();
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.socket.is_closed()
    }

    /// The standard-library socket, for options anyio does not wrap. Receiving or sending
    /// through it bypasses anyio's readiness tracking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_connected_udp_socket;
    /// # anyio::run(async {
    /// let socket = create_connected_udp_socket("127.0.0.1", 9, None, 0).await.unwrap();
    /// assert_eq!(socket.get_ref().peer_addr().unwrap().port(), 9);
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &std::net::UdpSocket {
        self.inner.socket.get_ref()
    }
}

impl<R: Reactor> fmt::Debug for ConnectedUdpSocket<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ConnectedUdpSocket");
        self.inner.fmt_fields(&mut debug);
        debug.finish()
    }
}

impl<R: Reactor> SocketAttributes for ConnectedUdpSocket<R> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.get_ref().local_addr().map(SocketAddress::Inet)
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        self.get_ref().peer_addr().map(SocketAddress::Inet)
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<R: Reactor> ObjectReceiveStream<Bytes> for ConnectedUdpSocket<R> {
    type Error = StreamError;

    #[allow(refining_impl_trait)]
    fn receive(&self) -> UdpReceive<'_, R> {
        ConnectedUdpSocket::receive(self)
    }
}

impl<R: Reactor> ObjectSendStream<Bytes> for ConnectedUdpSocket<R> {
    type Error = StreamError;

    async fn send(&self, data: Bytes) -> Result<(), StreamError> {
        ConnectedUdpSocket::send(self, &data).await
    }
}

impl<R: Reactor> AsyncClose for ConnectedUdpSocket<R> {
    #[allow(refining_impl_trait)]
    fn close(&self) -> std::future::Ready<()> {
        ConnectedUdpSocket::close(self)
    }
}

/// Creates an unconnected UDP socket bound to `local_host` (all IPv4 interfaces when `None`;
/// pass `Some("::")` or `Some("::1")` for IPv6) and `local_port` (any free port when 0).
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_udp_socket;
///
/// # anyio::run(async {
/// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
/// assert_ne!(socket.local_port(), Some(0));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The resolver's or the operating system's error, such as
/// [`io::ErrorKind::AddrInUse`].
///
/// # Cancel safety
///
/// Cancel safe: nothing is bound until the host is resolved, and binding completes at once.
pub async fn create_udp_socket<R: Reactor>(
    local_host: Option<&str>,
    local_port: u16,
) -> io::Result<UdpSocket<R>> {
    let addresses = resolve::<R>(local_host.unwrap_or("0.0.0.0"), local_port).await?;
    UdpSocket::from_std(std::net::UdpSocket::bind(&addresses[..])?)
}

/// Creates a UDP socket connected to `remote_host` (a name or a literal IP address) on
/// `remote_port`, bound to `local_host` (the wildcard address of the peer's family when
/// `None`) and `local_port` (any free port when 0). The resolved addresses are tried in
/// order until one can be bound and connected to.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_connected_udp_socket;
///
/// # anyio::run(async {
/// let socket = create_connected_udp_socket("127.0.0.1", 5353, Some("127.0.0.1"), 0)
///     .await
///     .unwrap();
/// assert_eq!(socket.remote_port(), Some(5353));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The resolver's or the operating system's error for the last address tried.
///
/// # Cancel safety
///
/// Cancel safe: nothing is bound until the hosts are resolved, and binding and connecting
/// complete at once.
pub async fn create_connected_udp_socket<R: Reactor>(
    remote_host: &str,
    remote_port: u16,
    local_host: Option<&str>,
    local_port: u16,
) -> io::Result<ConnectedUdpSocket<R>> {
    let remotes = resolve::<R>(remote_host, remote_port).await?;
    let locals = match local_host {
        Some(host) => Some(resolve::<R>(host, local_port).await?),
        None => None,
    };
    let mut last = None;
    for remote in remotes {
        let local = match &locals {
            Some(locals) => locals
                .iter()
                .copied()
                .find(|local| local.is_ipv4() == remote.is_ipv4())
                .unwrap_or(locals[0]),
            None => SocketAddr::new(wildcard_like(remote.ip()), local_port),
        };
        let attempt = std::net::UdpSocket::bind(local).and_then(|socket| {
            socket.connect(remote)?;
            Ok(socket)
        });
        match attempt {
            Ok(socket) => return ConnectedUdpSocket::from_std(socket),
            Err(error) => last = Some(error),
        }
    }
    Err(last.unwrap_or_else(|| no_addresses(remote_host)))
}

fn wildcard_like(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    }
}

fn no_addresses(host: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{host:?} resolved to no addresses"),
    )
}

/// Resolves `host` with the shared resolver, for the `io::Result` APIs of this module.
async fn resolve<R: Reactor>(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok(super::dns::resolve::<R>(host, port).await?)
}

/// Receives one datagram and its sender, as a [`Bytes`] of exactly the datagram's length.
#[derive(Debug)]
pub struct ReceiveDatagramFrom;

impl IoOp<std::net::UdpSocket> for ReceiveDatagramFrom {
    type Output = (Bytes, SocketAddr);

    fn attempt(&mut self, socket: &std::net::UdpSocket) -> io::Result<(Bytes, SocketAddr)> {
        read_to_bytes(SCRATCH_SIZE, |buffer| socket.recv_from(buffer))
    }
}

/// Receives one datagram from a connected socket's peer, as a [`Bytes`] of exactly the
/// datagram's length.
#[derive(Debug)]
pub struct ReceiveDatagram;

impl IoOp<std::net::UdpSocket> for ReceiveDatagram {
    type Output = Bytes;

    fn attempt(&mut self, socket: &std::net::UdpSocket) -> io::Result<Bytes> {
        let (bytes, ()) = read_to_bytes(SCRATCH_SIZE, |buffer| Ok((socket.recv(buffer)?, ())))?;
        Ok(bytes)
    }
}

/// Sends one datagram, to the given address or to a connected socket's peer.
pub struct SendDatagram<'a> {
    data: &'a [u8],
    to: Option<SocketAddr>,
}

impl fmt::Debug for SendDatagram<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendDatagram")
            .field("len", &self.data.len())
            .field("to", &self.to)
            .finish()
    }
}

impl IoOp<std::net::UdpSocket> for SendDatagram<'_> {
    type Output = ();

    fn validate(&self) -> Result<(), StreamError> {
        if self.data.len() > MAX_DATAGRAM_SIZE {
            return Err(StreamError::invalid_argument(DATAGRAM_TOO_LARGE));
        }
        Ok(())
    }

    fn attempt(&mut self, socket: &std::net::UdpSocket) -> io::Result<()> {
        // A datagram socket sends the whole datagram or fails; there is no partial send.
        match self.to {
            Some(address) => socket.send_to(self.data, address)?,
            None => socket.send(self.data)?,
        };
        Ok(())
    }
}
