//! AnyIO's `tests/test_sockets.py`, translated: its TCP, Unix stream and UDP cases that have a
//! meaning here, named after it (`TestTCPStream::test_send_receive` is
//! `tcp_stream_send_receive`), each on every backend.
//!
//! Where AnyIO waits with `wait_all_tasks_blocked()`, the task that must block polls its
//! operation once, checks that it is pending, and sets an [`anyio::Event`] the other task
//! waits for. Where AnyIO's peer is a plain blocking socket, so is ours: a standard-library
//! socket, on a thread of its own (every blocking call there has a timeout).
//!
//! Left out, with the reason:
//! - `test_happy_eyeballs`: AnyIO prefers IPv6 whatever the resolver's order; anyio starts with
//!   the resolver's first family (RFC 8305), covered in `net_tcp_connect`
//!   (`a_name_connects_to_a_listener_on_all_its_addresses`, `ipv6_literals_...`).
//! - `test_connection_refused[single]`: `net_tcp_connect::
//!   a_closed_port_names_the_address_and_is_refused` is the same case.
//! - `test_connect_tcp_with_tls*`: TLS streams are tested in `tls.rs` and `tls_openssl.rs`.
//! - `test_reuse_port`, `test_bind_link_local`, abstract Unix socket names, `receive_fds` /
//!   `send_fds`, Unix datagram sockets, `MultiListener`, `getnameinfo`, `wait_readable`:
//!   anyio has no such API.
//! - `test_getaddrinfo` and `test_connect_tcp_getaddrinfo_context`: they need a DNS server.
//! - `test_iterate`: anyio's byte streams are not `Stream`s; the translations receive in a
//!   loop until the end of the stream, which is what iterating does.

mod common;

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use anyio::net::{
    connect_tcp, connect_unix, create_connected_udp_socket, create_tcp_listener, create_udp_socket,
    create_unix_listener, SocketAddress, SocketAttributes,
};
use anyio::streams::{
    AsyncClose, ByteReceiveStream, ByteSendStream, Bytes, ObjectReceiveStream, ObjectSendStream,
    StreamError,
};
use futures_util::poll;

/// How long a blocking peer waits before it gives up, so a bug shows as a failure.
const PEER_TIMEOUT: Duration = Duration::from_secs(10);

fn ipv6_available() -> bool {
    std::net::TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// The loopback address of every family this host has: AnyIO's `family` fixture.
fn loopbacks() -> Vec<IpAddr> {
    let mut ips = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    if ipv6_available() {
        ips.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
    }
    ips
}

fn inet(address: SocketAddress) -> SocketAddr {
    address.as_inet().expect("an internet address")
}

/// Whether a read on `socket` would block: it is non-blocking and has nothing to read.
fn would_block(mut socket: impl Read) -> bool {
    matches!(socket.read(&mut [0; 1]), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// Receives until the end of the stream; what a Python `async for` over the stream does.
async fn receive_to_end(stream: &impl ByteReceiveStream) -> Vec<Bytes> {
    let mut chunks = Vec::new();
    loop {
        match stream.receive(65_536).await {
            Ok(chunk) => chunks.push(chunk),
            Err(StreamError::EndOfStream) => return chunks,
            Err(other) => panic!("expected data or the end of the stream, got {other:?}"),
        }
    }
}

fn concat(chunks: &[Bytes]) -> Vec<u8> {
    chunks
        .iter()
        .flat_map(|chunk| chunk.iter().copied())
        .collect()
}

/// A large buffer, "should exceed the maximum kernel send buffer size".
fn large_buffer() -> Vec<u8> {
    let mut buffer = vec![0xff; 512 * 1024];
    buffer.extend(std::iter::repeat_n(0, 512 * 1024));
    buffer
}

// ---------------------------------------------------------------------------------------------
// Shared by the TCP and Unix stream cases
// ---------------------------------------------------------------------------------------------

/// What the shared cases need of a stream.
trait Stream: ByteReceiveStream + ByteSendStream + AsyncClose + Send + Sync + 'static {}
impl<S: ByteReceiveStream + ByteSendStream + AsyncClose + Send + Sync + 'static> Stream for S {}

/// The group ended either way: cancelled by its body, or done.
fn ended<E: std::fmt::Debug>(result: Result<(), anyio::TaskGroupError<E>>) {
    if let Err(error) = result {
        assert!(error.is_cancelled(), "{error:?}");
    }
}

/// `test_concurrent_send`: a task sends until it blocks, then a second send is `Busy`.
async fn concurrent_send_is_busy(stream: impl Stream) {
    let stream = Arc::new(stream);
    let blocked = Arc::new(anyio::Event::new());
    let result = anyio::task_group(|tg| async move {
        tg.spawn({
            let (stream, blocked) = (Arc::clone(&stream), Arc::clone(&blocked));
            async move {
                let chunk = [0u8; 4096];
                loop {
                    let mut send = Box::pin(stream.send(&chunk));
                    let sent = match poll!(send.as_mut()) {
                        std::task::Poll::Ready(sent) => sent,
                        std::task::Poll::Pending => {
                            blocked.set();
                            send.await
                        }
                    };
                    sent?;
                }
                #[allow(unreachable_code)]
                Ok::<(), StreamError>(())
            }
        })
        .unwrap();
        blocked.wait().await;
        let busy = stream.send(b"foo").await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        assert!(busy.unwrap_err().to_string().contains("already"));
        tg.cancel();
        Ok::<_, StreamError>(())
    })
    .await;
    ended(result);
}

/// `test_concurrent_receive`: a task waits to receive, then a second receive is `Busy`.
async fn concurrent_receive_is_busy(stream: impl Stream) {
    let stream = Arc::new(stream);
    let blocked = Arc::new(anyio::Event::new());
    let result = anyio::task_group(|tg| async move {
        tg.spawn({
            let (stream, blocked) = (Arc::clone(&stream), Arc::clone(&blocked));
            async move {
                let mut receive = Box::pin(stream.receive(4096));
                assert!(poll!(receive.as_mut()).is_pending());
                blocked.set();
                receive.await.map(drop)
            }
        })
        .unwrap();
        blocked.wait().await;
        let busy = stream.receive(4096).await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        tg.cancel();
        Ok::<_, StreamError>(())
    })
    .await;
    ended(result);
}

/// `test_close_during_receive`: another task closes the stream; the receive is `Closed`.
async fn close_during_receive_is_closed(stream: impl Stream) {
    let stream = Arc::new(stream);
    let blocked = Arc::new(anyio::Event::new());
    anyio::task_group(|tg| async move {
        tg.spawn({
            let (stream, blocked) = (Arc::clone(&stream), Arc::clone(&blocked));
            async move {
                blocked.wait().await;
                stream.close().await;
                Ok(())
            }
        })
        .unwrap();
        let mut receive = Box::pin(stream.receive(4096));
        assert!(poll!(receive.as_mut()).is_pending());
        blocked.set();
        let received = receive.await;
        assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
        Ok::<_, StreamError>(())
    })
    .await
    .unwrap();
}

/// `test_receive_after_close` and `test_send_after_close`.
async fn use_after_close_is_closed(stream: impl Stream) {
    stream.close().await;
    let received = stream.receive(4096).await;
    assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
    let sent = stream.send(b"foo").await;
    assert!(matches!(sent, Err(StreamError::Closed)), "{sent:?}");
}

/// A blocking peer: `serve` runs on a thread with the accepted socket.
fn peer_thread<T: Send + 'static>(
    serve: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(serve)
}

/// Waits for a peer thread without blocking the runtime.
async fn join_peer<T: Send + 'static>(peer: std::thread::JoinHandle<T>) -> T {
    anyio::to_thread::run_sync(move || peer.join().expect("the peer thread panicked")).await
}

// ---------------------------------------------------------------------------------------------
// TestTCPStream
// ---------------------------------------------------------------------------------------------

/// AnyIO's `server_sock` fixture: a blocking listener on loopback of `ip`'s family.
fn tcp_server_sock(ip: IpAddr) -> (std::net::TcpListener, SocketAddr) {
    let listener = std::net::TcpListener::bind((ip, 0)).unwrap();
    let address = listener.local_addr().unwrap();
    (listener, address)
}

fn tcp_accept(listener: &std::net::TcpListener) -> std::net::TcpStream {
    let (peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
    peer.set_write_timeout(Some(PEER_TIMEOUT)).unwrap();
    peer
}

async fn tcp_connect(address: SocketAddr) -> anyio::net::TcpStream {
    connect_tcp(&address.ip().to_string(), address.port())
        .await
        .unwrap()
}

#[anyio::test]
async fn tcp_stream_extra_attributes() {
    for ip in loopbacks() {
        let (_server_sock, server_addr) = tcp_server_sock(ip);
        let stream = tcp_connect(server_addr).await;
        let raw = stream.get_ref();
        assert_eq!(
            inet(stream.local_address().unwrap()),
            raw.local_addr().unwrap()
        );
        assert_eq!(
            inet(stream.local_address().unwrap()).is_ipv6(),
            ip.is_ipv6()
        );
        assert_eq!(stream.local_port(), Some(raw.local_addr().unwrap().port()));
        assert_eq!(inet(stream.remote_address().unwrap()), server_addr);
        assert_eq!(stream.remote_port(), Some(server_addr.port()));
        assert_eq!(stream.raw_fd(), std::os::fd::AsRawFd::as_raw_fd(raw));
    }
}

#[anyio::test]
async fn tcp_stream_send_receive() {
    let (server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    let stream = tcp_connect(server_addr).await;
    let peer = peer_thread(move || {
        let mut client = tcp_accept(&server_sock);
        let mut request = [0; 4];
        client.read_exact(&mut request).unwrap();
        request.reverse();
        client.write_all(&request).unwrap();
    });
    stream.send(b"blah").await.unwrap();
    let mut response = Vec::new();
    while response.len() < 4 {
        response.extend_from_slice(&stream.receive(100).await.unwrap());
    }
    join_peer(peer).await;
    assert_eq!(response, b"halb");
}

#[anyio::test]
async fn tcp_stream_send_large_buffer() {
    let (server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    let buffer = large_buffer();
    let stream = tcp_connect(server_addr).await;
    let peer = peer_thread({
        let buffer = buffer.clone();
        move || {
            let mut client = tcp_accept(&server_sock);
            client.write_all(&buffer).unwrap();
        }
    });
    let mut response = Vec::with_capacity(buffer.len());
    while response.len() < buffer.len() {
        response.extend_from_slice(&stream.receive(65_536).await.unwrap());
    }
    join_peer(peer).await;
    assert!(response == buffer);
}

#[anyio::test]
async fn tcp_stream_send_eof() {
    let (server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    let stream = tcp_connect(server_addr).await;
    let peer = peer_thread(move || {
        let mut client = tcp_accept(&server_sock);
        let mut request = Vec::new();
        client.read_to_end(&mut request).unwrap();
        request.reverse();
        client.write_all(&request).unwrap();
    });
    stream.send(b"hello, ").await.unwrap();
    stream.send(b"world\n").await.unwrap();
    stream.send_eof().await.unwrap();
    let response = concat(&receive_to_end(&stream).await);
    join_peer(peer).await;
    assert_eq!(response, b"\ndlrow ,olleh");
}

#[anyio::test]
async fn tcp_stream_iterate() {
    let (server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    let (first_seen, wait_first) = mpsc::channel::<()>();
    let peer = peer_thread(move || {
        let mut client = tcp_accept(&server_sock);
        client.write_all(b"bl").unwrap();
        wait_first.recv_timeout(PEER_TIMEOUT).unwrap();
        client.write_all(b"ah").unwrap();
    });
    let stream = tcp_connect(server_addr).await;
    let mut chunks = Vec::new();
    loop {
        match stream.receive(65_536).await {
            Ok(chunk) => {
                chunks.push(chunk);
                let _ = first_seen.send(());
            }
            Err(StreamError::EndOfStream) => break,
            Err(other) => panic!("{other:?}"),
        }
    }
    join_peer(peer).await;
    assert_eq!(chunks, [&b"bl"[..], &b"ah"[..]]);
}

#[anyio::test]
async fn tcp_stream_socket_options() {
    let (_server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    let stream = tcp_connect(server_addr).await;
    assert!(stream.get_ref().nodelay().unwrap());
}

/// `test_connection_refused[multi]`: every address of `localhost` refuses, and each is
/// listed with its refusal.
#[anyio::test]
async fn tcp_stream_connection_refused_multi() {
    let port = {
        let dummy = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        dummy.local_addr().unwrap().port()
    };
    let error = connect_tcp("localhost", port).await.unwrap_err();
    assert!(error.is_refused(), "{error:?}");
    assert!(!error.attempts().is_empty());
    for attempt in error.attempts() {
        assert_eq!(attempt.address.port(), port);
        assert_eq!(
            attempt.error.kind(),
            io::ErrorKind::ConnectionRefused,
            "{attempt}"
        );
    }
    assert!(
        error
            .to_string()
            .starts_with("could not connect to localhost"),
        "{error}"
    );
}

#[anyio::test]
async fn tcp_stream_receive_timeout() {
    let (server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    let (done, wait_done) = mpsc::channel::<()>();
    let peer = peer_thread(move || {
        let _conn = tcp_accept(&server_sock);
        let _ = wait_done.recv_timeout(PEER_TIMEOUT);
    });
    let stream = tcp_connect(server_addr).await;
    let start = std::time::Instant::now();
    let outcome = anyio::move_on_after(common::ms(100), async {
        loop {
            stream.receive(1).await.unwrap();
        }
    })
    .await;
    assert!(outcome.is_none(), "the timeout was not respected");
    assert!(start.elapsed() < Duration::from_secs(5));
    done.send(()).unwrap();
    join_peer(peer).await;
}

#[anyio::test]
async fn tcp_stream_concurrent_send_busy() {
    let (_server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    concurrent_send_is_busy(tcp_connect(server_addr).await).await;
}

#[anyio::test]
async fn tcp_stream_concurrent_receive_busy() {
    let (_server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    concurrent_receive_is_busy(tcp_connect(server_addr).await).await;
}

#[anyio::test]
async fn tcp_stream_close_during_receive() {
    let (_server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    close_during_receive_is_closed(tcp_connect(server_addr).await).await;
}

#[anyio::test]
async fn tcp_stream_receive_and_send_after_close() {
    let (_server_sock, server_addr) = tcp_server_sock(Ipv4Addr::LOCALHOST.into());
    use_after_close_is_closed(tcp_connect(server_addr).await).await;
}

#[anyio::test]
async fn tcp_stream_send_after_peer_closed() {
    for ip in loopbacks() {
        let (server_sock, server_addr) = tcp_server_sock(ip);
        let peer = peer_thread(move || drop(tcp_accept(&server_sock)));
        let stream = tcp_connect(server_addr).await;
        join_peer(peer).await;
        let mut sent = Ok(());
        for _ in 0..1000 {
            sent = stream.send(b"foo").await;
            if sent.is_err() {
                break;
            }
        }
        assert!(matches!(sent, Err(StreamError::Broken(_))), "{sent:?}");
    }
}

/// `test_unretrieved_future_exception_server_crash`: the server closes without reading what
/// was sent to it, which resets the connection; the waiting receive is `Broken`.
#[anyio::test]
async fn tcp_stream_unretrieved_future_exception_server_crash() {
    for ip in loopbacks() {
        let (server_sock, server_addr) = tcp_server_sock(ip);
        let (sent, wait_sent) = mpsc::channel::<()>();
        let peer = peer_thread(move || {
            let conn = tcp_accept(&server_sock);
            wait_sent.recv_timeout(PEER_TIMEOUT).unwrap();
            // The request is in the receive queue, unread, when the socket closes.
            let mut request = [0; 3];
            while conn.peek(&mut request).unwrap() < request.len() {}
            drop(conn);
        });
        let stream = tcp_connect(server_addr).await;
        stream.send(b"GET").await.unwrap();
        sent.send(()).unwrap();
        let received = stream.receive(4096).await;
        assert!(
            matches!(received, Err(StreamError::Broken(_))),
            "{received:?}"
        );
        join_peer(peer).await;
    }
}

// ---------------------------------------------------------------------------------------------
// TestTCPListener
// ---------------------------------------------------------------------------------------------

#[anyio::test]
async fn tcp_listener_extra_attributes() {
    for ip in loopbacks() {
        let listener = create_tcp_listener(Some(&ip.to_string()), 0).await.unwrap();
        for raw in listener.get_refs() {
            let local = raw.local_addr().unwrap();
            assert_eq!(local.ip(), ip);
            assert_eq!(listener.local_port(), Some(local.port()));
        }
        assert_eq!(inet(listener.local_address().unwrap()).ip(), ip);
        assert_eq!(
            listener.remote_address().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        assert_eq!(listener.remote_port(), None);
    }
}

/// `test_accept[ipv4, ipv6, both]`: every socket of the listener accepts, and the accepted
/// stream carries data both ways.
#[anyio::test]
async fn tcp_listener_accept() {
    let mut hosts: Vec<String> = loopbacks().iter().map(IpAddr::to_string).collect();
    hosts.push("localhost".to_owned());
    for host in hosts {
        let listener = create_tcp_listener(Some(&host), 0).await.unwrap();
        for address in listener.local_addresses().unwrap() {
            let address = inet(address);
            let mut client = std::net::TcpStream::connect(address).unwrap();
            client.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
            let stream = listener.accept().await.unwrap();
            client.write_all(b"blah").unwrap();
            let mut request = Vec::new();
            while request.len() < 4 {
                request.extend_from_slice(&stream.receive(100).await.unwrap());
            }
            request.reverse();
            stream.send(&request).await.unwrap();
            let mut response = [0; 4];
            client.read_exact(&mut response).unwrap();
            assert_eq!(&response, b"halb");
            stream.close().await;
        }
    }
}

#[anyio::test]
async fn tcp_listener_accept_after_close() {
    for ip in loopbacks() {
        let listener = create_tcp_listener(Some(&ip.to_string()), 0).await.unwrap();
        listener.close().await;
        let accepted = listener.accept().await;
        assert!(matches!(accepted, Err(StreamError::Closed)), "{accepted:?}");
    }
}

#[anyio::test]
async fn tcp_listener_socket_options() {
    for ip in loopbacks() {
        let listener = create_tcp_listener(Some(&ip.to_string()), 0).await.unwrap();
        let raw = socket2::SockRef::from(listener.get_ref());
        assert!(raw.reuse_address().unwrap());
        raw.set_recv_buffer_size(80_000).unwrap();
        assert!([80_000, 160_000].contains(&raw.recv_buffer_size().unwrap()));

        let address = listener.get_ref().local_addr().unwrap();
        let _client = std::net::TcpStream::connect(address).unwrap();
        let stream = listener.accept().await.unwrap();
        assert!(would_block(stream.get_ref()), "the accepted stream blocks");
        assert_eq!(
            inet(stream.local_address().unwrap()).is_ipv6(),
            ip.is_ipv6()
        );
        assert!(stream.get_ref().nodelay().unwrap());
    }
}

/// `test_close_from_other_task`: closing the listener ends its serving with `Closed`.
#[anyio::test]
async fn tcp_listener_close_from_other_task() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let mut serving = Box::pin(listener.serve(|_stream| async {}));
    assert!(poll!(serving.as_mut()).is_pending());
    listener.close().await;
    let served = serving.await;
    assert!(matches!(served, Err(StreamError::Closed)), "{served:?}");
}

/// `test_send_after_eof`: a handler still sends after the client finished sending.
#[anyio::test]
async fn tcp_listener_send_after_eof() {
    for ip in loopbacks() {
        let listener = create_tcp_listener(Some(&ip.to_string()), 0).await.unwrap();
        let address = listener.get_ref().local_addr().unwrap();
        let server = listener.serve(|stream| async move {
            stream.send(b"Hello\n").await.unwrap();
            stream.close().await;
        });
        let client = async {
            let message = anyio::to_thread::run_sync(move || {
                let mut client = std::net::TcpStream::connect(address).unwrap();
                client.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
                client.shutdown(Shutdown::Write).unwrap();
                let mut message = Vec::new();
                client.read_to_end(&mut message).unwrap();
                message
            })
            .await;
            listener.close().await;
            message
        };
        let (served, message) =
            anyio::fail_after(PEER_TIMEOUT, async { futures_util::join!(server, client) })
                .await
                .unwrap();
        assert_eq!(message, b"Hello\n");
        assert!(matches!(served, Err(StreamError::Closed)), "{served:?}");
    }
}

/// `test_eof_after_send` (AnyIO #701): a handler receives the data, then the end of the
/// stream, of a client that sent and finished sending before the handler started.
#[anyio::test]
async fn tcp_listener_eof_after_send() {
    for ip in loopbacks() {
        let listener = create_tcp_listener(Some(&ip.to_string()), 0).await.unwrap();
        let mut client =
            std::net::TcpStream::connect(listener.get_ref().local_addr().unwrap()).unwrap();
        client.write_all(b"Hello").unwrap();
        client.shutdown(Shutdown::Write).unwrap();
        let received = Arc::new(std::sync::Mutex::new(None));
        let handled = Arc::new(anyio::Event::new());
        let server = listener.serve({
            let (received, handled) = (Arc::clone(&received), Arc::clone(&handled));
            move |stream| {
                let (received, handled) = (Arc::clone(&received), Arc::clone(&handled));
                async move {
                    let chunks = anyio::fail_after(Duration::from_secs(1), async {
                        receive_to_end(&stream).await
                    })
                    .await
                    .expect("the end of the stream did not come");
                    *received.lock().unwrap() = Some(concat(&chunks));
                    handled.set();
                }
            }
        });
        let stop = async {
            handled.wait().await;
            listener.close().await;
        };
        let (served, ()) = futures_util::join!(server, stop);
        assert!(matches!(served, Err(StreamError::Closed)), "{served:?}");
        assert_eq!(received.lock().unwrap().as_deref(), Some(&b"Hello"[..]));
    }
}

// ---------------------------------------------------------------------------------------------
// TestUNIXStream and TestUNIXListener
// ---------------------------------------------------------------------------------------------

/// A fresh socket path in a directory of its own, removed with it: AnyIO's `socket_path`.
struct SocketDir(PathBuf);

impl SocketDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("anyio-sockets-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> PathBuf {
        self.0.join("socket")
    }

    /// A path whose name is not valid UTF-8.
    fn non_utf8_path(&self) -> PathBuf {
        self.0.join(OsStr::from_bytes(b"socket\xf0"))
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// AnyIO's Unix `server_sock` fixture: a blocking listener at a fresh path.
fn unix_server_sock(dir: &SocketDir) -> (std::os::unix::net::UnixListener, PathBuf) {
    let path = dir.path();
    (std::os::unix::net::UnixListener::bind(&path).unwrap(), path)
}

fn unix_accept(listener: &std::os::unix::net::UnixListener) -> std::os::unix::net::UnixStream {
    let (peer, _) = listener.accept().unwrap();
    peer.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
    peer.set_write_timeout(Some(PEER_TIMEOUT)).unwrap();
    peer
}

#[anyio::test]
async fn unix_stream_extra_attributes() {
    let dir = SocketDir::new();
    let (_server_sock, path) = unix_server_sock(&dir);
    let stream = connect_unix(&path).await.unwrap();
    let local = stream.local_address().unwrap();
    assert!(matches!(local, SocketAddress::Unix(None)), "{local:?}");
    assert_eq!(stream.remote_address().unwrap().as_path(), Some(&*path));
    assert_eq!(stream.local_port(), None);
    assert_eq!(stream.remote_port(), None);
}

/// `test_send_receive[path, str]`.
#[anyio::test]
async fn unix_stream_send_receive() {
    for as_str in [false, true] {
        let dir = SocketDir::new();
        let (server_sock, path) = unix_server_sock(&dir);
        let stream = if as_str {
            connect_unix(path.to_str().unwrap()).await.unwrap()
        } else {
            connect_unix(&path).await.unwrap()
        };
        let peer = peer_thread(move || {
            let mut client = unix_accept(&server_sock);
            let mut request = [0; 4];
            client.read_exact(&mut request).unwrap();
            request.reverse();
            client.write_all(&request).unwrap();
        });
        stream.send(b"blah").await.unwrap();
        let mut response = Vec::new();
        while response.len() < 4 {
            response.extend_from_slice(&stream.receive(100).await.unwrap());
        }
        join_peer(peer).await;
        assert_eq!(response, b"halb");
    }
}

#[anyio::test]
async fn unix_stream_receive_large_buffer() {
    let dir = SocketDir::new();
    let (server_sock, path) = unix_server_sock(&dir);
    let buffer = large_buffer();
    let stream = connect_unix(&path).await.unwrap();
    let peer = peer_thread({
        let buffer = buffer.clone();
        move || unix_accept(&server_sock).write_all(&buffer).unwrap()
    });
    let mut response = Vec::with_capacity(buffer.len());
    while response.len() < buffer.len() {
        response.extend_from_slice(&stream.receive(65_536).await.unwrap());
    }
    join_peer(peer).await;
    assert!(response == buffer);
}

#[anyio::test]
async fn unix_stream_send_large_buffer() {
    let dir = SocketDir::new();
    let (server_sock, path) = unix_server_sock(&dir);
    let buffer = large_buffer();
    let stream = connect_unix(&path).await.unwrap();
    let peer = peer_thread(move || {
        let mut client = unix_accept(&server_sock);
        let mut response = Vec::new();
        let mut chunk = [0; 1024];
        loop {
            match client.read(&mut chunk).unwrap() {
                0 => return response,
                n => response.extend_from_slice(&chunk[..n]),
            }
        }
    });
    stream.send(&buffer).await.unwrap();
    stream.close().await;
    let response = join_peer(peer).await;
    assert!(response == buffer);
}

#[anyio::test]
async fn unix_stream_send_eof() {
    let dir = SocketDir::new();
    let (server_sock, path) = unix_server_sock(&dir);
    let stream = connect_unix(&path).await.unwrap();
    let peer = peer_thread(move || {
        let mut client = unix_accept(&server_sock);
        let mut request = Vec::new();
        client.read_to_end(&mut request).unwrap();
        request.reverse();
        client.write_all(&request).unwrap();
    });
    stream.send(b"hello, ").await.unwrap();
    stream.send(b"world\n").await.unwrap();
    stream.send_eof().await.unwrap();
    let response = concat(&receive_to_end(&stream).await);
    join_peer(peer).await;
    assert_eq!(response, b"\ndlrow ,olleh");
}

#[anyio::test]
async fn unix_stream_iterate() {
    let dir = SocketDir::new();
    let (server_sock, path) = unix_server_sock(&dir);
    let (first_seen, wait_first) = mpsc::channel::<()>();
    let peer = peer_thread(move || {
        let mut client = unix_accept(&server_sock);
        client.write_all(b"bl").unwrap();
        wait_first.recv_timeout(PEER_TIMEOUT).unwrap();
        client.write_all(b"ah").unwrap();
    });
    let stream = connect_unix(&path).await.unwrap();
    let mut chunks = Vec::new();
    loop {
        match stream.receive(65_536).await {
            Ok(chunk) => {
                chunks.push(chunk);
                let _ = first_seen.send(());
            }
            Err(StreamError::EndOfStream) => break,
            Err(other) => panic!("{other:?}"),
        }
    }
    join_peer(peer).await;
    assert_eq!(chunks, [&b"bl"[..], &b"ah"[..]]);
}

#[anyio::test]
async fn unix_stream_concurrent_send_busy() {
    let dir = SocketDir::new();
    let (_server_sock, path) = unix_server_sock(&dir);
    concurrent_send_is_busy(connect_unix(&path).await.unwrap()).await;
}

#[anyio::test]
async fn unix_stream_concurrent_receive_busy() {
    let dir = SocketDir::new();
    let (_server_sock, path) = unix_server_sock(&dir);
    concurrent_receive_is_busy(connect_unix(&path).await.unwrap()).await;
}

#[anyio::test]
async fn unix_stream_close_during_receive() {
    let dir = SocketDir::new();
    let (_server_sock, path) = unix_server_sock(&dir);
    close_during_receive_is_closed(connect_unix(&path).await.unwrap()).await;
}

#[anyio::test]
async fn unix_stream_receive_and_send_after_close() {
    let dir = SocketDir::new();
    let (_server_sock, path) = unix_server_sock(&dir);
    use_after_close_is_closed(connect_unix(&path).await.unwrap()).await;
}

#[anyio::test]
async fn unix_stream_cannot_connect() {
    let dir = SocketDir::new();
    let error = connect_unix(dir.path()).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
}

#[anyio::test]
async fn unix_stream_connecting_using_bytes() {
    let dir = SocketDir::new();
    let (_server_sock, path) = unix_server_sock(&dir);
    let bytes_path = Path::new(OsStr::from_bytes(path.as_os_str().as_bytes()));
    connect_unix(bytes_path).await.unwrap();
}

#[anyio::test]
async fn unix_stream_connecting_with_non_utf8() {
    let dir = SocketDir::new();
    let path = dir.non_utf8_path();
    let _server = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let stream = connect_unix(&path).await.unwrap();
    assert_eq!(stream.remote_address().unwrap().as_path(), Some(&*path));
}

#[anyio::test]
async fn unix_listener_extra_attributes() {
    let dir = SocketDir::new();
    let path = dir.path();
    let listener = create_unix_listener(&path).await.unwrap();
    assert_eq!(listener.local_address().unwrap().as_path(), Some(&*path));
    assert_eq!(
        listener.get_ref().local_addr().unwrap().as_pathname(),
        Some(&*path)
    );
    assert_eq!(listener.local_port(), None);
    assert_eq!(
        listener.remote_address().unwrap_err().kind(),
        io::ErrorKind::NotConnected
    );
    assert_eq!(listener.remote_port(), None);
}

/// `test_accept[path, str]`.
#[anyio::test]
async fn unix_listener_accept() {
    for as_str in [false, true] {
        let dir = SocketDir::new();
        let path = dir.path();
        let listener = if as_str {
            create_unix_listener(path.to_str().unwrap()).await.unwrap()
        } else {
            create_unix_listener(&path).await.unwrap()
        };
        let mut client = std::os::unix::net::UnixStream::connect(&path).unwrap();
        client.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
        let stream = listener.accept().await.unwrap();
        client.write_all(b"blah").unwrap();
        let mut request = Vec::new();
        while request.len() < 4 {
            request.extend_from_slice(&stream.receive(100).await.unwrap());
        }
        request.reverse();
        stream.send(&request).await.unwrap();
        let mut response = [0; 4];
        client.read_exact(&mut response).unwrap();
        assert_eq!(&response, b"halb");
        stream.close().await;
    }
}

#[anyio::test]
async fn unix_listener_socket_options() {
    let dir = SocketDir::new();
    let path = dir.path();
    let listener = create_unix_listener(&path).await.unwrap();
    let raw = socket2::SockRef::from(listener.get_ref());
    assert_eq!(raw.domain().unwrap(), socket2::Domain::UNIX);
    raw.set_recv_buffer_size(80_000).unwrap();
    assert!([80_000, 160_000].contains(&raw.recv_buffer_size().unwrap()));

    let _client = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let stream = listener.accept().await.unwrap();
    assert!(would_block(stream.get_ref()), "the accepted stream blocks");
    let accepted = socket2::SockRef::from(stream.get_ref());
    assert_eq!(accepted.domain().unwrap(), socket2::Domain::UNIX);
}

#[anyio::test]
async fn unix_listener_send_after_eof() {
    let dir = SocketDir::new();
    let path = dir.path();
    let listener = create_unix_listener(&path).await.unwrap();
    let server = listener.serve(|stream| async move {
        stream.send(b"Hello\n").await.unwrap();
        stream.close().await;
    });
    let client = async {
        let message = anyio::to_thread::run_sync(move || {
            let mut client = std::os::unix::net::UnixStream::connect(&path).unwrap();
            client.set_read_timeout(Some(PEER_TIMEOUT)).unwrap();
            client.shutdown(Shutdown::Write).unwrap();
            let mut message = Vec::new();
            client.read_to_end(&mut message).unwrap();
            message
        })
        .await;
        listener.close().await;
        message
    };
    let (served, message) =
        anyio::fail_after(PEER_TIMEOUT, async { futures_util::join!(server, client) })
            .await
            .unwrap();
    assert_eq!(message, b"Hello\n");
    assert!(matches!(served, Err(StreamError::Closed)), "{served:?}");
}

/// `test_bind_twice`: the socket file a closed listener left is replaced.
#[anyio::test]
async fn unix_listener_bind_twice() {
    let dir = SocketDir::new();
    for _ in 0..2 {
        let listener = create_unix_listener(dir.path()).await.unwrap();
        listener.close().await;
    }
}

#[anyio::test]
async fn unix_listener_listening_bytes_path() {
    let dir = SocketDir::new();
    let path = dir.path();
    let bytes_path = Path::new(OsStr::from_bytes(path.as_os_str().as_bytes()));
    let listener = create_unix_listener(bytes_path).await.unwrap();
    assert_eq!(listener.local_address().unwrap().as_path(), Some(&*path));
}

#[anyio::test]
async fn unix_listener_listening_invalid_ascii() {
    let dir = SocketDir::new();
    let path = dir.non_utf8_path();
    let listener = create_unix_listener(&path).await.unwrap();
    let _client = connect_unix(&path).await.unwrap();
    listener.accept().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// TestUDPSocket and TestConnectedUDPSocket
// ---------------------------------------------------------------------------------------------

#[anyio::test]
async fn udp_extra_attributes() {
    for ip in loopbacks() {
        let udp = create_udp_socket(Some(&ip.to_string()), 0).await.unwrap();
        let raw = udp.get_ref();
        assert!(would_block(SocketReader(raw)), "the socket blocks");
        assert_eq!(
            inet(udp.local_address().unwrap()),
            raw.local_addr().unwrap()
        );
        assert_eq!(udp.local_port(), Some(raw.local_addr().unwrap().port()));
        assert_eq!(
            udp.remote_address().unwrap_err().kind(),
            io::ErrorKind::NotConnected
        );
        assert_eq!(udp.remote_port(), None);
    }
}

/// A UDP socket read as a byte source, for [`would_block`].
struct SocketReader<'a>(&'a std::net::UdpSocket);

impl Read for SocketReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.recv(buf)
    }
}

#[anyio::test]
async fn udp_send_receive() {
    for ip in loopbacks() {
        let sock = create_udp_socket(Some(&ip.to_string()), 0).await.unwrap();
        let own = inet(sock.local_address().unwrap());
        sock.send_to(b"blah", own).await.unwrap();
        let (request, from) = sock.receive_from().await.unwrap();
        assert_eq!((&request[..], from), (&b"blah"[..], own));
        sock.send_to(b"halb", own).await.unwrap();
        let (response, from) = sock.receive_from().await.unwrap();
        assert_eq!((&response[..], from), (&b"halb"[..], own));
    }
}

/// `test_iterate`: a server task echoes every datagram reversed, as an object stream.
#[anyio::test]
async fn udp_iterate() {
    for ip in loopbacks() {
        let host = ip.to_string();
        let server = Arc::new(create_udp_socket(Some(&host), 0).await.unwrap());
        let server_address = inet(server.local_address().unwrap());
        let client = create_udp_socket(Some(&host), 0).await.unwrap();
        let result = anyio::task_group(|tg| async move {
            tg.spawn({
                let server = Arc::clone(&server);
                async move {
                    loop {
                        let (packet, from) = ObjectReceiveStream::receive(&*server).await?;
                        let reversed: Vec<u8> = packet.iter().rev().copied().collect();
                        ObjectSendStream::send(&*server, (Bytes::from(reversed), from)).await?;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), StreamError>(())
                }
            })
            .unwrap();
            client.send_to(b"FOOBAR", server_address).await?;
            assert_eq!(
                client.receive_from().await?,
                (Bytes::from_static(b"RABOOF"), server_address)
            );
            client.send_to(b"123456", server_address).await?;
            assert_eq!(
                client.receive_from().await?,
                (Bytes::from_static(b"654321"), server_address)
            );
            tg.cancel();
            Ok::<_, StreamError>(())
        })
        .await;
        ended(result);
    }
}

#[anyio::test]
async fn udp_concurrent_receive_busy() {
    let udp = Arc::new(create_udp_socket(Some("127.0.0.1"), 0).await.unwrap());
    let blocked = Arc::new(anyio::Event::new());
    let result = anyio::task_group(|tg| async move {
        tg.spawn({
            let (udp, blocked) = (Arc::clone(&udp), Arc::clone(&blocked));
            async move {
                let mut receive = udp.receive_from();
                assert!(poll!(&mut receive).is_pending());
                blocked.set();
                receive.await.map(drop)
            }
        })
        .unwrap();
        blocked.wait().await;
        let busy = udp.receive_from().await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        tg.cancel();
        Ok::<_, StreamError>(())
    })
    .await;
    ended(result);
}

#[anyio::test]
async fn udp_close_during_receive() {
    let udp = Arc::new(create_udp_socket(Some("127.0.0.1"), 0).await.unwrap());
    let blocked = Arc::new(anyio::Event::new());
    anyio::task_group(|tg| async move {
        tg.spawn({
            let (udp, blocked) = (Arc::clone(&udp), Arc::clone(&blocked));
            async move {
                blocked.wait().await;
                udp.close().await;
                Ok(())
            }
        })
        .unwrap();
        let mut receive = udp.receive_from();
        assert!(poll!(&mut receive).is_pending());
        blocked.set();
        let received = receive.await;
        assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
        Ok::<_, StreamError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn udp_receive_after_close() {
    let udp = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    udp.close().await;
    let received = udp.receive_from().await;
    assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
}

#[anyio::test]
async fn udp_send_after_close() {
    let udp = create_udp_socket(Some("127.0.0.1"), 0).await.unwrap();
    let own = inet(udp.local_address().unwrap());
    udp.close().await;
    let sent = udp.send_to(b"foo", own).await;
    assert!(matches!(sent, Err(StreamError::Closed)), "{sent:?}");
}

/// `test_create_unbound_socket` (AnyIO #360): with no host and port 0, the socket is bound
/// to a free port.
#[anyio::test]
async fn udp_create_unbound_socket() {
    let udp = create_udp_socket(None, 0).await.unwrap();
    assert!(udp.local_port().unwrap() > 0);
}

#[anyio::test]
async fn connected_udp_extra_attributes() {
    for ip in loopbacks() {
        let host = ip.to_string();
        let udp = create_connected_udp_socket(&host, 5000, None, 0)
            .await
            .unwrap();
        let raw = udp.get_ref();
        assert_eq!(
            inet(udp.local_address().unwrap()),
            raw.local_addr().unwrap()
        );
        assert_eq!(inet(udp.local_address().unwrap()).is_ipv6(), ip.is_ipv6());
        assert_eq!(udp.local_port(), Some(raw.local_addr().unwrap().port()));
        assert_eq!(
            inet(udp.remote_address().unwrap()),
            raw.peer_addr().unwrap()
        );
        assert_eq!(udp.remote_port(), Some(5000));
    }
}

#[anyio::test]
async fn connected_udp_send_receive() {
    for ip in loopbacks() {
        let host = ip.to_string();
        let udp1 = create_udp_socket(Some(&host), 0).await.unwrap();
        let port1 = udp1.local_port().unwrap();
        let udp2 = create_connected_udp_socket(&host, port1, Some(&host), 0)
            .await
            .unwrap();
        let address2 = inet(udp2.local_address().unwrap());
        udp2.send(b"blah").await.unwrap();
        let (request, from) = udp1.receive_from().await.unwrap();
        assert_eq!((&request[..], from), (&b"blah"[..], address2));
        udp1.send_to(b"halb", address2).await.unwrap();
        assert_eq!(&udp2.receive().await.unwrap()[..], b"halb");
    }
}

/// `test_iterate`: the connected socket's task echoes every datagram reversed.
#[anyio::test]
async fn connected_udp_iterate() {
    for ip in loopbacks() {
        let host = ip.to_string();
        let udp1 = create_udp_socket(Some(&host), 0).await.unwrap();
        let udp2 = Arc::new(
            create_connected_udp_socket(&host, udp1.local_port().unwrap(), None, 0)
                .await
                .unwrap(),
        );
        let address2 = inet(udp2.local_address().unwrap());
        let result = anyio::task_group(|tg| async move {
            tg.spawn({
                let udp2 = Arc::clone(&udp2);
                async move {
                    loop {
                        let packet = ObjectReceiveStream::receive(&*udp2).await?;
                        let reversed: Vec<u8> = packet.iter().rev().copied().collect();
                        ObjectSendStream::send(&*udp2, Bytes::from(reversed)).await?;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), StreamError>(())
                }
            })
            .unwrap();
            udp1.send_to(b"FOOBAR", address2).await?;
            assert_eq!(
                udp1.receive_from().await?,
                (Bytes::from_static(b"RABOOF"), address2)
            );
            udp1.send_to(b"123456", address2).await?;
            assert_eq!(
                udp1.receive_from().await?,
                (Bytes::from_static(b"654321"), address2)
            );
            tg.cancel();
            Ok::<_, StreamError>(())
        })
        .await;
        ended(result);
    }
}

#[anyio::test]
async fn connected_udp_concurrent_receive_busy() {
    let udp = Arc::new(
        create_connected_udp_socket("127.0.0.1", 5000, Some("127.0.0.1"), 0)
            .await
            .unwrap(),
    );
    let blocked = Arc::new(anyio::Event::new());
    let result = anyio::task_group(|tg| async move {
        tg.spawn({
            let (udp, blocked) = (Arc::clone(&udp), Arc::clone(&blocked));
            async move {
                let mut receive = udp.receive();
                assert!(poll!(&mut receive).is_pending());
                blocked.set();
                receive.await.map(drop)
            }
        })
        .unwrap();
        blocked.wait().await;
        let busy = udp.receive().await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        tg.cancel();
        Ok::<_, StreamError>(())
    })
    .await;
    ended(result);
}

#[anyio::test]
async fn connected_udp_close_during_receive() {
    let udp = Arc::new(
        create_connected_udp_socket("127.0.0.1", 5000, Some("127.0.0.1"), 0)
            .await
            .unwrap(),
    );
    let blocked = Arc::new(anyio::Event::new());
    anyio::task_group(|tg| async move {
        tg.spawn({
            let (udp, blocked) = (Arc::clone(&udp), Arc::clone(&blocked));
            async move {
                blocked.wait().await;
                udp.close().await;
                Ok(())
            }
        })
        .unwrap();
        let mut receive = udp.receive();
        assert!(poll!(&mut receive).is_pending());
        blocked.set();
        let received = receive.await;
        assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
        Ok::<_, StreamError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn connected_udp_receive_after_close() {
    for ip in loopbacks() {
        let host = ip.to_string();
        let udp = create_connected_udp_socket(&host, 5000, Some(&host), 0)
            .await
            .unwrap();
        udp.close().await;
        let received = udp.receive().await;
        assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
    }
}

#[anyio::test]
async fn connected_udp_send_after_close() {
    for ip in loopbacks() {
        let host = ip.to_string();
        let udp = create_connected_udp_socket(&host, 5000, Some(&host), 0)
            .await
            .unwrap();
        udp.close().await;
        let sent = udp.send(b"foo").await;
        assert!(matches!(sent, Err(StreamError::Closed)), "{sent:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Name resolution
// ---------------------------------------------------------------------------------------------

/// `test_getaddrinfo_ipv6addr`: a literal IPv6 address resolves to itself.
#[anyio::test]
async fn getaddrinfo_ipv6addr() {
    let addresses = anyio::net::resolve("::1", 0).await.unwrap();
    assert_eq!(addresses, [SocketAddr::from((Ipv6Addr::LOCALHOST, 0))]);
}
