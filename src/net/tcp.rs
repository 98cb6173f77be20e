//! TCP on the backend in use.

use std::io;

use anyio_core::net as core;

use crate::AnyRuntime;

/// A TCP connection on the backend in use; see [`anyio_core::net::TcpStream`].
pub type TcpStream = core::TcpStream<AnyRuntime>;

/// A TCP listener on the backend in use; see [`anyio_core::net::TcpListener`].
pub type TcpListener = core::TcpListener<AnyRuntime>;

/// Connects to `host` (a name or a literal IP address) on `port`; see
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
/// The resolver's or the connection's error.
///
/// # Cancel safety
///
/// Cancel safe: a connection that has not been returned is closed.
pub async fn connect_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    core::connect_tcp::<AnyRuntime>(host, port).await
}

/// Creates a TCP listener; see [`anyio_core::net::create_tcp_listener`].
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
/// The resolver's or the operating system's error.
pub async fn create_tcp_listener(host: Option<&str>, port: u16) -> io::Result<TcpListener> {
    core::create_tcp_listener::<AnyRuntime>(host, port).await
}
