//! The error of a TLS handshake or session that rustls rejected.

use std::error::Error;
use std::fmt;

use crate::streams::StreamError;

/// What rustls rejected: a failed handshake (an untrusted or mismatched certificate, no
/// common protocol version or ALPN protocol) or a protocol violation on an established
/// session. A TLS stream reports it as [`StreamError::InvalidData`]; find it again with
/// [`TlsError::from_stream_error`].
///
/// # Examples
///
/// ```
/// use anyio_core::streams::tls::{rustls, TlsError};
/// use anyio_core::streams::StreamError;
///
/// let error = TlsError::handshake(rustls::Error::InvalidCertificate(
///     rustls::CertificateError::UnknownIssuer,
/// ));
/// assert_eq!(
///     error.to_string(),
///     "TLS handshake failed: invalid peer certificate: UnknownIssuer"
/// );
/// let stream_error = StreamError::from(error);
/// assert!(TlsError::from_stream_error(&stream_error).unwrap().is_handshake());
/// ```
#[derive(Debug)]
pub struct TlsError {
    during_handshake: bool,
    source: rustls::Error,
}

impl TlsError {
    /// A handshake that rustls refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::{rustls, TlsError};
    ///
    /// let error = TlsError::handshake(rustls::Error::HandshakeNotComplete);
    /// assert!(error.is_handshake());
    /// ```
    pub fn handshake(source: rustls::Error) -> Self {
        Self {
            during_handshake: true,
            source,
        }
    }

    /// A protocol violation after the handshake.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::{rustls, TlsError};
    ///
    /// let error = TlsError::session(rustls::Error::DecryptError);
    /// assert!(!error.is_handshake());
    /// assert!(error.to_string().starts_with("TLS session failed"));
    /// ```
    pub fn session(source: rustls::Error) -> Self {
        Self {
            during_handshake: false,
            source,
        }
    }

    /// Whether the handshake failed (rather than an established session).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::{rustls, TlsError};
    ///
    /// assert!(TlsError::handshake(rustls::Error::DecryptError).is_handshake());
    /// ```
    pub fn is_handshake(&self) -> bool {
        self.during_handshake
    }

    /// rustls' own error, to match on the cause (such as
    /// [`rustls::Error::InvalidCertificate`]).
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::{rustls, TlsError};
    ///
    /// let error = TlsError::session(rustls::Error::DecryptError);
    /// assert_eq!(error.rustls_error(), &rustls::Error::DecryptError);
    /// ```
    pub fn rustls_error(&self) -> &rustls::Error {
        &self.source
    }

    /// The TLS error inside a [`StreamError`], if that is what it carries.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::tls::TlsError;
    /// use anyio_core::streams::StreamError;
    ///
    /// assert!(TlsError::from_stream_error(&StreamError::Closed).is_none());
    /// ```
    pub fn from_stream_error(error: &StreamError) -> Option<&TlsError> {
        match error {
            StreamError::InvalidData(inner) => inner.downcast_ref::<TlsError>(),
            _ => None,
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = if self.during_handshake {
            "handshake"
        } else {
            "session"
        };
        write!(f, "TLS {stage} failed: {}", self.source)
    }
}

impl Error for TlsError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

impl From<TlsError> for StreamError {
    fn from(error: TlsError) -> Self {
        StreamError::InvalidData(Box::new(error))
    }
}
