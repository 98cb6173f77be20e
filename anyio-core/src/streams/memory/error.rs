//! The errors of memory object streams, one per operation; failed sends hand the item back.

use std::error::Error;
use std::fmt;

/// Why a [`send`](super::MemoryObjectSender::send) failed; carries the item back.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, SendError};
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<String>(1);
/// drop(rx);
/// let error = tx.send("hello".to_string()).await.unwrap_err();
/// assert!(error.is_broken());
/// assert_eq!(error.into_inner(), "hello");
/// # }).unwrap();
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SendError<T> {
    /// Every receiver is closed or dropped: nobody can ever receive the item.
    Broken(T),
    /// This sender was closed with [`close`](super::MemoryObjectSender::close).
    Closed(T),
}

impl<T> SendError<T> {
    /// The item that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::SendError;
    ///
    /// assert_eq!(SendError::Closed(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::Broken(item) | Self::Closed(item) => item,
        }
    }

    /// Whether every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::SendError;
    ///
    /// assert!(SendError::Broken(7).is_broken());
    /// assert!(!SendError::Closed(7).is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        matches!(self, Self::Broken(_))
    }

    /// Whether this sender was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::SendError;
    ///
    /// assert!(SendError::Closed(7).is_closed());
    /// assert!(!SendError::Broken(7).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Broken(_) => f.write_str("Broken(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Broken(_) => f.write_str(BROKEN),
            Self::Closed(_) => f.write_str(SEND_CLOSED),
        }
    }
}

impl<T> Error for SendError<T> {}

/// Why a [`try_send`](super::MemoryObjectSender::try_send) failed; carries the item back.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
///
/// let (tx, _rx) = create_memory_object_stream::<u32>(1);
/// tx.try_send(1).unwrap();
/// let error = tx.try_send(2).unwrap_err();
/// assert!(error.is_would_block());
/// assert_eq!(error.into_inner(), 2);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The buffer is full and no receiver is waiting; [`send`](super::MemoryObjectSender::send)
    /// would wait.
    WouldBlock(T),
    /// Every receiver is closed or dropped: nobody can ever receive the item.
    Broken(T),
    /// This sender was closed with [`close`](super::MemoryObjectSender::close).
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The item that was not sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TrySendError;
    ///
    /// assert_eq!(TrySendError::WouldBlock(7).into_inner(), 7);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            Self::WouldBlock(item) | Self::Broken(item) | Self::Closed(item) => item,
        }
    }

    /// Whether the send failed only because it would have to wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TrySendError;
    ///
    /// assert!(TrySendError::WouldBlock(7).is_would_block());
    /// ```
    pub fn is_would_block(&self) -> bool {
        matches!(self, Self::WouldBlock(_))
    }

    /// Whether every receiver is gone.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TrySendError;
    ///
    /// assert!(TrySendError::Broken(7).is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        matches!(self, Self::Broken(_))
    }

    /// Whether this sender was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TrySendError;
    ///
    /// assert!(TrySendError::Closed(7).is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<T> From<SendError<T>> for TrySendError<T> {
    fn from(error: SendError<T>) -> Self {
        match error {
            SendError::Broken(item) => Self::Broken(item),
            SendError::Closed(item) => Self::Closed(item),
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WouldBlock(_) => f.write_str("WouldBlock(..)"),
            Self::Broken(_) => f.write_str("Broken(..)"),
            Self::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WouldBlock(_) => f.write_str(
                "the memory object stream is full and no receiver is waiting; \
                 use `send` to wait for room (the item was handed back)",
            ),
            Self::Broken(_) => f.write_str(BROKEN),
            Self::Closed(_) => f.write_str(SEND_CLOSED),
        }
    }
}

impl<T> Error for TrySendError<T> {}

/// Why a [`receive`](super::MemoryObjectReceiver::receive) failed.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, ReceiveError};
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u32>(1);
/// drop(tx);
/// assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReceiveError {
    /// Every sender is closed or dropped and every item sent has been received: the clean end.
    EndOfStream,
    /// This receiver was closed with [`close`](super::MemoryObjectReceiver::close).
    Closed,
}

impl ReceiveError {
    /// Whether the stream ended cleanly.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::ReceiveError;
    ///
    /// assert!(ReceiveError::EndOfStream.is_end_of_stream());
    /// ```
    pub fn is_end_of_stream(&self) -> bool {
        matches!(self, Self::EndOfStream)
    }

    /// Whether this receiver was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::ReceiveError;
    ///
    /// assert!(ReceiveError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed)
    }
}

impl fmt::Display for ReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EndOfStream => f.write_str(END_OF_STREAM),
            Self::Closed => f.write_str(RECEIVE_CLOSED),
        }
    }
}

impl Error for ReceiveError {}

/// Why a [`try_receive`](super::MemoryObjectReceiver::try_receive) failed.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, TryReceiveError};
///
/// let (_tx, rx) = create_memory_object_stream::<u32>(1);
/// assert_eq!(rx.try_receive(), Err(TryReceiveError::WouldBlock));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryReceiveError {
    /// No item is ready; [`receive`](super::MemoryObjectReceiver::receive) would wait.
    WouldBlock,
    /// Every sender is closed or dropped and every item sent has been received: the clean end.
    EndOfStream,
    /// This receiver was closed with [`close`](super::MemoryObjectReceiver::close).
    Closed,
}

impl TryReceiveError {
    /// Whether the receive failed only because it would have to wait.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TryReceiveError;
    ///
    /// assert!(TryReceiveError::WouldBlock.is_would_block());
    /// ```
    pub fn is_would_block(&self) -> bool {
        matches!(self, Self::WouldBlock)
    }

    /// Whether the stream ended cleanly.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TryReceiveError;
    ///
    /// assert!(TryReceiveError::EndOfStream.is_end_of_stream());
    /// ```
    pub fn is_end_of_stream(&self) -> bool {
        matches!(self, Self::EndOfStream)
    }

    /// Whether this receiver was closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::streams::memory::TryReceiveError;
    ///
    /// assert!(TryReceiveError::Closed.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed)
    }
}

impl From<ReceiveError> for TryReceiveError {
    fn from(error: ReceiveError) -> Self {
        match error {
            ReceiveError::EndOfStream => Self::EndOfStream,
            ReceiveError::Closed => Self::Closed,
        }
    }
}

impl fmt::Display for TryReceiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WouldBlock => f.write_str(
                "the memory object stream has no item ready; use `receive` to wait for one",
            ),
            Self::EndOfStream => f.write_str(END_OF_STREAM),
            Self::Closed => f.write_str(RECEIVE_CLOSED),
        }
    }
}

impl Error for TryReceiveError {}

const BROKEN: &str = "every receiver of the memory object stream is closed or dropped, \
                      so nobody can receive the item (it was handed back)";
const SEND_CLOSED: &str = "this sender was closed; send through another clone, or keep the \
                           handle open until done (the item was handed back)";
const END_OF_STREAM: &str = "end of stream: every sender of the memory object stream is \
                             closed or dropped and every item sent has been received";
const RECEIVE_CLOSED: &str = "this receiver was closed; receive through another clone, or \
                              keep the handle open until done";
