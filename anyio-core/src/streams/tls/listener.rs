//! A listener that runs the server side of a TLS handshake on each accepted stream.

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use super::TlsStream;
use crate::backend::Runtime;
use crate::cancel::fail_after;
use crate::net::{SocketAddress, SocketAttributes};
use crate::streams::{serve, AsyncClose, ByteStream, Listener, StreamError};

/// How long a client may take over its handshake unless
/// [`with_handshake_timeout`](TlsListener::with_handshake_timeout) says otherwise.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::tls::DEFAULT_HANDSHAKE_TIMEOUT;
///
/// assert_eq!(DEFAULT_HANDSHAKE_TIMEOUT.as_secs(), 10);
/// ```
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Wraps a listener (TCP, Unix, ...) so that what it accepts are [`TlsStream`]s, each
/// handshake bounded by a timeout.
///
/// `R` is the runtime whose timer bounds the handshakes (`anyio::AnyRuntime` in the facade,
/// whose `anyio::streams::tls::TlsListener` fixes it).
/// [`serve`](Self::serve) runs each handshake in the connection's own task, so a client that
/// connects and never speaks holds up no one; [`accept`](Self::accept) (and the generic
/// [`crate::streams::serve`], which calls it) handshakes inline.
///
/// # Examples
///
/// See the [module](super) for a listener and a client; making one:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use anyio_core::streams::tls::{rustls, server_config, TlsListener};
///
/// # anyio::run(async {
/// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
/// let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
/// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config)
///     .with_handshake_timeout(Duration::from_secs(5));
/// assert_eq!(listener.handshake_timeout(), Duration::from_secs(5));
/// # }).unwrap();
/// ```
pub struct TlsListener<R, L> {
    inner: L,
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
    standard_compatible: bool,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime, L: Listener> TlsListener<R, L>
where
    L::Stream: ByteStream,
{
    /// Accepts from `inner` and handshakes with `config`, allowing each client
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`].
    ///
    /// # Examples
    ///
    /// See [`TlsListener`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use anyio_core::streams::tls::{rustls, server_config, TlsListener, DEFAULT_HANDSHAKE_TIMEOUT};
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config);
    /// assert_eq!(listener.handshake_timeout(), DEFAULT_HANDSHAKE_TIMEOUT);
    /// # }).unwrap();
    /// ```
    pub fn new(inner: L, config: Arc<ServerConfig>) -> Self {
        Self {
            inner,
            config,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            standard_compatible: true,
            runtime: PhantomData,
        }
    }

    /// Allows each client `timeout` to finish its handshake.
    ///
    /// # Examples
    ///
    /// See [`TlsListener`].
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use std::time::Duration;
    /// # use anyio_core::streams::tls::{rustls, server_config, TlsListener};
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config)
    ///     .with_handshake_timeout(Duration::from_millis(500));
    /// assert_eq!(listener.handshake_timeout(), Duration::from_millis(500));
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How long each client may take over its handshake.
    ///
    /// # Examples
    ///
    /// See [`with_handshake_timeout`](Self::with_handshake_timeout).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use anyio_core::streams::tls::{rustls, server_config, TlsListener};
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// # let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config);
    /// assert!(listener.handshake_timeout().as_secs() > 0);
    /// # }).unwrap();
    /// ```
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// Sets whether the accepted streams keep to the TLS standard's closing rules (the
    /// default); see [`TlsStream::with_standard_compatible`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use anyio_core::streams::tls::{rustls, server_config, TlsListener};
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config)
    ///     .with_standard_compatible(false);
    /// assert!(!listener.is_standard_compatible());
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn with_standard_compatible(mut self, standard_compatible: bool) -> Self {
        self.standard_compatible = standard_compatible;
        self
    }

    /// Whether the accepted streams keep to the TLS standard's closing rules.
    ///
    /// # Examples
    ///
    /// See [`with_standard_compatible`](Self::with_standard_compatible).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use anyio_core::streams::tls::{rustls, server_config, TlsListener};
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config);
    /// assert!(listener.is_standard_compatible());
    /// # }).unwrap();
    /// ```
    pub fn is_standard_compatible(&self) -> bool {
        self.standard_compatible
    }

    /// The listener this one accepts from.
    ///
    /// # Examples
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use anyio_core::streams::tls::{rustls, server_config, TlsListener};
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config);
    /// assert!(listener.get_ref().get_ref().local_addr().is_ok());
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &L {
        &self.inner
    }

    /// Accepts the next connection and runs its handshake here, bounded by the handshake
    /// timeout. To serve many clients, prefer [`serve`](Self::serve): while this handshakes,
    /// no other connection is accepted.
    ///
    /// # Examples
    ///
    /// See the [module](super).
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsListener;
    /// use anyio_core::streams::StreamError;
    ///
    /// async fn greet_one(
    ///     listener: &TlsListener<anyio::AnyRuntime, anyio::net::TcpListener>,
    /// ) -> Result<(), StreamError> {
    ///     let tls = listener.accept().await?;
    ///     tls.send(b"hello\n").await?;
    ///     tls.close().await;
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// The inner listener's errors; the handshake's (a [`super::TlsError`] inside
    /// [`StreamError::InvalidData`], or the transport's); an [`io::ErrorKind::TimedOut`]
    /// [`StreamError::Io`] when the client did not finish in time.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: cancelled during the handshake, the accepted connection is dropped.
    pub async fn accept(&self) -> Result<TlsStream<L::Stream>, StreamError> {
        let transport = self.inner.accept().await?;
        let tls = handshake::<R, _>(transport, self.config.clone(), self.handshake_timeout).await?;
        Ok(tls.with_standard_compatible(self.standard_compatible))
    }

    /// Accepts connections until the inner listener fails or the caller's scope is
    /// cancelled, running the handshake and then `handler` in each connection's own task;
    /// returns once every handler has finished. Connections whose handshake fails or times
    /// out are dropped without calling `handler`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use anyio::net::{connect_tcp, create_tcp_listener};
    /// use anyio_core::streams::tls::{client_config, rustls, server_config, TlsListener, TlsStream};
    ///
    /// # anyio::run(async {
    /// # let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let mut roots = rustls::RootCertStore::empty();
    /// # roots.add(cert.cert.der().clone()).unwrap();
    /// # let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// # let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let port = tcp.local_port().unwrap();
    /// let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, config);
    /// let server = anyio::move_on_after(
    ///     Duration::from_secs(2),
    ///     listener.serve(|tls| async move {
    ///         let _ = tls.send(b"hi").await;
    ///         tls.close().await;
    ///     }),
    /// );
    /// let client = async {
    ///     let tcp = connect_tcp("127.0.0.1", port).await.unwrap();
    ///     let tls = TlsStream::connect(tcp, "localhost", Arc::new(client_config(roots)))
    ///         .await
    ///         .unwrap();
    ///     tls.receive(2).await.unwrap()
    /// };
    /// let (_, greeting) = futures_util::join!(server, client);
    /// assert_eq!(&greeting[..], b"hi");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The inner listener's error that ended serving, such as [`StreamError::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling it cancels every handshake and handler, as for any task group.
    pub async fn serve<H, F>(&self, handler: H) -> Result<(), StreamError>
    where
        H: Fn(TlsStream<L::Stream>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let handler = Arc::new(handler);
        serve::<R, _, _, _>(&self.inner, |transport| {
            let handler = handler.clone();
            let config = self.config.clone();
            let timeout = self.handshake_timeout;
            let standard_compatible = self.standard_compatible;
            async move {
                if let Ok(tls) = handshake::<R, _>(transport, config, timeout).await {
                    handler(tls.with_standard_compatible(standard_compatible)).await;
                }
            }
        })
        .await
    }
}

async fn handshake<R: Runtime, S: ByteStream>(
    transport: S,
    config: Arc<ServerConfig>,
    timeout: Duration,
) -> Result<TlsStream<S>, StreamError> {
    match fail_after::<_, R>(timeout, TlsStream::accept(transport, config)).await {
        Ok(result) => result,
        Err(_) => Err(StreamError::Io(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the client did not finish its TLS handshake within {timeout:?}: it is not \
                 speaking TLS or is too slow (raise the listener's handshake timeout)"
            ),
        ))),
    }
}

impl<R: Runtime, L: Listener> Listener for TlsListener<R, L>
where
    L::Stream: ByteStream,
{
    type Stream = TlsStream<L::Stream>;

    fn accept(&self) -> impl Future<Output = Result<Self::Stream, StreamError>> + Send + '_ {
        TlsListener::accept(self)
    }
}

impl<R, L: AsyncClose> AsyncClose for TlsListener<R, L> {
    fn close(&self) -> impl Future<Output = ()> + Send + '_ {
        self.inner.close()
    }
}

impl<R, L: SocketAttributes> SocketAttributes for TlsListener<R, L> {
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.inner.local_address()
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        self.inner.remote_address()
    }

    #[cfg(unix)]
    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.inner.raw_fd()
    }
}

impl<R, L: fmt::Debug> fmt::Debug for TlsListener<R, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("inner", &self.inner)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("standard_compatible", &self.standard_compatible)
            .finish_non_exhaustive()
    }
}
