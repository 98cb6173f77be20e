//! Networking: TCP, UDP and Unix sockets, name resolution, and listeners, on every backend.
//!
//! Sockets are the standard library's, made non-blocking and registered with the runtime's
//! reactor through the [waist](crate::backend::Reactor); everything here — happy eyeballs,
//! the stream semantics, `Busy` and `Closed` — is written once against it.
//!
//! # Connecting: happy eyeballs
//!
//! [`connect_tcp`] (and [`TcpConnect`], for options) resolves the host with [`resolve`] —
//! literal addresses skip the resolver, names go to the system resolver on the runtime's
//! pool for blocking work — and orders the addresses so IPv6 and IPv4 alternate, starting
//! with the family the resolver listed first (RFC 8305). It starts connecting to the first
//! address, and to each next one as soon as the previous attempt fails or after the happy
//! eyeballs delay (250 ms by default) while it is still connecting. The first connection made
//! wins; every other attempt is dropped, which closes its socket, and so is every attempt of a
//! cancelled connect. When all fail, the [`ConnectError`] lists every address with its error,
//! for example `could not connect to localhost:1: [::1]:1: Connection refused (os error
//! 111); 127.0.0.1:1: Connection refused (os error 111)`.
//!
//! # Listening
//!
//! [`create_tcp_listener`] binds every address of a host, or with no host all interfaces (an
//! IPv6-only `::` socket and an IPv4 `0.0.0.0` one, or IPv4 alone where IPv6 is unavailable),
//! all on one port — with port 0, the free port picked for the first address. One
//! [`TcpListener::accept`] serves all of its sockets in turn, so none starves the others, and
//! [`TcpListener::serve`] runs a handler per connection in a task group.
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
//!
//! Every address of a name, with a refused one listed in the error:
//!
//! ```
//! use anyio::net::connect_tcp;
//!
//! # anyio::run(async {
//! let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
//! let error = connect_tcp("localhost", port).await.unwrap_err();
//! assert!(error.is_refused());
//! assert!(error.to_string().contains(&format!("127.0.0.1:{port}")));
//! # }).unwrap();
//! ```

mod address;
mod connect;
mod dns;
mod error;
mod happy_eyeballs;
mod listen;
mod op;
mod scratch;
mod send_eof;
mod socket;
mod stream;
mod tcp;
mod tcp_listener;
mod udp;
mod unix;

pub use address::{SocketAddress, SocketAttributes};
pub use connect::{connect_tcp, ConnectTcp, TcpConnect};
pub use dns::{resolve, ResolveError};
pub use error::{ConnectAttempt, ConnectError};
pub use listen::create_tcp_listener;
pub use op::{ReadBytes, ReadInto, SendAll, WriteAll, WriteSome};
pub use send_eof::SendEof;
pub use socket::{IoOp, SocketIo};
pub use tcp::{TcpReceive, TcpReceiveInto, TcpSend, TcpStream};
pub use tcp_listener::{TcpAccept, TcpListener};
pub use udp::*;
pub use unix::*;
