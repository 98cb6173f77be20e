//! Streams: the byte and object stream traits, memory object streams (anyio's channels) and
//! stream wrappers.
//!
//! [`memory`] holds the memory object streams: typed, cloneable, cancel-safe channels between
//! tasks and OS threads, with the same semantics on every backend. The wrappers take any
//! stream: [`BufferedByteReceiveStream`] (length- and delimiter-framed receives),
//! [`TextStream`] (UTF-8 text), [`StapledByteStream`] and [`StapledObjectStream`] (a send half
//! and a receive half as one stream), and [`ChunkStream`] (a byte stream over an object stream
//! of byte chunks, such as a memory object stream of [`Bytes`]).
//!
//! # Examples
//!
//! ```
//! use anyio::streams::memory::create_memory_object_stream;
//!
//! # anyio::run(async {
//! let (tx, rx) = create_memory_object_stream::<&str>(1);
//! tx.send("hello").await.unwrap();
//! drop(tx);
//! assert_eq!(rx.receive().await.unwrap(), "hello");
//! assert!(rx.receive().await.unwrap_err().is_end_of_stream());
//! # }).unwrap();
//! ```

pub use anyio_core::streams::{
    AsyncClose, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream, Bytes,
    ChunkStream, IoStream, Listener, ObjectReceiveStream, ObjectSendStream, StapledByteStream,
    StapledObjectStream, StreamError, TextStream,
};

/// Accepts connections from `listener` until it fails or the caller's scope is cancelled,
/// running `handler` on each in its own task; see [`anyio_core::streams::serve`].
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use std::time::Duration;
/// use anyio::net::{connect_tcp, create_tcp_listener};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let server = anyio::move_on_after(
///     Duration::from_millis(200),
///     anyio::streams::serve(&listener, |conn| async move {
///         let _ = conn.send(b"hi").await;
///     }),
/// );
/// let client = async { connect_tcp("127.0.0.1", port).await.unwrap().receive(2).await.unwrap() };
/// let (_, greeting) = futures_util::join!(server, client);
/// assert_eq!(&greeting[..], b"hi");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The listener's error that ended serving, such as [`StreamError::Closed`].
///
/// # Cancel safety
///
/// Cancelling it cancels every handler, as for any task group.
pub async fn serve<L, H, F>(listener: &L, handler: H) -> Result<(), StreamError>
where
    L: Listener,
    H: Fn(L::Stream) -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
{
    anyio_core::streams::serve::<crate::AnyRuntime, _, _, _>(listener, handler).await
}

#[cfg(feature = "tls")]
pub mod tls;

pub mod memory {
    //! Memory object streams: anyio's channels.
    //!
    //! [`create_memory_object_stream`] (bounded; capacity 0 is a rendezvous) and
    //! [`create_unbounded_memory_object_stream`] return a connected
    //! [`MemoryObjectSender`]/[`MemoryObjectReceiver`] pair. Both ends are `Clone`; an end is
    //! closed once every clone is closed or dropped. Sends and receives are FIFO-fair, anyio
    //! checkpoints, and lossless under cancellation; the receiver is a `futures` `Stream`, the
    //! sender a `Sink`. See [`anyio_core::streams::memory`] for the full semantics.
    //!
    //! # Examples
    //!
    //! A producer and a consumer; the consumer stops at the end of the stream:
    //!
    //! ```
    //! use anyio::streams::memory::create_memory_object_stream;
    //!
    //! # anyio::run(async {
    //! let (tx, rx) = create_memory_object_stream::<u32>(4);
    //! let sum = anyio::task_group(|tg| async move {
    //!     tg.spawn(async move {
    //!         for i in 1..=100 {
    //!             tx.send(i).await?;
    //!         }
    //!         Ok(0) // dropping `tx` ends the stream
    //!     })?;
    //!     let mut sum = 0;
    //!     while let Ok(i) = rx.receive().await {
    //!         sum += i;
    //!     }
    //!     Ok::<_, anyio::BoxError>(sum)
    //! })
    //! .await
    //! .unwrap();
    //! assert_eq!(sum, 5050);
    //! # }).unwrap();
    //! ```

    pub use anyio_core::streams::memory::*;
}
