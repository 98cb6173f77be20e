//! TCP and name resolution on the backend in use.

use std::io;
use std::net::SocketAddr;

use anyio_core::net as core;
pub use anyio_core::net::{ConnectAttempt, ConnectError, ResolveError};

use crate::AnyRuntime;

/// A TCP connection on the backend in use; see [`anyio_core::net::TcpStream`].
pub type TcpStream = core::TcpStream<AnyRuntime>;

/// A TCP listener on the backend in use; see [`anyio_core::net::TcpListener`].
pub type TcpListener = core::TcpListener<AnyRuntime>;

/// An accept on a [`TcpListener`]; see [`anyio_core::net::TcpAccept`].
pub type TcpAccept<'a> = core::TcpAccept<'a, AnyRuntime>;

/// A TCP connection to open, with options, on the backend in use; see
/// [`anyio_core::net::TcpConnect`].
pub type TcpConnect = core::TcpConnect<AnyRuntime>;

/// A TCP connection being opened on the backend in use; see
/// [`anyio_core::net::ConnectTcp`].
pub type ConnectTcp = core::ConnectTcp<AnyRuntime>;

/// Connects to `host` (a name or a literal IP address) on `port` with happy eyeballs; see
/// [`anyio_core::net::connect_tcp`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{connect_tcp, create_tcp_listener};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let stream = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
/// assert_eq!(stream.remote_port(), listener.local_port());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ConnectError`]: port 0, a host that cannot be resolved, or every address tried with its
/// error.
///
/// # Cancel safety
///
/// Cancel safe: every socket still connecting is closed.
pub fn connect_tcp(host: &str, port: u16) -> ConnectTcp {
    core::connect_tcp::<AnyRuntime>(host, port)
}

/// Creates a TCP listener on every address of `host` (all interfaces when `None`), sharing
/// one port; see [`anyio_core::net::create_tcp_listener`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_tcp_listener;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// assert!(listener.local_port().is_some());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The resolver's or the operating system's error, naming the address.
///
/// # Cancel safety
///
/// Cancel safe: nothing is bound until the host is resolved.
pub async fn create_tcp_listener(host: Option<&str>, port: u16) -> io::Result<TcpListener> {
    core::create_tcp_listener::<AnyRuntime>(host, port).await
}

/// Resolves `host` and `port` to socket addresses, off the event loop; see
/// [`anyio_core::net::resolve`].
///
/// # Examples
///
/// ```
/// use anyio::net::resolve;
///
/// # anyio::run(async {
/// let addresses = resolve("127.0.0.1", 80).await.unwrap();
/// assert_eq!(addresses, ["127.0.0.1:80".parse().unwrap()]);
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ResolveError`]: a host no resolver could answer, a failed lookup, or no address.
///
/// # Cancel safety
///
/// Cancel safe: a cancelled lookup's answer is dropped.
pub async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
    core::resolve::<AnyRuntime>(host, port).await
}
