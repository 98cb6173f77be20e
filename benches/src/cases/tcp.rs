//! TCP over loopback: small round trips and a bulk transfer, anyio's `TcpStream` against each
//! runtime's own.
//!
//! Every case has the same shape on both sides: the sample's main task binds a listener on
//! 127.0.0.1, spawns the server task (through an anyio task group on the facade side, the
//! runtime's own spawn on the native side), connects, does its half of the work, closes its
//! stream and waits for the server task. Both sides turn `TCP_NODELAY` on (anyio always does)
//! and use the same buffer sizes.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes as _, TcpStream};
use anyio::streams::StreamError;
use bytes::Bytes;

use crate::harness::{on_facade, on_native, Rt, NATIVE_SMOL};

/// Round trips per sample in the `tcp_echo_64b*` cases.
pub(crate) const ECHO_N: u64 = 20_000;
/// Bytes per message in them.
const ECHO_SIZE: usize = 64;
/// Bytes transferred per sample in the `tcp_bulk_256mib*` cases.
const BULK_TOTAL: usize = 256 << 20;
/// The size of every write and of the receive buffer in them.
const BULK_CHUNK: usize = 64 << 10;

/// One native case on `rt`: binds on loopback, spawns the server task running `serve` on the
/// accepted connection, connects, runs `drive` on the client's stream, then drops the client
/// and waits for the server task. Both streams have `TCP_NODELAY` on. A macro because each
/// runtime has its own stream types, spawn, and read/write extension traits (the bodies use
/// `read` and `write_all` from whichever the runtime brings into scope).
macro_rules! native_case {
    ($rt:expr, |$conn:ident| $serve:block, |$client:ident| $drive:block) => {
        match $rt {
            Rt::Tokio => on_native($rt, || async {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let listener = tokio::net::TcpListener::bind(loopback())
                    .await
                    .expect("failed to listen on loopback");
                let addr = listener
                    .local_addr()
                    .expect("a bound listener has an address");
                let server = tokio::spawn(async move {
                    let (mut $conn, _) = listener.accept().await.expect("accept failed");
                    $conn.set_nodelay(true).expect("set_nodelay failed");
                    $serve
                });
                let mut $client = tokio::net::TcpStream::connect(addr)
                    .await
                    .expect("connect failed");
                $client.set_nodelay(true).expect("set_nodelay failed");
                $drive
                drop($client);
                server.await.expect("server task failed");
            }),
            Rt::AsyncStd => on_native($rt, || async {
                use async_std::io::{ReadExt, WriteExt};
                let listener = async_std::net::TcpListener::bind(loopback())
                    .await
                    .expect("failed to listen on loopback");
                let addr = listener
                    .local_addr()
                    .expect("a bound listener has an address");
                let server = async_std::task::spawn(async move {
                    let (mut $conn, _) = listener.accept().await.expect("accept failed");
                    $conn.set_nodelay(true).expect("set_nodelay failed");
                    $serve
                });
                let mut $client = async_std::net::TcpStream::connect(addr)
                    .await
                    .expect("connect failed");
                $client.set_nodelay(true).expect("set_nodelay failed");
                $drive
                drop($client);
                server.await;
            }),
            Rt::Smol => on_native($rt, || async {
                use futures_lite::{AsyncReadExt, AsyncWriteExt};
                let listener = async_io::Async::<std::net::TcpListener>::bind(loopback())
                    .expect("failed to listen on loopback");
                let addr = listener
                    .get_ref()
                    .local_addr()
                    .expect("a bound listener has an address");
                let server = NATIVE_SMOL.spawn(async move {
                    let (mut $conn, _) = listener.accept().await.expect("accept failed");
                    $conn
                        .get_ref()
                        .set_nodelay(true)
                        .expect("set_nodelay failed");
                    $serve
                });
                let mut $client = async_io::Async::<std::net::TcpStream>::connect(addr)
                    .await
                    .expect("connect failed");
                $client
                    .get_ref()
                    .set_nodelay(true)
                    .expect("set_nodelay failed");
                $drive
                drop($client);
                server.await;
            }),
        }
    };
}

/// How a facade side receives: into the caller's buffer, or as freshly allocated `Bytes`.
#[derive(Debug, Clone, Copy)]
enum Receive {
    Into,
    Bytes,
}

/// What one receive returned; empty at the end of the stream.
enum Received {
    /// This many bytes at the start of the caller's buffer.
    Into(usize),
    Bytes(Bytes),
}

impl Received {
    fn len(&self) -> usize {
        match self {
            Received::Into(n) => *n,
            Received::Bytes(bytes) => bytes.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes received, wherever they are.
    fn data<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match self {
            Received::Into(n) => &buf[..*n],
            Received::Bytes(bytes) => bytes,
        }
    }
}

impl Receive {
    /// Receives at most `buf.len()` bytes the chosen way (`Bytes` leaves `buf` untouched).
    async fn once(self, stream: &TcpStream, buf: &mut [u8]) -> Result<Received, StreamError> {
        let result = match self {
            Receive::Into => stream.receive_into(buf).await.map(Received::Into),
            Receive::Bytes => stream.receive(buf.len()).await.map(Received::Bytes),
        };
        match result {
            Err(StreamError::EndOfStream) => Ok(Received::Into(0)),
            other => other,
        }
    }
}

/// A listener on a free loopback port, and that port.
async fn facade_listener() -> (anyio::net::TcpListener, u16) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .expect("failed to listen on loopback");
    let port = listener.local_port().expect("a bound listener has a port");
    (listener, port)
}

// ---------------------------------------------------------------------------------------------
// tcp_echo_64b
// ---------------------------------------------------------------------------------------------

pub(crate) fn echo_facade(rt: Rt) -> Duration {
    echo_facade_with(rt, Receive::Into)
}

pub(crate) fn echo_facade_bytes(rt: Rt) -> Duration {
    echo_facade_with(rt, Receive::Bytes)
}

/// `ECHO_N` round trips of `ECHO_SIZE` bytes: the server, a task group child, sends back what
/// it receives; the client, the group's body, sends a message and receives until all of it
/// came back.
fn echo_facade_with(rt: Rt, how: Receive) -> Duration {
    on_facade(rt, move || async move {
        let (listener, port) = facade_listener().await;
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                let conn = listener.accept().await?;
                let mut buf = [0u8; ECHO_SIZE];
                loop {
                    let received = how.once(&conn, &mut buf).await?;
                    if received.is_empty() {
                        return Ok(());
                    }
                    conn.send(received.data(&buf)).await?;
                }
            })?;
            let client = connect_tcp("127.0.0.1", port).await?;
            let message = [7u8; ECHO_SIZE];
            let mut buf = [0u8; ECHO_SIZE];
            for _ in 0..ECHO_N {
                client.send(&message).await?;
                let mut got = 0;
                while got < ECHO_SIZE {
                    let n = how.once(&client, &mut buf[got..]).await?.len();
                    assert_ne!(n, 0, "the server closed early");
                    got += n;
                }
            }
            if let Receive::Into = how {
                assert_eq!(buf, message);
            }
            client.close().await;
            Ok::<_, anyio::BoxError>(())
        })
        .await
        .expect("task group failed");
    })
}

/// [`echo_facade`] with the runtime's own `TcpStream` and spawn.
pub(crate) fn echo_native(rt: Rt) -> Duration {
    native_case!(
        rt,
        |conn| {
            let mut buf = [0u8; ECHO_SIZE];
            loop {
                let n = conn.read(&mut buf).await.expect("read failed");
                if n == 0 {
                    return;
                }
                conn.write_all(&buf[..n]).await.expect("write failed");
            }
        },
        |client| {
            let message = [7u8; ECHO_SIZE];
            let mut buf = [0u8; ECHO_SIZE];
            for _ in 0..ECHO_N {
                client.write_all(&message).await.expect("write failed");
                let mut got = 0;
                while got < ECHO_SIZE {
                    let n = client.read(&mut buf[got..]).await.expect("read failed");
                    assert_ne!(n, 0, "the server closed early");
                    got += n;
                }
            }
            assert_eq!(buf, message);
        }
    )
}

// ---------------------------------------------------------------------------------------------
// tcp_bulk_256mib
// ---------------------------------------------------------------------------------------------

pub(crate) fn bulk_facade(rt: Rt) -> Duration {
    bulk_facade_with(rt, Receive::Into)
}

pub(crate) fn bulk_facade_bytes(rt: Rt) -> Duration {
    bulk_facade_with(rt, Receive::Bytes)
}

/// `BULK_TOTAL` bytes from the server, a task group child, in `BULK_CHUNK` sends, received by
/// the client, the group's body, into a `BULK_CHUNK` buffer until the server closes.
fn bulk_facade_with(rt: Rt, how: Receive) -> Duration {
    on_facade(rt, move || async move {
        let (listener, port) = facade_listener().await;
        anyio::task_group(|tg| async move {
            tg.spawn(async move {
                let conn = listener.accept().await?;
                let chunk = vec![0x5a_u8; BULK_CHUNK];
                for _ in 0..BULK_TOTAL / BULK_CHUNK {
                    conn.send(&chunk).await?;
                }
                conn.close().await;
                Ok(())
            })?;
            let client = connect_tcp("127.0.0.1", port).await?;
            let mut buf = vec![0u8; BULK_CHUNK];
            let mut total = 0;
            loop {
                let n = how.once(&client, &mut buf).await?.len();
                if n == 0 {
                    break;
                }
                total += n;
            }
            assert_eq!(total, BULK_TOTAL);
            Ok::<_, anyio::BoxError>(())
        })
        .await
        .expect("task group failed");
    })
}

/// [`bulk_facade`] with the runtime's own `TcpStream` and spawn.
pub(crate) fn bulk_native(rt: Rt) -> Duration {
    native_case!(
        rt,
        |conn| {
            let chunk = vec![0x5a_u8; BULK_CHUNK];
            for _ in 0..BULK_TOTAL / BULK_CHUNK {
                conn.write_all(&chunk).await.expect("write failed");
            }
        },
        |client| {
            let mut buf = vec![0u8; BULK_CHUNK];
            let mut total = 0;
            loop {
                let n = client.read(&mut buf).await.expect("read failed");
                if n == 0 {
                    break;
                }
                total += n;
            }
            assert_eq!(total, BULK_TOTAL);
        }
    )
}

/// 127.0.0.1, any free port.
fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}
