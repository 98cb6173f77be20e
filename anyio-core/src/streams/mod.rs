//! Streams: memory object streams (anyio's channels).
//!
//! [`memory`] holds the memory object streams: typed, cloneable, cancel-safe channels between
//! tasks (and OS threads), written once here and run unmodified on every backend.
//!
//! # Examples
//!
//! ```
//! use anyio_core::streams::memory::create_memory_object_stream;
//!
//! # anyio::run(async {
//! let (tx, rx) = create_memory_object_stream::<&str>(1);
//! tx.send("hello").await.unwrap();
//! assert_eq!(rx.receive().await.unwrap(), "hello");
//! # }).unwrap();
//! ```

mod buffered;
pub(crate) mod byte;
mod error;
mod listener;
pub mod memory;
mod stapled;
mod text;
#[cfg(feature = "tls")]
pub mod tls;

pub use buffered::BufferedByteReceiveStream;
pub use byte::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, ObjectReceiveStream,
    ObjectSendStream,
};
pub use error::StreamError;
pub use listener::{serve, Listener};
#[allow(unused_imports, unreachable_pub)]
pub use stapled::*;
#[allow(unused_imports, unreachable_pub)]
pub use text::*;
