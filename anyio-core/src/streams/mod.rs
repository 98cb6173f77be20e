//! Streams: the byte and object stream traits, memory object streams (anyio's channels) and
//! the wrappers written against the traits.
//!
//! [`memory`] holds the memory object streams: typed, cloneable, cancel-safe channels between
//! tasks (and OS threads), written once here and run unmodified on every backend. The
//! wrappers work over any stream: [`BufferedByteReceiveStream`] (length- and
//! delimiter-framed receives), [`TextStream`] (UTF-8 text), [`StapledByteStream`] and
//! [`StapledObjectStream`] (a send half and a receive half as one stream), and
//! [`ChunkStream`] (a byte stream over an object stream of byte chunks).
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
mod chunk;
pub(crate) mod claim;
mod error;
mod io;
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
/// The byte buffers streams hand out: cheaply cloneable, sliceable, from the `bytes` crate.
pub use bytes::Bytes;
pub use chunk::ChunkStream;
pub use error::StreamError;
pub use io::IoStream;
pub use listener::{serve, Listener};
pub use stapled::{StapledByteStream, StapledObjectStream};
pub use text::TextStream;
