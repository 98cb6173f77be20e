//! Networking: TCP, UDP and Unix sockets, name resolution, and listeners, on every backend.
//!
//! Sockets are the standard library's, made non-blocking and registered with the runtime's
//! reactor through the [waist](crate::backend::Reactor); everything here — happy eyeballs,
//! the stream semantics, `Busy` and `Closed` — is written once against it.
//!
//! # Examples
//!
//! ```
//! # use anyio::net::SocketAttributes as _;
//! use anyio::net::{connect_tcp, create_tcp_listener};
//!
//! # anyio::run(async {
//! let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
//! let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
//! let server = listener.accept().await.unwrap();
//! client.send(b"hello").await.unwrap();
//! assert_eq!(&server.receive(5).await.unwrap()[..], b"hello");
//! # }).unwrap();
//! ```

mod address;
mod compat;
mod connect;
mod dns;
mod error;
mod happy_eyeballs;
mod listen;
mod op;
mod socket;
mod tcp;
mod tcp_listener;
mod udp;
mod unix;

pub use address::{SocketAddress, SocketAttributes};
pub use connect::{connect_tcp, ConnectTcp, TcpConnect};
pub use dns::{resolve, ResolveError};
pub use error::{ConnectAttempt, ConnectError};
pub use listen::create_tcp_listener;
pub use op::{ReadBytes, ReadInto, WriteAll, WriteSome};
pub use socket::{IoOp, SocketIo};
pub use tcp::{TcpReceive, TcpReceiveInto, TcpSend, TcpStream, TcpWriteAll};
pub use tcp_listener::{TcpAccept, TcpListener};
#[allow(unused_imports, unreachable_pub)]
pub use udp::*;
#[allow(unused_imports, unreachable_pub)]
pub use unix::*;
