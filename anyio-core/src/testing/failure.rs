//! What a failed check reports: which properties of the stream failed, and how.

use std::error::Error;
use std::fmt;

/// A property of the byte-stream contract that the checkers verify; each runs on a fresh pair
/// from the stream maker.
///
/// # Examples
///
/// ```
/// use anyio::testing::Property;
///
/// assert!(Property::ConcurrentReceives.to_string().contains("Busy"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Property {
    /// The stream maker returns a pair in time.
    MakeStreams,
    /// Bytes sent arrive.
    Transfer,
    /// An empty send succeeds and sends nothing: the peer's receive is not ended by it.
    EmptySend,
    /// A receive returns at least one and at most `max_bytes` bytes, in order.
    ReceiveSize,
    /// A receive of 0 bytes (`max_bytes` 0, or an empty buffer) fails with
    /// `InvalidArgument` at once, and the stream still works afterwards.
    ZeroMaxBytes,
    /// A send is a checkpoint: in a cancelled scope it does not complete and sends nothing.
    SendCheckpoint,
    /// A receive is a checkpoint: in a cancelled scope it does not complete and takes
    /// nothing, even with data ready.
    ReceiveCheckpoint,
    /// While a receive waits, a second one fails with `Busy`; the stream works afterwards.
    ConcurrentReceives,
    /// While a send waits, a second one fails with `Busy` (needs a clogged stream maker).
    ConcurrentSends,
    /// Once the receiving end is closed, sends fail with `Broken`, and keep failing; the
    /// closed end's receives fail with `Closed`.
    PeerCloseBreaksSend,
    /// After `close`, sends (also empty ones) and receives fail with `Closed`.
    UseAfterClose,
    /// Closing a closed stream again is fine.
    RepeatedClose,
    /// Bytes sent just before the sender closes arrive, then the end of the stream.
    SendThenClose,
    /// Once the sending end is closed, receives end (with `EndOfStream`, or `Broken`) rather
    /// than wait or return data.
    PeerCloseEndsReceive,
    /// A `close` in a cancelled scope still closes.
    CancelledClose,
    /// After a cancelled send and receive, both ends still close normally.
    CloseAfterCancel,
    /// Closing a stream wakes a receive waiting on it in another task, with `Closed`.
    CloseWakesReceive,
    /// Closing a stream wakes a send waiting on it in another task, with `Closed` (needs a
    /// clogged stream maker).
    CloseWakesSend,
    /// Closing the receiving end, also in a cancelled scope, wakes a send waiting on the
    /// peer in another task, with `Broken` (needs a clogged stream maker).
    PeerCloseWakesSend,
    /// Large transfers in both directions at once, in chunks of random sizes, arrive intact:
    /// 1 MiB each way with a task for each direction, then again with all in one task.
    FullDuplex,
    /// Closing one end of a two-way stream ends the other end's receive with `EndOfStream`.
    CloseEndsPeer,
    /// After `send_eof`, the peer receives what was sent before it, then `EndOfStream`; the
    /// other direction keeps working.
    SendEof,
    /// After `send_eof`, sends fail with `Closed`, and `send_eof` again succeeds.
    SendAfterEof,
    /// A `send_eof` in a cancelled scope is all or nothing: it finishes the sending half (the
    /// peer sees the end) or has no effect (sending still works).
    CancelledSendEof,
    /// While a send waits, `send_eof` fails with `Busy` (needs a clogged stream maker).
    SendEofBusy,
}

impl Property {
    /// What the property says, in one line.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::testing::Property;
    ///
    /// assert_eq!(Property::Transfer.description(), "bytes sent arrive");
    /// ```
    pub fn description(self) -> &'static str {
        match self {
            Self::MakeStreams => "the stream maker returns a pair in time",
            Self::Transfer => "bytes sent arrive",
            Self::EmptySend => "an empty send succeeds and sends nothing",
            Self::ReceiveSize => {
                "a receive returns at least 1 and at most max_bytes bytes, in order"
            }
            Self::ZeroMaxBytes => {
                "a receive of 0 bytes fails with InvalidArgument at once and leaves the stream \
                 usable"
            }
            Self::SendCheckpoint => {
                "a send is a checkpoint: in a cancelled scope it does not complete and sends \
                 nothing"
            }
            Self::ReceiveCheckpoint => {
                "a receive is a checkpoint: in a cancelled scope it does not complete and takes \
                 nothing"
            }
            Self::ConcurrentReceives => "a second receive while one waits fails with Busy",
            Self::ConcurrentSends => "a second send while one waits fails with Busy",
            Self::PeerCloseBreaksSend => {
                "once the receiving end is closed, sends fail with Broken and keep failing"
            }
            Self::UseAfterClose => "after close, sends and receives fail with Closed",
            Self::RepeatedClose => "closing a closed stream again is fine",
            Self::SendThenClose => {
                "bytes sent just before a close arrive, then the end of the stream"
            }
            Self::PeerCloseEndsReceive => {
                "once the sending end is closed, receives end instead of waiting or returning data"
            }
            Self::CancelledClose => "a close in a cancelled scope still closes",
            Self::CloseAfterCancel => "after a cancelled send and receive, both ends still close",
            Self::CloseWakesReceive => {
                "closing wakes a receive waiting in another task, with Closed"
            }
            Self::CloseWakesSend => "closing wakes a send waiting in another task, with Closed",
            Self::PeerCloseWakesSend => {
                "closing the receiving end, also in a cancelled scope, wakes the peer's waiting \
                 send with Broken"
            }
            Self::FullDuplex => "large transfers in both directions at once arrive intact",
            Self::CloseEndsPeer => "closing one end ends the other end's receive with EndOfStream",
            Self::SendEof => {
                "after send_eof the peer receives what was sent, then EndOfStream, and the other \
                 direction keeps working"
            }
            Self::SendAfterEof => {
                "after send_eof, sends fail with Closed and send_eof again succeeds"
            }
            Self::CancelledSendEof => {
                "a send_eof in a cancelled scope finishes the sending half or has no effect, \
                 never half of it"
            }
            Self::SendEofBusy => "send_eof while a send waits fails with Busy",
        }
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// One property that failed: which, in which direction, and what happened.
///
/// # Examples
///
/// ```
/// use anyio::streams::{ByteReceiveStream, ByteSendStream, StreamError};
/// use anyio::testing::{check_one_way_stream, Property};
///
/// /// A receiver that ignores `max_bytes` 0: waits like any other receive.
/// struct Lenient(anyio::testing::MemoryReceiveStream);
/// # impl anyio::streams::AsyncClose for Lenient {
/// #     async fn close(&self) { self.0.close().await }
/// # }
/// impl ByteReceiveStream for Lenient {
///     async fn receive_into<'a>(&'a self, buf: &'a mut [u8]) -> Result<usize, StreamError> {
///         let mut one = [0];
///         let buf = if buf.is_empty() { &mut one[..] } else { buf };
///         self.0.receive_into(buf).await
///     }
/// }
///
/// # anyio::run(async {
/// let check = check_one_way_stream(|| async {
///     let (tx, rx) = anyio::testing::memory_stream_one_way_pair();
///     (tx, Lenient(rx))
/// });
/// let error = check.timeout(std::time::Duration::from_millis(200)).await.unwrap_err();
/// let failure = &error.failures()[0];
/// assert_eq!(failure.property(), Property::ZeroMaxBytes);
/// assert!(failure.detail().contains("InvalidArgument"));
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    property: Property,
    direction: Option<&'static str>,
    detail: String,
}

impl Failure {
    pub(super) fn new(property: Property, direction: Option<&'static str>, detail: String) -> Self {
        Self {
            property,
            direction,
            detail,
        }
    }

    /// The property that failed.
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn property(&self) -> Property {
        self.property
    }

    /// Which way the bytes flowed when a one-way property of a two-way stream failed, such as
    /// `"first end to second"`; `None` for the other properties.
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn direction(&self) -> Option<&'static str> {
        self.direction
    }

    /// What the stream did instead.
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} ({})", self.property, self.property)?;
        if let Some(direction) = self.direction {
            write!(f, ", {direction}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// The error of a stream check: every property that failed.
///
/// Its `Debug` output is the same readable list as its `Display`, so `.unwrap()` and `?` in
/// a test print which properties failed and how.
///
/// # Examples
///
/// ```
/// use anyio::testing::{check_two_way_stream, memory_stream_pair};
///
/// # anyio::run(async {
/// // memory streams pass: nothing to report
/// check_two_way_stream(|| async { memory_stream_pair() }).await.unwrap();
/// # }).unwrap();
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CheckError {
    failures: Vec<Failure>,
    checked: usize,
}

impl CheckError {
    pub(super) fn new(failures: Vec<Failure>, checked: usize) -> Self {
        Self { failures, checked }
    }

    /// The properties that failed, in the order they were checked; never empty.
    ///
    /// # Examples
    ///
    /// See [`Failure`].
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Whether `property` failed (in any direction).
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::testing::{check_one_way_stream, Property};
    /// # async fn show(check: anyio::testing::CheckError) {
    /// if check.failed(Property::FullDuplex) {
    ///     eprintln!("data was lost or reordered");
    /// }
    /// # }
    /// ```
    pub fn failed(&self, property: Property) -> bool {
        self.failures.iter().any(|f| f.property == property)
    }

    /// How many property checks ran, passed or not.
    ///
    /// # Examples
    ///
    /// ```
    /// # fn show(error: &anyio::testing::CheckError) {
    /// println!("{} of {} failed", error.failures().len(), error.checked());
    /// # }
    /// ```
    pub fn checked(&self) -> usize {
        self.checked
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} stream property checks failed:",
            self.failures.len(),
            self.checked
        )?;
        for failure in &self.failures {
            write!(f, "\n  - {failure}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error for CheckError {}
