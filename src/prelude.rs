//! The traits anyio's streams and sockets are used through, to import in one line.
//!
//! # Examples
//!
//! ```
//! use anyio::prelude::*;
//! use anyio::net::{connect_tcp, create_tcp_listener};
//!
//! # anyio::run(async {
//! let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
//! assert_eq!(client.remote_port(), listener.local_port());
//! # }).unwrap();
//! ```

#[cfg(unix)]
pub use anyio_core::net::SocketAttributes;
pub use anyio_core::streams::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, Listener, ObjectReceiveStream,
    ObjectSendStream,
};
