//! The error of byte streams, sockets and their wrappers (DESIGN §7).

use std::error::Error;
use std::fmt;
use std::io;

/// Why an operation on a byte stream, socket, listener or stream wrapper failed.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::StreamError;
///
/// let error = StreamError::invalid_argument("max_bytes must be at least 1");
/// assert!(error.to_string().contains("max_bytes"));
/// assert!(StreamError::EndOfStream.is_end_of_stream());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// The peer finished sending (or the stream reached its end) cleanly: nothing more will
    /// arrive. Only receives report it.
    EndOfStream,
    /// This stream (or this direction of it) was closed by us, possibly while the operation
    /// waited.
    Closed,
    /// The peer or the other side is gone without a clean end: a reset connection, a broken
    /// pipe, or a TLS stream that ended without `close_notify`. Carries the cause.
    Broken(io::Error),
    /// Another task is already receiving (or sending) on this stream; one direction serves
    /// one task at a time.
    Busy,
    /// An argument cannot be served, such as `max_bytes` of 0. The message says what to pass.
    InvalidArgument(&'static str),
    /// The stream ended after `received` of the `expected` bytes of a
    /// buffered `receive_exactly`.
    IncompleteRead {
        /// How many bytes were asked for.
        expected: usize,
        /// How many had arrived when the stream ended.
        received: usize,
    },
    /// No delimiter within the first `max_bytes` bytes of a
    /// buffered `receive_until`.
    DelimiterNotFound {
        /// The limit the delimiter had to be found within.
        max_bytes: usize,
    },
    /// Received bytes were not what the stream promises, such as invalid UTF-8 in a text
    /// stream or a TLS protocol violation.
    InvalidData(Box<dyn Error + Send + Sync>),
    /// Any other operating-system error.
    Io(io::Error),
}

impl StreamError {
    /// An [`InvalidArgument`](Self::InvalidArgument) error whose message says what to pass.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StreamError;
    ///
    /// let error = StreamError::invalid_argument("pass a port between 1 and 65535");
    /// assert_eq!(error.to_string(), "invalid argument: pass a port between 1 and 65535");
    /// ```
    pub fn invalid_argument(message: &'static str) -> Self {
        Self::InvalidArgument(message)
    }

    /// Whether the stream ended cleanly.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StreamError;
    ///
    /// assert!(StreamError::EndOfStream.is_end_of_stream());
    /// assert!(!StreamError::Closed.is_end_of_stream());
    /// ```
    pub fn is_end_of_stream(&self) -> bool {
        matches!(self, Self::EndOfStream)
    }

    /// Whether the peer is gone without a clean end.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use anyio_core::streams::StreamError;
    ///
    /// let reset = StreamError::from(io::Error::from(io::ErrorKind::ConnectionReset));
    /// assert!(reset.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        matches!(self, Self::Broken(_))
    }

    /// Whether we closed the stream.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StreamError;
    ///
    /// assert!(StreamError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed)
    }

    /// Whether another task was already using the stream the same way.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio_core::streams::StreamError;
    ///
    /// assert!(StreamError::Busy.is_busy());
    /// ```
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Busy)
    }
}

/// Operating-system errors that mean the peer is gone.
fn is_broken_kind(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::NotConnected
    )
}

impl From<io::Error> for StreamError {
    /// Classifies an operating-system error: a reset, aborted or broken connection is
    /// [`Broken`](Self::Broken), anything else [`Io`](Self::Io).
    fn from(error: io::Error) -> Self {
        if is_broken_kind(error.kind()) {
            Self::Broken(error)
        } else {
            Self::Io(error)
        }
    }
}

impl From<StreamError> for io::Error {
    /// For `AsyncRead`/`AsyncWrite` and other `io::Error` interfaces.
    fn from(error: StreamError) -> Self {
        match error {
            StreamError::Broken(error) | StreamError::Io(error) => error,
            StreamError::EndOfStream => io::Error::new(io::ErrorKind::UnexpectedEof, error),
            StreamError::Closed => io::Error::new(io::ErrorKind::NotConnected, error),
            StreamError::Busy => io::Error::new(io::ErrorKind::ResourceBusy, error),
            StreamError::InvalidArgument(_) => io::Error::new(io::ErrorKind::InvalidInput, error),
            StreamError::IncompleteRead { .. } => {
                io::Error::new(io::ErrorKind::UnexpectedEof, error)
            }
            StreamError::DelimiterNotFound { .. } | StreamError::InvalidData(_) => {
                io::Error::new(io::ErrorKind::InvalidData, error)
            }
        }
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EndOfStream => f.write_str("end of stream: the peer finished sending"),
            Self::Closed => f.write_str("the stream was closed by this side"),
            Self::Broken(error) => write!(f, "the peer is gone: {error}"),
            Self::Busy => f.write_str(
                "another task is already using this stream in the same direction: use one task \
                 per direction, or share it through a lock",
            ),
            Self::InvalidArgument(message) => write!(f, "invalid argument: {message}"),
            Self::IncompleteRead { expected, received } => write!(
                f,
                "the stream ended after {received} of {expected} expected bytes"
            ),
            Self::DelimiterNotFound { max_bytes } => write!(
                f,
                "no delimiter within the first {max_bytes} bytes: raise max_bytes or check the \
                 peer's framing"
            ),
            Self::InvalidData(error) => write!(f, "invalid data: {error}"),
            Self::Io(error) => error.fmt(f),
        }
    }
}

impl Error for StreamError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Broken(error) | Self::Io(error) => Some(error),
            Self::InvalidData(error) => Some(error.as_ref()),
            _ => None,
        }
    }
}
