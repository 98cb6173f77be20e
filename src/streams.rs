//! Streams: memory object streams (anyio's channels).
//!
//! [`memory`] holds the memory object streams: typed, cloneable, cancel-safe channels between
//! tasks and OS threads, with the same semantics on every backend.
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
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream, StreamError,
};

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
