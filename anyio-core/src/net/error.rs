//! Why a TCP connection could not be opened.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::SocketAddr;

use super::dns::ResolveError;

/// One failed connection attempt: the address tried and the operating system's error.
///
/// # Examples
///
/// ```
/// use anyio::net::connect_tcp;
///
/// # anyio::run(async {
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let error = connect_tcp("127.0.0.1", port).await.unwrap_err();
/// let attempt = &error.attempts()[0];
/// assert_eq!(attempt.address.port(), port);
/// assert_eq!(attempt.error.kind(), std::io::ErrorKind::ConnectionRefused);
/// # }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ConnectAttempt {
    /// The address that was tried.
    pub address: SocketAddr,
    /// Why connecting to it failed.
    pub error: io::Error,
}

impl fmt::Display for ConnectAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.error)
    }
}

/// Why [`connect_tcp`](super::connect_tcp) or a [`TcpConnect`](super::TcpConnect) failed.
///
/// Its message names the destination and, when connecting was attempted, every address
/// tried with its error, such as
/// `could not connect to 127.0.0.1:1: 127.0.0.1:1: Connection refused (os error 111)`.
///
/// # Examples
///
/// ```
/// use anyio::net::{connect_tcp, ConnectError};
///
/// # anyio::run(async {
/// let error = connect_tcp("127.0.0.1", 0).await.unwrap_err();
/// assert!(matches!(error, ConnectError::InvalidPort));
/// assert!(error.to_string().contains("port 0"));
/// # }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ConnectError {
    /// Port 0 was given as the destination.
    InvalidPort,
    /// The host could not be resolved.
    Resolve(ResolveError),
    /// Every address was tried and none accepted the connection.
    Attempts {
        /// The destination as given: a host and port, or the list of addresses.
        target: String,
        /// Each address tried, with its error, in the order they failed.
        attempts: Vec<ConnectAttempt>,
    },
}

impl ConnectError {
    /// The failed attempts, in the order they failed; empty when no attempt was made.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::net::connect_tcp;
    ///
    /// # anyio::run(async {
    /// let error = connect_tcp("not a host", 80).await.unwrap_err();
    /// assert!(error.attempts().is_empty());
    /// # }).unwrap();
    /// ```
    pub fn attempts(&self) -> &[ConnectAttempt] {
        match self {
            Self::Attempts { attempts, .. } => attempts,
            Self::InvalidPort | Self::Resolve(_) => &[],
        }
    }

    /// Whether every address refused the connection: nothing listens on that port.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::net::connect_tcp;
    ///
    /// # anyio::run(async {
    /// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    /// assert!(connect_tcp("127.0.0.1", port).await.unwrap_err().is_refused());
    /// # }).unwrap();
    /// ```
    pub fn is_refused(&self) -> bool {
        let attempts = self.attempts();
        !attempts.is_empty()
            && attempts
                .iter()
                .all(|a| a.error.kind() == io::ErrorKind::ConnectionRefused)
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidPort => f.write_str(
                "port 0 is not a valid destination; pass the port the server listens on",
            ),
            Self::Resolve(error) => error.fmt(f),
            Self::Attempts { target, attempts } => {
                write!(f, "could not connect to {target}")?;
                if attempts.is_empty() {
                    return f.write_str(": no address to try");
                }
                for (i, attempt) in attempts.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { "; " })?;
                    attempt.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

impl Error for ConnectError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::InvalidPort => None,
            Self::Resolve(error) => Some(error),
            Self::Attempts { attempts, .. } => attempts.last().map(|a| &a.error as _),
        }
    }
}

impl From<ResolveError> for ConnectError {
    fn from(error: ResolveError) -> Self {
        Self::Resolve(error)
    }
}

impl From<ConnectError> for io::Error {
    /// Keeps the kind when every attempt failed alike (such as `ConnectionRefused`); the
    /// message is the connect error's.
    fn from(error: ConnectError) -> Self {
        let kind = match &error {
            ConnectError::InvalidPort => io::ErrorKind::InvalidInput,
            ConnectError::Resolve(resolve) => match resolve {
                ResolveError::InvalidHost { .. } => io::ErrorKind::InvalidInput,
                ResolveError::NoAddresses { .. } => io::ErrorKind::NotFound,
                ResolveError::Lookup { source, .. } | ResolveError::Runtime(source) => {
                    source.kind()
                }
            },
            ConnectError::Attempts { attempts, .. } => match attempts.split_first() {
                Some((first, rest))
                    if rest.iter().all(|a| a.error.kind() == first.error.kind()) =>
                {
                    first.error.kind()
                }
                _ => io::ErrorKind::Other,
            },
        };
        io::Error::new(kind, error)
    }
}
