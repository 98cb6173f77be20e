//! rustls configurations with anyio's crypto provider (ring).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

/// The crypto provider anyio builds configurations with, whatever other providers the
/// program links.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration that trusts the certificates in `roots` and presents none of its
/// own; set `alpn_protocols` on it before wrapping it in an `Arc`.
///
/// For the public web, fill `roots` from the `webpki-roots` crate or the system's store
/// (`rustls-native-certs`).
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::streams::tls::{client_config, rustls};
///
/// let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let mut roots = rustls::RootCertStore::empty();
/// roots.add(ca.cert.der().clone()).unwrap();
/// let mut config = client_config(roots);
/// config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
/// let config = Arc::new(config);
/// # let _ = config;
/// ```
///
/// # Panics
///
/// Never in practice: ring supports rustls' default protocol versions.
pub fn client_config(roots: RootCertStore) -> ClientConfig {
    ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A server configuration presenting `cert_chain` (the server's certificate first) with its
/// private `key`, asking clients for no certificate; set `alpn_protocols` on it before
/// wrapping it in an `Arc`.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use anyio_core::streams::tls::{rustls, server_config};
///
/// let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
/// let config = Arc::new(server_config(vec![cert.cert.der().clone()], key).unwrap());
/// # let _ = config;
/// ```
///
/// # Errors
///
/// rustls' error when the key cannot be used (an unsupported algorithm, or a key that does
/// not match the certificate).
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, rustls::Error> {
    ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(cert_chain, key)
}
