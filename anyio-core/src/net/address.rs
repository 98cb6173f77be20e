//! Socket addresses and the attributes every socket, stream and wrapper can report.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The address of a socket: an IP address and port, or a Unix socket path.
///
/// # Examples
///
/// ```
/// use anyio_core::net::SocketAddress;
///
/// let address = SocketAddress::from(std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
/// assert_eq!(address.port(), Some(8080));
/// assert_eq!(address.to_string(), "127.0.0.1:8080");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SocketAddress {
    /// An IPv4 or IPv6 address and port.
    Inet(SocketAddr),
    /// A Unix socket's path; `None` for an unnamed socket (one end of a pair, or a client
    /// that did not bind).
    Unix(Option<PathBuf>),
}

impl SocketAddress {
    /// The port of an IP address.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::net::SocketAddress;
    ///
    /// assert_eq!(SocketAddress::Unix(None).port(), None);
    /// ```
    pub fn port(&self) -> Option<u16> {
        match self {
            Self::Inet(address) => Some(address.port()),
            Self::Unix(_) => None,
        }
    }

    /// The IP address, without the port.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::{Ipv6Addr, SocketAddr};
    /// use anyio_core::net::SocketAddress;
    ///
    /// let address = SocketAddress::from(SocketAddr::from((Ipv6Addr::LOCALHOST, 1)));
    /// assert_eq!(address.ip(), Some(Ipv6Addr::LOCALHOST.into()));
    /// ```
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Self::Inet(address) => Some(address.ip()),
            Self::Unix(_) => None,
        }
    }

    /// The IP address and port.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use anyio_core::net::SocketAddress;
    ///
    /// let inet = SocketAddr::from(([10, 0, 0, 1], 53));
    /// assert_eq!(SocketAddress::from(inet).as_inet(), Some(inet));
    /// ```
    pub fn as_inet(&self) -> Option<SocketAddr> {
        match self {
            Self::Inet(address) => Some(*address),
            Self::Unix(_) => None,
        }
    }

    /// The path of a named Unix socket.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::path::Path;
    /// use anyio_core::net::SocketAddress;
    ///
    /// let unix = SocketAddress::Unix(Some("/run/app.sock".into()));
    /// assert_eq!(unix.as_path(), Some(Path::new("/run/app.sock")));
    /// ```
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Self::Unix(path) => path.as_deref(),
            Self::Inet(_) => None,
        }
    }
}

impl From<SocketAddr> for SocketAddress {
    fn from(address: SocketAddr) -> Self {
        Self::Inet(address)
    }
}

#[cfg(unix)]
impl From<std::os::unix::net::SocketAddr> for SocketAddress {
    fn from(address: std::os::unix::net::SocketAddr) -> Self {
        Self::Unix(address.as_pathname().map(Path::to_path_buf))
    }
}

impl fmt::Display for SocketAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inet(address) => address.fmt(f),
            Self::Unix(Some(path)) => path.display().fmt(f),
            Self::Unix(None) => f.write_str("(unnamed)"),
        }
    }
}

/// The typed attributes of a socket, which stream wrappers (buffered, TLS, ...) pass through
/// from the socket they wrap.
///
/// # Examples
///
/// ```
/// use anyio_core::net::SocketAttributes;
///
/// fn describe(socket: &impl SocketAttributes) -> String {
///     match (socket.local_address(), socket.remote_address()) {
///         (Ok(local), Ok(remote)) => format!("{local} <-> {remote}"),
///         (Ok(local), Err(_)) => format!("{local} (unconnected)"),
///         (Err(error), _) => format!("unknown: {error}"),
///     }
/// }
/// ```
pub trait SocketAttributes {
    /// The address this socket is bound to.
    ///
    /// # Errors
    ///
    /// The operating system's error, for example after the socket was closed.
    fn local_address(&self) -> io::Result<SocketAddress>;

    /// The address of the peer.
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::NotConnected`] for listeners and unconnected sockets.
    fn remote_address(&self) -> io::Result<SocketAddress>;

    /// The local port, for IP sockets.
    fn local_port(&self) -> Option<u16> {
        self.local_address().ok()?.port()
    }

    /// The peer's port, for connected IP sockets.
    fn remote_port(&self) -> Option<u16> {
        self.remote_address().ok()?.port()
    }

    /// The socket's file descriptor, for options anyio does not wrap. Do not close it.
    #[cfg(unix)]
    fn raw_fd(&self) -> std::os::fd::RawFd;
}
