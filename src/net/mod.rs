//! Networking on the backend in use: TCP (with happy eyeballs), listeners, UDP, Unix sockets
//! and name resolution. See [`anyio_core::net`] for the semantics.
//!
//! # Examples
//!
//! An echo server and a client in one task group:
//!
//! ```
//! # use anyio::net::SocketAttributes as _;
//! use anyio::net::{connect_tcp, create_tcp_listener};
//!
//! # anyio::run(async {
//! let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let port = listener.local_port().unwrap();
//! let reply = anyio::task_group(|tg| async move {
//!     tg.spawn(async move {
//!         let conn = listener.accept().await?;
//!         let data = conn.receive(1024).await?;
//!         conn.send(&data).await?;
//!         Ok(())
//!     })?;
//!     let client = connect_tcp("127.0.0.1", port).await?;
//!     client.send(b"echo").await?;
//!     Ok::<_, anyio::BoxError>(client.receive(1024).await?)
//! })
//! .await
//! .unwrap();
//! assert_eq!(&reply[..], b"echo");
//! # }).unwrap();
//! ```

mod tcp;
mod udp;
mod unix;

pub use anyio_core::net::{SendEof, SocketAddress, SocketAttributes};
pub use tcp::*;
pub use udp::*;
pub use unix::*;
