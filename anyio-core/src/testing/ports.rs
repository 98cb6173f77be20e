//! Free loopback ports for tests: AnyIO's `free_tcp_port` and `free_udp_port` fixtures.

use std::collections::HashSet;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
use std::sync::{Mutex, OnceLock};

use crate::wait::Acquire;

/// How many ports to try before giving up: each try fails only when another process took the
/// port between two binds, or when this process already handed it out.
const TRIES: usize = 100;

/// The socket kind a port is free for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Tcp,
    Udp,
}

/// A port free on `127.0.0.1` and, where the host has IPv6, on `::1`, for TCP: bind a
/// listener or a server to it on either loopback address. No two calls in one process return
/// the same port, so tests running in parallel never collide over one.
///
/// The port is free when this returns; another process can still take it before the test
/// binds it, so prefer binding port 0 and asking the listener for its port where the code
/// under test allows it. This helper is for the code that must be told a port up front (a
/// server started from a configuration, a client given an address before the server runs).
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::testing::free_tcp_port;
///
/// # anyio::run(async {
/// let port = free_tcp_port().unwrap();
/// let listener = create_tcp_listener(Some("127.0.0.1"), port).await.unwrap();
/// let client = connect_tcp("127.0.0.1", port).await.unwrap();
/// # drop((listener, client));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The operating system's error when no loopback port can be bound at all (no loopback
/// interface, or every port taken after repeated tries).
pub fn free_tcp_port() -> io::Result<u16> {
    free_port(Kind::Tcp)
}

/// A port free on `127.0.0.1` and, where the host has IPv6, on `::1`, for UDP; as
/// [`free_tcp_port`], never the same port twice in one process.
///
/// # Examples
///
/// ```
/// use anyio::net::create_udp_socket;
/// use anyio::testing::free_udp_port;
///
/// # anyio::run(async {
/// let port = free_udp_port().unwrap();
/// let socket = create_udp_socket(Some("127.0.0.1"), port).await.unwrap();
/// # drop(socket);
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// As [`free_tcp_port`].
pub fn free_udp_port() -> io::Result<u16> {
    free_port(Kind::Udp)
}

/// The ports handed out so far, per kind.
fn handed_out() -> &'static Mutex<HashSet<(Kind, u16)>> {
    static HANDED_OUT: OnceLock<Mutex<HashSet<(Kind, u16)>>> = OnceLock::new();
    HANDED_OUT.get_or_init(Default::default)
}

fn free_port(kind: Kind) -> io::Result<u16> {
    let mut last_error = None;
    for _ in 0..TRIES {
        match bound_on_both_loopbacks(kind) {
            Ok(port) => {
                if handed_out().acquire().insert((kind, port)) {
                    return Ok(port);
                }
            }
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::AddrInUse,
            "every free loopback port the system offered was handed out already",
        )
    }))
}

/// Binds port 0 on `127.0.0.1`, then the same port on `::1` unless the host has no IPv6, and
/// returns it once both binds held at the same time.
fn bound_on_both_loopbacks(kind: Kind) -> io::Result<u16> {
    let first = Bound::new(kind, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    let port = first.port()?;
    match Bound::new(kind, SocketAddr::from((Ipv6Addr::LOCALHOST, port))) {
        Ok(_second) => Ok(port),
        Err(error) if no_ipv6(&error) => Ok(port),
        Err(error) => Err(error),
    }
}

/// Whether binding `::1` failed because the host has no IPv6 loopback, not because the port
/// is taken.
fn no_ipv6(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::AddrNotAvailable
        || error.kind() == io::ErrorKind::Unsupported
        || matches!(
            error.raw_os_error(),
            Some(libc::EAFNOSUPPORT | libc::EADDRNOTAVAIL | libc::EPROTONOSUPPORT)
        )
}

/// A socket holding a port until dropped.
enum Bound {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

impl Bound {
    fn new(kind: Kind, address: SocketAddr) -> io::Result<Self> {
        match kind {
            Kind::Tcp => TcpListener::bind(address).map(Self::Tcp),
            Kind::Udp => UdpSocket::bind(address).map(Self::Udp),
        }
    }

    fn port(&self) -> io::Result<u16> {
        let address = match self {
            Self::Tcp(listener) => listener.local_addr()?,
            Self::Udp(socket) => socket.local_addr()?,
        };
        Ok(address.port())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_never_handed_out_twice_and_are_free_on_both_loopbacks() {
        let mut seen = HashSet::new();
        for _ in 0..50 {
            let port = free_tcp_port().unwrap();
            assert!(seen.insert(port), "port {port} was handed out twice");
            let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
            match TcpListener::bind((Ipv6Addr::LOCALHOST, port)) {
                Ok(_) => {}
                Err(error) => assert!(no_ipv6(&error), "::1 port {port}: {error}"),
            }
            drop(v4);
        }
    }

    #[test]
    fn udp_ports_are_free_for_udp() {
        let port = free_udp_port().unwrap();
        UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }
}
