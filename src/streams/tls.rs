//! TLS over any byte stream, with rustls (enable the `tls` feature): [`TlsStream`] for a
//! client or server session, [`TlsListener`] to accept TLS connections, and
//! [`client_config`]/[`server_config`] to make rustls configurations. See
//! [`anyio_core::streams::tls`] for the semantics.
//!
//! # Examples
//!
//! A TLS echo server and a client:
//!
//! ```
//! # use anyio::net::SocketAttributes as _;
//! use std::sync::Arc;
//! use std::time::Duration;
//! use anyio::net::{connect_tcp, create_tcp_listener};
//! use anyio::streams::tls::{client_config, rustls, server_config, TlsListener, TlsStream};
//!
//! # anyio::run(async {
//! let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
//! let mut roots = rustls::RootCertStore::empty();
//! roots.add(cert.cert.der().clone()).unwrap();
//! let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
//! let server = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
//!
//! let tcp = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let port = tcp.local_port().unwrap();
//! let listener = TlsListener::new(tcp, server);
//! let echo = anyio::move_on_after(
//!     Duration::from_secs(2),
//!     listener.serve(|tls| async move {
//!         while let Ok(data) = tls.receive(1024).await {
//!             if tls.send(&data).await.is_err() {
//!                 break;
//!             }
//!         }
//!         tls.close().await;
//!     }),
//! );
//! let client = async {
//!     let tcp = connect_tcp("127.0.0.1", port).await.unwrap();
//!     let tls = TlsStream::connect(tcp, "localhost", Arc::new(client_config(roots)))
//!         .await
//!         .unwrap();
//!     tls.send(b"ping").await.unwrap();
//!     tls.receive(1024).await.unwrap()
//! };
//! let (_, reply) = futures_util::join!(echo, client);
//! assert_eq!(&reply[..], b"ping");
//! # }).unwrap();
//! ```

pub use anyio_core::streams::tls::{
    client_config, rustls, server_config, TlsClose, TlsError, TlsStream, DEFAULT_HANDSHAKE_TIMEOUT,
};

/// A listener whose accepted streams are [`TlsStream`]s, with handshakes bounded by the
/// running backend's timer; see [`anyio_core::streams::tls::TlsListener`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use anyio::streams::tls::{rustls, server_config, TlsListener};
///
/// # anyio::run(async {
/// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
/// let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
/// let tcp = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let listener = TlsListener::new(tcp, config).with_handshake_timeout(Duration::from_secs(3));
/// assert_eq!(listener.handshake_timeout(), Duration::from_secs(3));
/// # }).unwrap();
/// ```
pub type TlsListener<L> = anyio_core::streams::tls::TlsListener<crate::AnyRuntime, L>;
