//! TLS over any byte stream, with rustls: [`TlsStream`] for a client or server session,
//! [`TlsListener`] to accept TLS connections, and [`client_config`]/[`server_config`] to
//! make rustls configurations.
//!
//! Nothing here depends on a runtime: a TLS stream drives its rustls connection over the
//! wrapped stream's `receive` and `send`, so TCP, Unix sockets or a memory stream all work.
//! Only the listener's handshake timeout needs a timer, from the [`Runtime`] it is
//! generic over. Certificate verification is rustls': on by default, configured in the
//! [`rustls::ClientConfig`]. [`rustls`] is re-exported, so its types match anyio's.
//!
//! [`Runtime`]: crate::backend::Runtime
//!
//! # Examples
//!
//! ```
//! # use anyio::net::SocketAttributes as _;
//! use std::sync::Arc;
//! use anyio::net::{connect_tcp, create_tcp_listener};
//! use anyio_core::streams::tls::{client_config, rustls, server_config, TlsListener, TlsStream};
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
//! let listener = TlsListener::<anyio::AnyRuntime, _>::new(tcp, server);
//! let name = anyio::task_group(|tg| async move {
//!     tg.spawn(async move {
//!         let tls = listener.accept().await?;
//!         tls.send(tls.server_name().unwrap_or_default().as_bytes()).await?;
//!         tls.close().await;
//!         Ok(())
//!     })?;
//!     let tcp = connect_tcp("127.0.0.1", port).await?;
//!     let tls = TlsStream::connect(tcp, "localhost", Arc::new(client_config(roots))).await?;
//!     Ok::<_, anyio::BoxError>(tls.receive(100).await?)
//! })
//! .await
//! .unwrap();
//! assert_eq!(&name[..], b"localhost");
//! # }).unwrap();
//! ```

mod close;
mod config;
mod error;
mod incoming;
mod listener;
mod stream;

pub use close::TlsClose;
pub use config::{client_config, server_config};
pub use error::TlsError;
pub use listener::{TlsListener, DEFAULT_HANDSHAKE_TIMEOUT};
/// rustls itself, so that configurations built against it match the version anyio uses.
pub use rustls;
pub use stream::TlsStream;
