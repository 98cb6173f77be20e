//! A TLS session over any byte stream, driven by a rustls connection.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, Connection, ProtocolVersion, ServerConfig, ServerConnection,
    SupportedCipherSuite,
};

use super::close::TlsClose;
use super::incoming::{feed_end, IncomingSlot, TakenIncoming};
use super::TlsError;
use crate::net::SocketAttributes;
use crate::streams::byte::EMPTY_BUF;
use crate::streams::claim::Direction;
use crate::streams::{AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, StreamError};
use crate::wait::Acquire;

const UNCLEAN_EOF: &str = "the peer closed the connection without sending TLS close_notify: \
                           the data may be truncated";
const EOF_IN_HANDSHAKE: &str = "the peer closed the connection during the TLS handshake";
const BAD_SERVER_NAME: &str =
    "server_name is not a valid DNS name or IP address: pass the host name the server's \
     certificate was issued for";

/// A TLS session (client or server side) over a byte stream such as a TCP connection.
///
/// Made by [`connect`](Self::connect) or [`accept`](Self::accept), which both finish the
/// handshake before returning. Like the stream it wraps, one task may receive while another
/// sends; a second concurrent receive (or send) fails with [`StreamError::Busy`]. The
/// rustls connection sits behind a lock that is never held across an `.await`.
///
/// The end of the stream is authenticated: a receive reports [`StreamError::EndOfStream`]
/// only after the peer's `close_notify`; a transport that ends without one is
/// [`StreamError::Broken`], since an attacker may have cut the data short.
///
/// # Examples
///
/// A server and a client in one task group, with certificates made by `rcgen`:
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use std::sync::Arc;
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio_core::streams::tls::{client_config, rustls, server_config, TlsStream};
///
/// # anyio::run(async {
/// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let mut roots = rustls::RootCertStore::empty();
/// roots.add(cert.cert.der().clone()).unwrap();
/// let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
/// let server = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
/// let client = Arc::new(client_config(roots));
///
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let reply = anyio::task_group(|tg| async move {
///     tg.spawn(async move {
///         let tls = TlsStream::accept(listener.accept().await?, server).await?;
///         let line = tls.receive(1024).await?;
///         tls.send(&line).await?;
///         tls.close().await;
///         Ok(())
///     })?;
///     let tcp = connect_tcp("127.0.0.1", port).await?;
///     let tls = TlsStream::connect(tcp, "localhost", client).await?;
///     tls.send(b"hello").await?;
///     Ok::<_, anyio::BoxError>(tls.receive(1024).await?)
/// })
/// .await
/// .unwrap();
/// assert_eq!(&reply[..], b"hello");
/// # }).unwrap();
/// ```
pub struct TlsStream<S> {
    transport: S,
    session: Mutex<Connection>,
    /// The name a client asked for; a server reads it from its connection.
    client_server_name: Option<String>,
    receiving: Direction,
    sending: Direction,
    /// Ciphertext read but not yet given to rustls, kept between receives; a receive (or the
    /// handshake) takes it while it runs.
    incoming: IncomingSlot,
    eof_sent: AtomicBool,
    /// Set by [`close`](Self::close): every operation after it is [`StreamError::Closed`].
    closed: AtomicBool,
    /// See [`with_standard_compatible`](Self::with_standard_compatible).
    standard_compatible: bool,
}

impl<S: ByteStream> TlsStream<S> {
    /// Runs the client side of the handshake over `transport`, asking for `server_name`
    /// (sent as SNI) and verifying the server's certificate as `config` says.
    ///
    /// # Examples
    ///
    /// See [`TlsStream`] for a full client and server; a name that is not a host name is
    /// refused before anything is sent:
    ///
    /// ```
    /// use std::sync::Arc;
    /// use anyio::net::{connect_tcp, create_tcp_listener};
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio_core::streams::tls::{client_config, rustls, TlsStream};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let tcp = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let config = Arc::new(client_config(rustls::RootCertStore::empty()));
    /// let error = TlsStream::connect(tcp, "not a name!", config).await.unwrap_err();
    /// assert!(error.to_string().contains("server_name"));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidArgument`] for a `server_name` that is neither a DNS name nor an
    /// IP address; [`StreamError::InvalidData`] holding a [`TlsError`] when the handshake
    /// fails (an untrusted certificate reads "TLS handshake failed: invalid peer
    /// certificate: UnknownIssuer"); the transport's errors, and [`StreamError::Broken`] when
    /// the peer hangs up during the handshake.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled handshake drops the transport.
    pub async fn connect(
        transport: S,
        server_name: &str,
        config: Arc<ClientConfig>,
    ) -> Result<Self, StreamError> {
        let name = ServerName::try_from(server_name.to_owned())
            .map_err(|_| StreamError::invalid_argument(BAD_SERVER_NAME))?;
        let connection = ClientConnection::new(config, name).map_err(TlsError::handshake)?;
        let stream = Self::new(transport, connection.into(), Some(server_name.to_owned()));
        stream.handshake().await?;
        Ok(stream)
    }

    /// Runs the server side of the handshake over `transport`, with the certificate, ALPN
    /// protocols and client verification of `config`.
    ///
    /// # Examples
    ///
    /// See [`TlsStream`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use anyio_core::streams::tls::{rustls, server_config, TlsStream};
    ///
    /// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    /// let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
    /// # let _ = config;
    /// ```
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect): a [`TlsError`] inside [`StreamError::InvalidData`]
    /// when the handshake fails, or the transport's errors.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a cancelled handshake drops the transport.
    pub async fn accept(transport: S, config: Arc<ServerConfig>) -> Result<Self, StreamError> {
        let connection = ServerConnection::new(config).map_err(TlsError::handshake)?;
        let stream = Self::new(transport, connection.into(), None);
        stream.handshake().await?;
        Ok(stream)
    }

    fn new(transport: S, connection: Connection, client_server_name: Option<String>) -> Self {
        Self {
            transport,
            session: Mutex::new(connection),
            client_server_name,
            receiving: Direction::default(),
            sending: Direction::default(),
            incoming: IncomingSlot::default(),
            eof_sent: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            standard_compatible: true,
        }
    }

    async fn handshake(&self) -> Result<(), StreamError> {
        let mut incoming = self.incoming.take();
        loop {
            let (out, handshaking) = {
                let mut session = self.session();
                (take_output(&mut session), session.is_handshaking())
            };
            if !out.is_empty() {
                self.transport.send(&out).await?;
            }
            if !handshaking {
                // What came after the handshake stays in `incoming` for the first receive.
                return Ok(());
            }
            let ended = incoming.needs_read() && !self.read_transport(&mut incoming).await?;
            if ended || self.ingest(&mut incoming, true).await? {
                return Err(StreamError::Broken(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    EOF_IN_HANDSHAKE,
                )));
            }
        }
    }

    /// Reads ciphertext from the transport into `incoming` (which must need it); `false` when
    /// the transport has ended instead.
    async fn read_transport(&self, incoming: &mut TakenIncoming<'_>) -> Result<bool, StreamError> {
        match self.transport.receive_into(incoming.spare()).await {
            Ok(n) => {
                incoming.filled(n);
                Ok(true)
            }
            Err(StreamError::EndOfStream) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Receives at least one and at most `buf.len()` bytes of plaintext into `buf`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    /// use anyio_core::streams::{ByteStream, StreamError};
    ///
    /// async fn read_some<S: ByteStream>(tls: &TlsStream<S>) -> Result<Vec<u8>, StreamError> {
    ///     let mut buf = [0; 1024];
    ///     let n = tls.receive_into(&mut buf).await?;
    ///     Ok(buf[..n].to_vec())
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::EndOfStream`] after the peer's `close_notify`; [`StreamError::Broken`]
    /// when the transport ends without one (unless the stream is not
    /// [standard compatible](Self::with_standard_compatible)); [`StreamError::InvalidData`] holding a
    /// [`TlsError`] for a record that fails to decrypt or breaks the protocol;
    /// [`StreamError::Busy`] while another task receives; [`StreamError::Closed`] after
    /// [`close`](Self::close); `InvalidArgument` for an empty `buf`; the transport's errors.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: ciphertext is taken from the transport only in the poll that returns it
    /// (for a cancel-safe transport, as sockets are) and stays with the stream, decrypted or
    /// not, where the next receive finds it.
    pub async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        if buf.is_empty() {
            return Err(StreamError::invalid_argument(EMPTY_BUF));
        }
        // A checkpoint, also when plaintext is already buffered: in a cancelled scope it
        // takes nothing.
        crate::lowlevel::checkpoint_if_cancelled().await;
        self.ensure_open()?;
        let _receiving = self.receiving.claim()?;
        let mut incoming = self.incoming.take();
        self.receive_plaintext(&mut incoming, buf, !self.standard_compatible)
            .await
    }

    /// Reads and decrypts until rustls has plaintext for `buf`; a transport that ends
    /// without `close_notify` is [`StreamError::EndOfStream`] too if `ragged_eof_ok`.
    async fn receive_plaintext(
        &self,
        incoming: &mut TakenIncoming<'_>,
        buf: &mut [u8],
        ragged_eof_ok: bool,
    ) -> Result<usize, StreamError> {
        loop {
            if let Some(n) = self.take_plaintext(buf, ragged_eof_ok)? {
                return Ok(n);
            }
            if incoming.needs_read() && !self.read_transport(incoming).await? {
                // rustls turns the transport's end into EndOfStream or Broken, depending on
                // whether close_notify came first.
                self.ingest_end().await?;
                continue;
            }
            self.ingest(incoming, false).await?;
        }
    }

    /// Receives at least one and at most `max_bytes` bytes of plaintext.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    /// use anyio_core::streams::{ByteStream, StreamError};
    ///
    /// async fn line<S: ByteStream>(tls: &TlsStream<S>) -> Result<bytes::Bytes, StreamError> {
    ///     tls.receive(4096).await
    /// }
    /// # let _ = line::<anyio::net::TcpStream>;
    /// ```
    ///
    /// # Errors
    ///
    /// As [`receive_into`](Self::receive_into); `InvalidArgument` when `max_bytes` is 0.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`receive_into`](Self::receive_into).
    pub async fn receive(&self, max_bytes: usize) -> Result<bytes::Bytes, StreamError> {
        ByteReceiveStream::receive(self, max_bytes).await
    }

    fn take_plaintext(
        &self,
        buf: &mut [u8],
        ragged_eof_ok: bool,
    ) -> Result<Option<usize>, StreamError> {
        let read = self.session().reader().read(buf);
        match read {
            Ok(0) => Err(StreamError::EndOfStream),
            Ok(n) => Ok(Some(n)),
            Err(error) => match error.kind() {
                io::ErrorKind::WouldBlock => Ok(None),
                io::ErrorKind::UnexpectedEof if ragged_eof_ok => Err(StreamError::EndOfStream),
                io::ErrorKind::UnexpectedEof => Err(StreamError::Broken(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    UNCLEAN_EOF,
                ))),
                _ => Err(StreamError::from(error)),
            },
        }
    }

    /// Hands the ciphertext in `incoming` to rustls, as much as it takes while it has no
    /// plaintext to deliver; returns whether the peer's `close_notify` has come.
    async fn ingest(
        &self,
        incoming: &mut TakenIncoming<'_>,
        handshaking: bool,
    ) -> Result<bool, StreamError> {
        let fed = incoming.feed(&mut self.session(), handshaking);
        self.alert_on_error(fed).await
    }

    /// Tells rustls that the transport has ended.
    async fn ingest_end(&self) -> Result<(), StreamError> {
        let fed = feed_end(&mut self.session(), false);
        self.alert_on_error(fed).await
    }

    /// When rustls rejected what it was fed, sends the alert it queued, so the peer learns
    /// why. A send in flight sends it instead, after its own records.
    async fn alert_on_error<T>(&self, fed: Result<T, StreamError>) -> Result<T, StreamError> {
        let error = match fed {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if let Ok(_sending) = self.sending.claim() {
            let alert = take_output(&mut self.session());
            if !alert.is_empty() {
                let _ = self.transport.send(&alert).await;
            }
        }
        Err(error)
    }

    /// Sends all of `data`, encrypted.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    /// use anyio_core::streams::{ByteStream, StreamError};
    ///
    /// async fn greet<S: ByteStream>(tls: &TlsStream<S>) -> Result<(), StreamError> {
    ///     tls.send(b"hello\r\n").await
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::Closed`] after [`send_eof`](Self::send_eof) or
    /// [`close`](Self::close); [`StreamError::Busy`] while another task sends; the
    /// transport's errors.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: when cancelled, part of a TLS record may have been sent, after which
    /// the session is unusable.
    pub async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        // A checkpoint, also for an empty send: in a cancelled scope it sends nothing.
        crate::lowlevel::checkpoint_if_cancelled().await;
        self.ensure_open()?;
        let _sending = self.sending.claim()?;
        if self.eof_sent.load(Ordering::Acquire) {
            return Err(StreamError::Closed);
        }
        let mut rest = data;
        loop {
            let out = {
                let mut session = self.session();
                let accepted = if rest.is_empty() {
                    0
                } else {
                    session.writer().write(rest)?
                };
                rest = &rest[accepted..];
                take_output(&mut session)
            };
            if out.is_empty() {
                if rest.is_empty() {
                    return Ok(());
                }
                return Err(StreamError::Io(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the TLS session accepted no more plaintext",
                )));
            }
            self.transport.send(&out).await?;
        }
    }

    /// Finishes the sending half: sends `close_notify`, then finishes the transport's sending
    /// half. The peer's receives end with [`StreamError::EndOfStream`] while this side can
    /// still receive; TLS 1.3 defines this half-close, and rustls peers support it (some
    /// TLS 1.2 implementations close the whole connection instead). A transport that cannot
    /// be half-closed is left open.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    /// use anyio_core::streams::{ByteStream, StreamError};
    ///
    /// async fn request<S: ByteStream>(tls: &TlsStream<S>) -> Result<bytes::Bytes, StreamError> {
    ///     tls.send(b"ping").await?;
    ///     tls.send_eof().await?;
    ///     tls.receive(1024).await
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::Busy`] while another task sends, and nothing changes: the send goes on
    /// and a later `send_eof` still finishes the stream; [`StreamError::Closed`] after
    /// [`close`](Self::close); the transport's errors.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: when cancelled, `close_notify` may be sent in part.
    pub async fn send_eof(&self) -> Result<(), StreamError> {
        // In a cancelled scope it does nothing, rather than half of it.
        crate::lowlevel::checkpoint_if_cancelled().await;
        self.ensure_open()?;
        let _sending = self.sending.claim()?;
        if self.eof_sent.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let out = {
            let mut session = self.session();
            session.send_close_notify();
            take_output(&mut session)
        };
        self.transport.send(&out).await?;
        match self.transport.send_eof().await {
            Ok(()) | Err(StreamError::InvalidArgument(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Ends the TLS session but keeps the connection, for protocols that leave TLS and go on
    /// in the clear: sends `close_notify` (unless [`send_eof`](Self::send_eof) did), receives
    /// until the peer's own `close_notify`, and returns the transport with the bytes that
    /// came after it, the start of what the peer sends in the clear.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    /// use anyio_core::streams::{ByteStream, StreamError};
    ///
    /// async fn leave_tls<S: ByteStream>(tls: TlsStream<S>) -> Result<Vec<u8>, StreamError> {
    ///     let (transport, mut clear) = tls.unwrap().await?;
    ///     let mut clear = clear.to_vec();
    ///     if clear.is_empty() {
    ///         clear.extend_from_slice(&transport.receive(1024).await?);
    ///     }
    ///     Ok(clear)
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidData`] when plaintext arrives before the peer's `close_notify`
    /// (receive all of it first: the two sides must agree when to leave TLS);
    /// [`StreamError::Broken`] when the transport ends without `close_notify`, whatever
    /// [`with_standard_compatible`](Self::with_standard_compatible) says;
    /// [`StreamError::Closed`] after [`close`](Self::close); the transport's errors. The
    /// stream is dropped on error, which closes the transport.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: cancelled, the stream and its transport are dropped.
    pub async fn unwrap(self) -> Result<(S, bytes::Bytes), StreamError> {
        self.ensure_open()?;
        if !self.eof_sent.swap(true, Ordering::AcqRel) {
            let out = {
                let mut session = self.session();
                session.send_close_notify();
                take_output(&mut session)
            };
            self.transport.send(&out).await?;
        }
        let rest = {
            let mut incoming = self.incoming.take();
            match self.receive_plaintext(&mut incoming, &mut [0], false).await {
                Ok(_) => {
                    return Err(StreamError::InvalidData(
                        "the peer sent TLS data while the session was being unwrapped: \
                         receive all it sends before unwrapping"
                            .into(),
                    ))
                }
                Err(StreamError::EndOfStream) => incoming.take_rest(),
                Err(error) => return Err(error),
            }
        };
        Ok((self.transport, rest))
    }

    /// Sets whether this side keeps to the TLS standard's closing rules (the default): a
    /// transport that ends without the peer's `close_notify` is [`StreamError::Broken`], and
    /// [`close`](Self::close) sends `close_notify` first. Not standard compatible, such an
    /// end is [`StreamError::EndOfStream`], as many HTTPS peers expect (HTTP frames its own
    /// messages), and `close` skips `close_notify`. As AnyIO's `standard_compatible`.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn lenient(tls: TlsStream<anyio::net::TcpStream>) -> TlsStream<anyio::net::TcpStream> {
    ///     let tls = tls.with_standard_compatible(false);
    ///     assert!(!tls.is_standard_compatible());
    ///     tls
    /// }
    /// ```
    #[must_use]
    pub fn with_standard_compatible(mut self, standard_compatible: bool) -> Self {
        self.standard_compatible = standard_compatible;
        self
    }

    /// The TLS version negotiated in the handshake.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::{rustls, TlsStream};
    ///
    /// fn is_modern(tls: &TlsStream<anyio::net::TcpStream>) -> bool {
    ///     tls.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
    /// }
    /// ```
    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.session().protocol_version()
    }
}

impl<S> TlsStream<S> {
    fn ensure_open(&self) -> Result<(), StreamError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StreamError::Closed);
        }
        Ok(())
    }

    fn session(&self) -> MutexGuard<'_, Connection> {
        // rustls keeps its state consistent between calls, so a panic elsewhere while the
        // lock was held leaves nothing half-done.
        self.session.acquire()
    }

    /// Whether this side keeps to the TLS standard's closing rules; see
    /// [`with_standard_compatible`](Self::with_standard_compatible).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn strict(tls: &TlsStream<anyio::net::TcpStream>) -> bool {
    ///     tls.is_standard_compatible()
    /// }
    /// ```
    pub fn is_standard_compatible(&self) -> bool {
        self.standard_compatible
    }

    /// Whether this is the server side of the session.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn side(tls: &TlsStream<anyio::net::TcpStream>) -> &'static str {
    ///     if tls.is_server() { "server" } else { "client" }
    /// }
    /// ```
    pub fn is_server(&self) -> bool {
        matches!(&*self.session(), Connection::Server(_))
    }

    /// Fills `output` with keying material derived from the session's secrets (RFC 5705,
    /// RFC 8446 section 7.5): both sides derive the same bytes for the same `label` and
    /// `context`. With the label `EXPORTER-Channel-Binding` and no context, it is the
    /// `tls-exporter` channel binding of RFC 9266.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    /// use anyio_core::streams::StreamError;
    ///
    /// fn channel_binding(tls: &TlsStream<anyio::net::TcpStream>) -> Result<[u8; 32], StreamError> {
    ///     tls.export_keying_material([0; 32], b"EXPORTER-Channel-Binding", None)
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidData`] holding a [`TlsError`] when rustls refuses: an empty
    /// `output`, or a label the TLS standard reserves.
    pub fn export_keying_material<T: AsMut<[u8]>>(
        &self,
        output: T,
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<T, StreamError> {
        self.session()
            .export_keying_material(output, label, context)
            .map_err(|error| TlsError::session(error).into())
    }

    /// The ALPN protocol both sides agreed on, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn speaks_h2(tls: &TlsStream<anyio::net::TcpStream>) -> bool {
    ///     tls.alpn_protocol().as_deref() == Some(b"h2")
    /// }
    /// ```
    pub fn alpn_protocol(&self) -> Option<Vec<u8>> {
        self.session().alpn_protocol().map(<[u8]>::to_vec)
    }

    /// The server name (SNI) of the session: on a server, the name the client asked for
    /// (`None` if it sent none, as for IP addresses); on a client, the name it connected to.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn virtual_host(tls: &TlsStream<anyio::net::TcpStream>) -> String {
    ///     tls.server_name().unwrap_or_else(|| "default".to_owned())
    /// }
    /// ```
    pub fn server_name(&self) -> Option<String> {
        match &*self.session() {
            Connection::Server(server) => server.server_name().map(str::to_owned),
            Connection::Client(_) => self.client_server_name.clone(),
        }
    }

    /// The certificate chain the peer presented, its own certificate first: always the
    /// server's on a client; on a server, the client's when the config asked for one.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn chain_length(tls: &TlsStream<anyio::net::TcpStream>) -> usize {
    ///     tls.peer_certificates().map_or(0, |chain| chain.len())
    /// }
    /// ```
    pub fn peer_certificates(&self) -> Option<Vec<CertificateDer<'static>>> {
        let session = self.session();
        let chain = session.peer_certificates()?;
        Some(chain.iter().map(|cert| cert.clone().into_owned()).collect())
    }

    /// The cipher suite negotiated in the handshake.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn suite_name(tls: &TlsStream<anyio::net::TcpStream>) -> String {
    ///     tls.cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default()
    /// }
    /// ```
    pub fn cipher_suite(&self) -> Option<SupportedCipherSuite> {
        self.session().negotiated_cipher_suite()
    }

    /// The stream this session runs over.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// fn tcp(tls: &TlsStream<anyio::net::TcpStream>) -> &anyio::net::TcpStream {
    ///     tls.get_ref()
    /// }
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.transport
    }
}

impl<S: ByteStream + AsyncClose> TlsStream<S> {
    /// Sends `close_notify` (unless [`send_eof`](Self::send_eof) already did, another task is
    /// sending, or the stream is not
    /// [standard compatible](Self::with_standard_compatible)), then closes the transport; receives and sends waiting on it end with
    /// [`StreamError::Closed`], and so does every operation on this stream from the call on.
    ///
    /// Closing always closes, as Trio's `aclose` does: only the goodbye waits for the
    /// future to be awaited. In a cancelled scope `close_notify` is skipped (its send is a
    /// checkpoint) and the transport is closed all the same; a [`TlsClose`] dropped unpolled
    /// closes the transport too.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsStream;
    ///
    /// async fn goodbye(tls: TlsStream<anyio::net::TcpStream>) {
    ///     let _ = tls.send(b"bye\n").await;
    ///     tls.close().await;
    /// }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: when cancelled while sending `close_notify`, the transport's close is
    /// still started (a socket closes at once).
    pub fn close(&self) -> TlsClose<'_> {
        self.closed.store(true, Ordering::Release);
        TlsClose::new(&self.transport, async move {
            // In a cancelled scope there is no time for a goodbye (the send would be stopped
            // at its checkpoint anyway): close the transport at once.
            if !self.standard_compatible || crate::context::is_cancelled() {
                return;
            }
            let Ok(_sending) = self.sending.claim() else {
                return;
            };
            if self.eof_sent.swap(true, Ordering::AcqRel) {
                return;
            }
            let out = {
                let mut session = self.session();
                session.send_close_notify();
                take_output(&mut session)
            };
            let _ = self.transport.send(&out).await;
        })
    }
}

/// The TLS records rustls has queued for the peer.
fn take_output(session: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    while session.wants_write() {
        // Writing into a Vec cannot fail.
        if session.write_tls(&mut out).is_err() {
            break;
        }
    }
    out
}

impl<S: fmt::Debug> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let session = self.session();
        let side = match &*session {
            Connection::Client(_) => "client",
            Connection::Server(_) => "server",
        };
        f.debug_struct("TlsStream")
            .field("side", &side)
            .field("protocol_version", &session.protocol_version())
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

impl<S: ByteStream> ByteReceiveStream for TlsStream<S> {
    fn receive_into<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = Result<usize, StreamError>> + Send + 'a {
        TlsStream::receive_into(self, buf)
    }
}

impl<S: ByteStream> ByteSendStream for TlsStream<S> {
    fn send<'a>(
        &'a self,
        data: &'a [u8],
    ) -> impl Future<Output = Result<(), StreamError>> + Send + 'a {
        TlsStream::send(self, data)
    }
}

impl<S: ByteStream> ByteStream for TlsStream<S> {
    fn send_eof(&self) -> impl Future<Output = Result<(), StreamError>> + Send + '_ {
        TlsStream::send_eof(self)
    }
}

impl<S: ByteStream + AsyncClose> AsyncClose for TlsStream<S> {
    #[allow(refining_impl_trait)]
    fn close(&self) -> TlsClose<'_> {
        TlsStream::close(self)
    }
}

impl<S: SocketAttributes> SocketAttributes for TlsStream<S> {
    fn local_address(&self) -> io::Result<crate::net::SocketAddress> {
        self.transport.local_address()
    }

    fn remote_address(&self) -> io::Result<crate::net::SocketAddress> {
        self.transport.remote_address()
    }

    #[cfg(unix)]
    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.transport.raw_fd()
    }
}
