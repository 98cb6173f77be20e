//! Name resolution: literal addresses are parsed in place, names go to the system resolver on
//! the runtime's pool for blocking work.

use std::error::Error;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use crate::backend::Reactor;

/// The longest host name the DNS can carry (RFC 1035), without a trailing dot.
const MAX_HOST_LEN: usize = 253;

/// Why a host could not be resolved, as returned by [`resolve`].
///
/// # Examples
///
/// ```
/// use anyio::net::{resolve, ResolveError};
///
/// # anyio::run(async {
/// let error = resolve("", 80).await.unwrap_err();
/// assert!(matches!(error, ResolveError::InvalidHost { .. }));
/// assert!(error.to_string().contains("empty"));
/// # }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ResolveError {
    /// The host cannot be a name or an address; `reason` says what to pass instead.
    InvalidHost {
        /// The host as given.
        host: String,
        /// What is wrong with it, and what to pass instead.
        reason: &'static str,
    },
    /// The system resolver failed, for example because the name does not exist.
    Lookup {
        /// The host as given.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// The resolver answered with no address.
    NoAddresses {
        /// The host as given.
        host: String,
    },
    /// The resolver could not run: the caller is outside a runtime, or the resolver panicked.
    Runtime(io::Error),
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidHost { host, reason } => write!(f, "invalid host {host:?}: {reason}"),
            Self::Lookup { host, source } => write!(f, "could not resolve {host:?}: {source}"),
            Self::NoAddresses { host } => write!(f, "{host:?} resolved to no address"),
            Self::Runtime(error) => write!(f, "could not run the resolver: {error}"),
        }
    }
}

impl Error for ResolveError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Lookup { source, .. } | Self::Runtime(source) => Some(source),
            Self::InvalidHost { .. } | Self::NoAddresses { .. } => None,
        }
    }
}

impl From<ResolveError> for io::Error {
    /// `InvalidInput` for a bad host, `NotFound` for a name without addresses, otherwise
    /// the underlying error's kind; the message is the resolver error's.
    fn from(error: ResolveError) -> Self {
        let kind = match &error {
            ResolveError::InvalidHost { .. } => io::ErrorKind::InvalidInput,
            ResolveError::NoAddresses { .. } => io::ErrorKind::NotFound,
            ResolveError::Lookup { source, .. } | ResolveError::Runtime(source) => source.kind(),
        };
        io::Error::new(kind, error)
    }
}

/// Parses a literal IPv4 or IPv6 address, with or without brackets.
pub(crate) fn parse_literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Rejects what no resolver could answer, with a message saying what to pass instead.
fn check_host(host: &str) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("the host is empty; pass a name such as \"localhost\" or an address");
    }
    if host.len() > MAX_HOST_LEN {
        return Err("the host is longer than 253 characters, the most a DNS name can have");
    }
    if host.starts_with('[') {
        return Err("brackets may only enclose an IPv6 address, such as \"[::1]\"");
    }
    if host.contains(':') {
        return Err("a name cannot contain ':'; pass the port separately and IPv6 addresses bare or in brackets");
    }
    if host
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '@')
    {
        return Err("a host name holds only letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// Resolves `host` (a name, or a literal IPv4 or IPv6 address, bracketed or not) and `port` to
/// socket addresses, in the resolver's order and without duplicates.
///
/// Literal addresses skip the resolver. Names go to the system resolver
/// (`getaddrinfo`), run on the runtime's pool for blocking work so the event loop keeps going.
///
/// # Examples
///
/// ```
/// use std::net::SocketAddr;
/// use anyio::net::resolve;
///
/// # anyio::run(async {
/// let addresses = resolve("[::1]", 443).await.unwrap();
/// assert_eq!(addresses, ["[::1]:443".parse::<SocketAddr>().unwrap()]);
/// assert!(!resolve("localhost", 80).await.unwrap().is_empty());
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`ResolveError::InvalidHost`] for a host no resolver could answer (empty, with spaces, with
/// a port), `Lookup` when the resolver fails, `NoAddresses`, and `Runtime` outside a runtime.
///
/// # Cancel safety
///
/// Cancel safe: a cancelled lookup finishes on the blocking pool and its answer is dropped.
pub async fn resolve<R: Reactor>(host: &str, port: u16) -> Result<Vec<SocketAddr>, ResolveError> {
    if let Some(ip) = parse_literal(host) {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    check_host(host).map_err(|reason| ResolveError::InvalidHost {
        host: host.to_owned(),
        reason,
    })?;
    let runtime = R::current().map_err(|e| ResolveError::Runtime(io::Error::other(e)))?;
    let target = (host.to_owned(), port);
    let answer = runtime
        .spawn_blocking(move || target.to_socket_addrs().map(Vec::from_iter))
        .await
        .ok_or_else(|| ResolveError::Runtime(io::Error::other("the resolver panicked")))?;
    let mut addresses = answer.map_err(|source| ResolveError::Lookup {
        host: host.to_owned(),
        source,
    })?;
    let mut seen = Vec::with_capacity(addresses.len());
    addresses.retain(|address| {
        let new = !seen.contains(address);
        seen.push(*address);
        new
    });
    if addresses.is_empty() {
        return Err(ResolveError::NoAddresses {
            host: host.to_owned(),
        });
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_parse_with_and_without_brackets() {
        assert_eq!(parse_literal("127.0.0.1"), Some([127, 0, 0, 1].into()));
        assert_eq!(
            parse_literal("[::1]"),
            Some(std::net::Ipv6Addr::LOCALHOST.into())
        );
        assert_eq!(
            parse_literal("::1"),
            Some(std::net::Ipv6Addr::LOCALHOST.into())
        );
        assert_eq!(parse_literal("[127.0.0.1"), None);
        assert_eq!(parse_literal("localhost"), None);
    }

    #[test]
    fn hosts_no_resolver_could_answer_are_rejected() {
        for host in ["", "[nope]", "a b", "host:80", "tab\there", "x/y"] {
            assert!(check_host(host).is_err(), "{host:?}");
        }
        assert!(check_host(&"a".repeat(254)).is_err());
        for host in ["localhost", "example.com", "my_host-1.local."] {
            assert!(check_host(host).is_ok(), "{host:?}");
        }
    }
}
