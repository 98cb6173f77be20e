//! Opening TCP connections and listeners by host name.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use super::tcp::{connect_addr, TcpListener, TcpStream};
use crate::backend::Reactor;

/// Connects to `host` (a name or a literal IP address) on `port`.
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
/// assert!(stream.remote_address().is_ok());
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
pub async fn connect_tcp<R: Reactor>(host: &str, port: u16) -> io::Result<TcpStream<R>> {
    let addresses = resolve::<R>(host, port).await?;
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no addresses");
    for address in addresses {
        match connect_addr::<R>(address, None).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(last)
}

async fn resolve<R: Reactor>(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let runtime = R::current().map_err(io::Error::other)?;
    let target = (host.to_owned(), port);
    runtime
        .spawn_blocking(move || target.to_socket_addrs().map(Vec::from_iter))
        .await
        .unwrap_or_else(|| Err(io::Error::other("the resolver panicked")))
}

/// Creates a TCP listener on `host` (all interfaces when `None`) and `port` (any free port
/// when 0).
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::create_tcp_listener;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// assert_ne!(listener.local_port(), Some(0));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The resolver's or the operating system's error.
pub async fn create_tcp_listener<R: Reactor>(
    host: Option<&str>,
    port: u16,
) -> io::Result<TcpListener<R>> {
    let addresses = resolve::<R>(host.unwrap_or("0.0.0.0"), port).await?;
    let listener = std::net::TcpListener::bind(&addresses[..])?;
    TcpListener::from_std(listener)
}
