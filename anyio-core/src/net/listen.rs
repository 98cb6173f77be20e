//! Creating TCP listeners: every address of a host (or every interface), one shared port.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use socket2::{Domain, Protocol, Type};

use super::dns::resolve;
use super::tcp_listener::TcpListener;
use crate::backend::Reactor;

/// How many pending connections each socket queues; the kernel caps it (`somaxconn`).
const BACKLOG: i32 = 4096;

/// How often to pick a new port when the one chosen for the first address is taken on
/// another.
const PORT_RETRIES: usize = 10;

/// Creates a TCP listener on `host` and `port`.
///
/// With `host` `None` it listens on all interfaces: IPv6 `::` (IPv6 only) and IPv4 `0.0.0.0`
/// as two sockets, or IPv4 alone when IPv6 is unavailable. A `host` that resolves to several
/// addresses (such as `"localhost"`) gets a socket for each. Port 0 picks one free port shared
/// by all of them. Every socket has `SO_REUSEADDR` set, so a restarted server can take its
/// port back at once.
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
/// The resolver's error (kind `InvalidInput` for a host no resolver could answer, with a
/// [`ResolveError`](super::ResolveError) inside), or the operating system's, such as
/// `AddrInUse`, naming the address that could not be bound.
///
/// # Cancel safety
///
/// Cancel safe: nothing is bound until the host is resolved, and binding completes at once.
pub async fn create_tcp_listener<R: Reactor>(
    host: Option<&str>,
    port: u16,
) -> io::Result<TcpListener<R>> {
    let addresses = match host {
        Some(host) => resolve::<R>(host, port).await?,
        None => all_interfaces(port).to_vec(),
    };
    TcpListener::bind(&addresses)
}

/// What "all interfaces" means: IPv6 `::` (IPv6 only, so it does not take the IPv4 port) and
/// IPv4 `0.0.0.0`.
fn all_interfaces(port: u16) -> [SocketAddr; 2] {
    [
        SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
        SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
    ]
}

impl<R: Reactor> TcpListener<R> {
    /// Listens on each of `addresses`, registering the sockets with the runtime serving the
    /// caller. Addresses with port 0 share one free port (the first such address picks it);
    /// IPv6 addresses are IPv6 only, and are skipped when the host has no IPv6 while another
    /// address could be bound. Every socket has `SO_REUSEADDR` set.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use std::net::SocketAddr;
    /// use anyio::net::TcpListener;
    ///
    /// # anyio::run(async {
    /// let loopbacks: [SocketAddr; 2] = ["127.0.0.1:0".parse().unwrap(), "[::1]:0".parse().unwrap()];
    /// let listener = TcpListener::bind(&loopbacks).unwrap();
    /// let port = listener.local_port().unwrap();
    /// assert!(listener.local_addresses().unwrap().iter().all(|a| a.port() == Some(port)));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `InvalidInput` for an empty list; the operating system's error, such as `AddrInUse`,
    /// naming the address that could not be bound; the reactor's outside a runtime.
    pub fn bind(addresses: &[SocketAddr]) -> io::Result<Self> {
        if addresses.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no addresses to listen on: pass at least one",
            ));
        }
        let runtime = R::current().map_err(io::Error::other)?;
        TcpListener::from_listeners(runtime, bind_all(addresses)?)
    }
}

/// Binds every address, retrying with a new port when a port picked for the first address is
/// taken on another.
fn bind_all(addresses: &[SocketAddr]) -> io::Result<Vec<std::net::TcpListener>> {
    let mut attempt = 0;
    loop {
        match try_bind_all(addresses) {
            Err(error)
                if error.kind() == io::ErrorKind::AddrInUse
                    && addresses.len() > 1
                    && addresses[0].port() == 0
                    && attempt + 1 < PORT_RETRIES =>
            {
                attempt += 1;
            }
            result => return result,
        }
    }
}

fn try_bind_all(addresses: &[SocketAddr]) -> io::Result<Vec<std::net::TcpListener>> {
    let mut shared_port = 0;
    let mut listeners = Vec::with_capacity(addresses.len());
    let mut skipped = None;
    for &address in addresses {
        let mut address = address;
        if address.port() == 0 {
            address.set_port(shared_port);
        }
        match bind_one(address) {
            Ok(listener) => {
                if shared_port == 0 {
                    shared_port = listener.local_addr()?.port();
                }
                listeners.push(listener);
            }
            // A host without IPv6 still serves on its other addresses.
            Err(error) if address.is_ipv6() && ipv6_unavailable(&error) => {
                skipped = Some(error);
            }
            Err(error) => return Err(error),
        }
    }
    match skipped {
        Some(error) if listeners.is_empty() => Err(error),
        _ => Ok(listeners),
    }
}

fn bind_one(address: SocketAddr) -> io::Result<std::net::TcpListener> {
    let bind = || {
        let socket = socket2::Socket::new(
            Domain::for_address(address),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        if address.is_ipv6() {
            // `::` would otherwise take the IPv4 port too, and `0.0.0.0` would then fail.
            socket.set_only_v6(true)?;
        }
        socket.set_nonblocking(true)?;
        socket.bind(&address.into())?;
        socket.listen(BACKLOG)?;
        Ok(std::net::TcpListener::from(socket))
    };
    bind().map_err(|error: io::Error| {
        io::Error::new(
            error.kind(),
            BindError {
                address,
                source: error,
            },
        )
    })
}

fn ipv6_unavailable(error: &io::Error) -> bool {
    let source = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<BindError>())
        .map_or(error, |bind| &bind.source);
    matches!(
        source.raw_os_error(),
        Some(libc::EAFNOSUPPORT | libc::EADDRNOTAVAIL | libc::EPROTONOSUPPORT)
    )
}

/// A bind failure, naming the address.
#[derive(Debug)]
struct BindError {
    address: SocketAddr,
    source: io::Error,
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not listen on {}: {}", self.address, self.source)
    }
}

impl std::error::Error for BindError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_interfaces_means_both_wildcards_on_one_port() {
        let [v6, v4] = all_interfaces(8080);
        assert_eq!(v6, "[::]:8080".parse().unwrap());
        assert_eq!(v4, "0.0.0.0:8080".parse().unwrap());
    }
}
