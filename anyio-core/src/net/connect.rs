//! Opening TCP connections by host name, with happy eyeballs.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::dns::{parse_literal, resolve};
use super::error::ConnectError;
use super::happy_eyeballs::{interleave, race};
use super::tcp::{connect_addr, TcpStream};
use crate::backend::Reactor;

/// Connects to `host` (a name, or a literal IPv4 or IPv6 address) on `port`, trying every
/// address the host resolves to with happy eyeballs; see [`TcpConnect`] for the details and
/// for options such as a local address.
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
/// [`ConnectError::InvalidPort`] for port 0, [`ConnectError::Resolve`] when the host cannot be
/// resolved, and [`ConnectError::Attempts`] listing every address tried with its error.
///
/// # Cancel safety
///
/// Cancel safe: every socket still connecting is closed.
pub fn connect_tcp<R: Reactor>(host: &str, port: u16) -> ConnectTcp<R> {
    TcpConnect::new(host, port).connect()
}

/// What to connect to.
#[derive(Debug, Clone)]
enum Target {
    Host { host: String, port: u16 },
    Addresses(Vec<SocketAddr>),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Host { host, port } => match parse_literal(host) {
                Some(ip) => SocketAddr::new(ip, *port).fmt(f),
                None => write!(f, "{host}:{port}"),
            },
            Self::Addresses(addresses) if addresses.is_empty() => {
                f.write_str("an empty address list")
            }
            Self::Addresses(addresses) => {
                for (i, address) in addresses.iter().enumerate() {
                    f.write_str(if i == 0 { "" } else { ", " })?;
                    address.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

/// A TCP connection to open: the destination and the options; `.await` it (or call
/// [`connect`](Self::connect)) to connect.
///
/// Connecting follows happy eyeballs (RFC 8305): the host is resolved (literal addresses skip
/// the resolver), its addresses are ordered so IPv6 and IPv4 alternate, starting with the
/// family the resolver listed first, and the first attempt starts. Each next attempt starts
/// when the previous one fails, or after the [happy eyeballs
/// delay](Self::happy_eyeballs_delay) (250 ms by default) if it is still connecting. The first
/// connection made wins and every other attempt is closed; when all fail, the error lists every
/// address with its error. The stream has `TCP_NODELAY` on.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use std::time::Duration;
/// use anyio::net::{create_tcp_listener, TcpConnect};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let stream = TcpConnect::new("localhost", port)
///     .local_address("127.0.0.1:0".parse().unwrap())
///     .happy_eyeballs_delay(Duration::from_millis(100))
///     .await
///     .unwrap();
/// assert_eq!(stream.remote_port(), Some(port));
/// # }).unwrap();
/// ```
#[must_use = "nothing connects until the connection is awaited"]
pub struct TcpConnect<R> {
    target: Target,
    local: Option<SocketAddr>,
    delay: Duration,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for TcpConnect<R> {
    fn clone(&self) -> Self {
        Self {
            target: self.target.clone(),
            local: self.local,
            delay: self.delay,
            runtime: PhantomData,
        }
    }
}

impl<R> fmt::Debug for TcpConnect<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpConnect")
            .field("target", &self.target)
            .field("local", &self.local)
            .field("delay", &self.delay)
            .finish()
    }
}

impl<R: Reactor> TcpConnect<R> {
    /// The delay after which the next address is tried while the previous attempt is still
    /// connecting, as RFC 8305 recommends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use anyio::net::TcpConnect;
    ///
    /// assert_eq!(TcpConnect::DEFAULT_HAPPY_EYEBALLS_DELAY, Duration::from_millis(250));
    /// ```
    pub const DEFAULT_HAPPY_EYEBALLS_DELAY: Duration = Duration::from_millis(250);

    /// A connection to `host` (a name, or a literal IPv4 or IPv6 address, bracketed or not)
    /// on `port`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::{create_tcp_listener, TcpConnect};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let stream = TcpConnect::new("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// assert!(stream.get_ref().nodelay().unwrap());
    /// # }).unwrap();
    /// ```
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self::with_target(Target::Host {
            host: host.into(),
            port,
        })
    }

    /// A connection to the first of `addresses` that accepts, tried in the given order with
    /// happy eyeballs and no name resolution: for callers that resolved names themselves.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use std::net::SocketAddr;
    /// use anyio::net::{create_tcp_listener, TcpConnect};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let live = SocketAddr::from(([127, 0, 0, 1], listener.local_port().unwrap()));
    /// let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    /// let stream = TcpConnect::addresses([refused, live]).await.unwrap();
    /// assert_eq!(stream.remote_port(), Some(live.port()));
    /// # }).unwrap();
    /// ```
    pub fn addresses(addresses: impl IntoIterator<Item = SocketAddr>) -> Self {
        Self::with_target(Target::Addresses(addresses.into_iter().collect()))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            local: None,
            delay: Self::DEFAULT_HAPPY_EYEBALLS_DELAY,
            runtime: PhantomData,
        }
    }

    /// Binds each attempt's socket to `address` first (port 0 for any port). Addresses of the
    /// other IP family then fail to connect, and the error lists them.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use std::net::IpAddr;
    /// use anyio::net::{create_tcp_listener, SocketAddress, TcpConnect};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let stream = TcpConnect::new("127.0.0.1", listener.local_port().unwrap())
    ///     .local_address("127.0.0.1:0".parse().unwrap())
    ///     .await
    ///     .unwrap();
    /// assert!(matches!(stream.local_address(), Ok(SocketAddress::Inet(a)) if a.ip().is_loopback()));
    /// # }).unwrap();
    /// ```
    pub fn local_address(mut self, address: SocketAddr) -> Self {
        self.local = Some(address);
        self
    }

    /// How long an attempt may be connecting before the next address is tried as well;
    /// [`DEFAULT_HAPPY_EYEBALLS_DELAY`](Self::DEFAULT_HAPPY_EYEBALLS_DELAY) unless set. A
    /// failed attempt starts the next one at once regardless.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use std::time::Duration;
    /// use anyio::net::{create_tcp_listener, TcpConnect};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let stream = TcpConnect::new("127.0.0.1", listener.local_port().unwrap())
    ///     .happy_eyeballs_delay(Duration::from_millis(50))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(stream.remote_port(), listener.local_port());
    /// # }).unwrap();
    /// ```
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Starts connecting; the same as `.await`ing the `TcpConnect`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::{create_tcp_listener, TcpConnect};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let connecting = TcpConnect::new("127.0.0.1", listener.local_port().unwrap()).connect();
    /// assert!(connecting.await.is_ok());
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The future resolves to [`ConnectError::InvalidPort`] for port 0,
    /// [`ConnectError::Resolve`] when the host cannot be resolved, and
    /// [`ConnectError::Attempts`] listing every address tried with its error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: every socket still connecting is closed.
    pub fn connect(self) -> ConnectTcp<R> {
        ConnectTcp {
            inner: Box::pin(self.run()),
        }
    }

    async fn run(self) -> Result<TcpStream<R>, ConnectError> {
        let addresses = match &self.target {
            Target::Host { port: 0, .. } => return Err(ConnectError::InvalidPort),
            Target::Host { host, port } => interleave(resolve::<R>(host, *port).await?),
            Target::Addresses(addresses) if addresses.iter().any(|a| a.port() == 0) => {
                return Err(ConnectError::InvalidPort);
            }
            Target::Addresses(addresses) => addresses.clone(),
        };
        let local = self.local;
        let sleep = |delay| {
            let runtime = R::current().ok();
            async move {
                match runtime {
                    Some(runtime) => runtime.timer(runtime.now() + delay).await,
                    // Outside a runtime the attempts themselves fail; never start early.
                    None => std::future::pending().await,
                }
            }
        };
        race(
            addresses,
            self.delay,
            |address| connect_addr::<R>(address, local),
            sleep,
        )
        .await
        .map_err(|attempts| ConnectError::Attempts {
            target: self.target.to_string(),
            attempts,
        })
    }
}

impl<R: Reactor> IntoFuture for TcpConnect<R> {
    type Output = Result<TcpStream<R>, ConnectError>;
    type IntoFuture = ConnectTcp<R>;

    fn into_future(self) -> ConnectTcp<R> {
        self.connect()
    }
}

/// A TCP connection being opened, as returned by [`connect_tcp`] and
/// [`TcpConnect::connect`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{connect_tcp, create_tcp_listener, ConnectTcp};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let connecting: ConnectTcp = connect_tcp("127.0.0.1", listener.local_port().unwrap());
/// assert!(connecting.await.is_ok());
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it closes every socket still connecting.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct ConnectTcp<R: Reactor> {
    inner: Pin<Box<dyn Future<Output = Result<TcpStream<R>, ConnectError>> + Send>>,
}

impl<R: Reactor> fmt::Debug for ConnectTcp<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectTcp").finish_non_exhaustive()
    }
}

impl<R: Reactor> Future for ConnectTcp<R> {
    type Output = Result<TcpStream<R>, ConnectError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}
