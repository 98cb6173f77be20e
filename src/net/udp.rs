//! UDP on the backend in use.

use std::io;

use anyio_core::net as core;

use crate::AnyRuntime;

pub use anyio_core::net::MAX_DATAGRAM_SIZE;

/// An unconnected UDP socket on the backend in use; see [`anyio_core::net::UdpSocket`].
pub type UdpSocket = core::UdpSocket<AnyRuntime>;

/// A connected UDP socket on the backend in use; see
/// [`anyio_core::net::ConnectedUdpSocket`].
pub type ConnectedUdpSocket = core::ConnectedUdpSocket<AnyRuntime>;

/// Creates an unconnected UDP socket; see [`anyio_core::net::create_udp_socket`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_udp_socket;
///
/// # anyio::run(async {
/// let socket = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
/// let own_address = socket.local_address().unwrap().as_inet().unwrap();
/// socket.send_to(b"echo", own_address).await.unwrap();
/// assert_eq!(&socket.receive_from().await.unwrap().0[..], b"echo");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The resolver's or the operating system's error.
///
/// # Cancel safety
///
/// Cancel safe, as [`anyio_core::net::create_udp_socket`].
pub async fn create_udp_socket(local_host: Option<&str>, local_port: u16) -> io::Result<UdpSocket> {
    core::create_udp_socket::<AnyRuntime>(local_host, local_port).await
}

/// Creates a connected UDP socket; see [`anyio_core::net::create_connected_udp_socket`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{create_connected_udp_socket, create_udp_socket};
///
/// # anyio::run(async {
/// let server = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
/// let client = create_connected_udp_socket("127.0.0.1", server.local_port().unwrap(), None, 0)
///     .await
///     .unwrap();
/// client.send(b"hello").await.unwrap();
/// let (payload, from) = server.receive_from().await.unwrap();
/// assert_eq!((&payload[..], Some(from.port())), (&b"hello"[..], client.local_port()));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The resolver's or the operating system's error.
///
/// # Cancel safety
///
/// Cancel safe, as [`anyio_core::net::create_connected_udp_socket`].
pub async fn create_connected_udp_socket(
    remote_host: &str,
    remote_port: u16,
    local_host: Option<&str>,
    local_port: u16,
) -> io::Result<ConnectedUdpSocket> {
    core::create_connected_udp_socket::<AnyRuntime>(
        remote_host,
        remote_port,
        local_host,
        local_port,
    )
    .await
}
