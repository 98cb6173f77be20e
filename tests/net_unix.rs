//! Unix stream sockets and listeners on every backend.

mod common;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyio::net::{connect_unix, create_unix_listener, SocketAttributes, UnixListener, UnixStream};
use anyio::streams::StreamError;
use anyio::BoxError;
use futures_util::{AsyncReadExt, AsyncWriteExt};

/// A fresh socket path, removed again when dropped.
struct TempPath(PathBuf);

impl TempPath {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Self(std::env::temp_dir().join(format!("anyio-test-{}-{n}.sock", std::process::id())))
    }
}

impl std::ops::Deref for TempPath {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn connected_pair(path: &Path) -> (UnixListener, UnixStream, UnixStream) {
    let listener = create_unix_listener(path).await.unwrap();
    let client = connect_unix(path).await.unwrap();
    let server = listener.accept().await.unwrap();
    (listener, client, server)
}

#[anyio::test]
async fn round_trip_and_addresses() {
    let path = TempPath::new();
    let (listener, client, server) = connected_pair(&path).await;
    assert_eq!(listener.local_address().unwrap().as_path(), Some(&*path));
    assert_eq!(client.remote_address().unwrap().as_path(), Some(&*path));
    assert_eq!(server.local_address().unwrap().as_path(), Some(&*path));
    assert_eq!(
        listener.remote_address().unwrap_err().kind(),
        io::ErrorKind::NotConnected
    );
    for round in 0..50u32 {
        client.send(&round.to_be_bytes()).await.unwrap();
        let mut buf = [0; 4];
        let mut got = 0;
        while got < 4 {
            got += server.receive_into(&mut buf[got..]).await.unwrap();
        }
        server.send(&buf).await.unwrap();
        let mut back = Vec::new();
        while back.len() < 4 {
            back.extend_from_slice(&client.receive(4 - back.len()).await.unwrap());
        }
        assert_eq!(back, round.to_be_bytes());
    }
}

#[anyio::test]
async fn half_close() {
    let path = TempPath::new();
    let (_listener, client, server) = connected_pair(&path).await;
    client.send(b"request").await.unwrap();
    client.send_eof().await.unwrap();
    let mut request = Vec::new();
    loop {
        match server.receive(3).await {
            Ok(chunk) => request.extend_from_slice(&chunk),
            Err(StreamError::EndOfStream) => break,
            Err(error) => panic!("unexpected {error:?}"),
        }
    }
    assert_eq!(request, b"request");
    // Sending after send_eof is refused, as for TCP.
    assert!(matches!(
        client.send(b"more").await,
        Err(StreamError::Closed)
    ));
    server.send(b"response").await.unwrap();
    server.close().await;
    let mut response = Vec::new();
    while let Ok(chunk) = client.receive(64).await {
        response.extend_from_slice(&chunk);
    }
    assert_eq!(response, b"response");
    assert!(matches!(server.receive(1).await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn a_listener_serves_several_clients() {
    let path = TempPath::new();
    let listener = create_unix_listener(&*path).await.unwrap();
    let target = path.to_path_buf();
    let replies = anyio::task_group(|tg| async move {
        let server = tg.spawn(async move {
            let _ = listener
                .serve(|conn| async move {
                    while let Ok(data) = conn.receive(64).await {
                        let mut reply = b"echo:".to_vec();
                        reply.extend_from_slice(&data);
                        if conn.send(&reply).await.is_err() {
                            break;
                        }
                    }
                })
                .await;
            Ok(())
        })?;
        let clients = (0..8u8).map(|id| {
            let target = target.clone();
            async move {
                let stream = connect_unix(&target).await?;
                stream.send(&[id]).await?;
                let reply = stream.receive(64).await?;
                Ok::<_, BoxError>(reply.to_vec())
            }
        });
        let replies = futures_util::future::join_all(clients).await;
        server.cancel();
        Ok::<_, BoxError>(replies)
    })
    .await
    .unwrap();
    for (id, reply) in replies.into_iter().enumerate() {
        assert_eq!(reply.unwrap(), [&b"echo:"[..], &[id as u8]].concat());
    }
}

#[anyio::test]
async fn connecting_to_a_missing_path_names_it() {
    let path = TempPath::new();
    let error = connect_unix(&*path).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(
        error.to_string().contains(&*path.to_string_lossy()),
        "{error}"
    );
}

#[anyio::test]
async fn connecting_to_a_dead_socket_is_refused() {
    let path = TempPath::new();
    drop(std::os::unix::net::UnixListener::bind(&*path).unwrap());
    let error = connect_unix(&*path).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    assert!(
        error.to_string().contains(&*path.to_string_lossy()),
        "{error}"
    );
}

#[anyio::test]
async fn a_listener_refuses_a_path_that_is_a_regular_file() {
    let path = TempPath::new();
    std::fs::write(&*path, b"precious data").unwrap();
    let error = create_unix_listener(&*path).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
    assert!(
        error.to_string().contains(&*path.to_string_lossy()),
        "{error}"
    );
    assert_eq!(std::fs::read(&*path).unwrap(), b"precious data");
}

#[anyio::test]
async fn a_stale_socket_is_replaced_and_a_live_one_is_not() {
    let path = TempPath::new();
    let first = create_unix_listener(&*path).await.unwrap();
    let error = create_unix_listener(&*path).await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
    // The live listener still works after the refused attempt.
    let client = connect_unix(&*path).await.unwrap();
    drop(first.accept().await.unwrap());
    drop(client);
    drop(first);
    let second = create_unix_listener(&*path).await.unwrap();
    let _client = connect_unix(&*path).await.unwrap();
    second.accept().await.unwrap();
}

#[anyio::test]
async fn close_wakes_a_blocked_accept() {
    let path = TempPath::new();
    let listener = create_unix_listener(&*path).await.unwrap();
    let listener = &listener;
    let (accepted, busy) = futures_util::join!(listener.accept(), async {
        anyio::sleep(common::ms(20)).await;
        let busy = listener.accept().await;
        listener.close().await;
        busy
    });
    assert!(matches!(accepted, Err(StreamError::Closed)), "{accepted:?}");
    assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
    assert!(matches!(listener.accept().await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn close_wakes_a_blocked_receive() {
    let path = TempPath::new();
    let (_listener, client, _server) = connected_pair(&path).await;
    let client = &client;
    let (received, busy) = futures_util::join!(client.receive(16), async {
        anyio::sleep(common::ms(20)).await;
        let busy = client.receive(16).await;
        client.close().await;
        busy
    });
    assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
    assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
}

#[anyio::test]
async fn futures_io_read_and_write() {
    let path = TempPath::new();
    let (_listener, mut client, mut server) = connected_pair(&path).await;
    let payload: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let expected = payload.clone();
    let (written, read) = futures_util::join!(
        async {
            client.write_all(&payload).await?;
            AsyncWriteExt::close(&mut client).await
        },
        async {
            let mut received = Vec::new();
            server.read_to_end(&mut received).await?;
            io::Result::Ok(received)
        }
    );
    written.unwrap();
    assert_eq!(read.unwrap(), expected);
}

#[anyio::test]
async fn from_std_wraps_a_pair() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let (a, b) = (
        UnixStream::from_std(a).unwrap(),
        UnixStream::from_std(b).unwrap(),
    );
    assert_eq!(a.local_address().unwrap().as_path(), None);
    a.send(b"pair").await.unwrap();
    assert_eq!(&b.receive(16).await.unwrap()[..], b"pair");
}

/// Compiled, never run: every future of the Unix socket API can move between threads.
#[allow(dead_code)]
fn futures_are_send(listener: &UnixListener, stream: &UnixStream, buf: &mut [u8]) {
    fn is_send<T: Send>(_: T) {}
    is_send(connect_unix("/"));
    is_send(create_unix_listener("/"));
    is_send(listener.accept());
    is_send(listener.serve(|_| async {}));
    is_send(stream.receive(1));
    is_send(stream.receive_into(buf));
    is_send(stream.send(b""));
}

/// More than a Unix socket pair buffers: a send of it blocks.
const MORE_THAN_BUFFERED: usize = 4 << 20;

/// One task per direction: finishing the sending side while another task's send is blocked
/// is `Busy` and changes nothing; the send goes on, and `send_eof` works once it is done.
#[anyio::test]
async fn send_eof_while_a_send_is_blocked_is_busy() {
    let path = TempPath::new();
    let (_listener, client, server) = connected_pair(&path).await;
    let client = std::sync::Arc::new(client);
    let blocked = std::sync::Arc::new(anyio::Event::new());
    anyio::task_group(|tg| async move {
        let sender = tg
            .spawn({
                let (client, blocked) = (client.clone(), blocked.clone());
                async move {
                    let data = vec![7u8; MORE_THAN_BUFFERED];
                    let mut send = client.send(&data);
                    assert!(
                        futures_util::poll!(&mut send).is_pending(),
                        "the send did not block"
                    );
                    blocked.set();
                    send.await
                }
            })
            .unwrap();
        blocked.wait().await;
        let busy = client.send_eof().await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");

        let mut got = 0;
        while got < MORE_THAN_BUFFERED {
            let chunk = server.receive(65_536).await.unwrap();
            assert!(chunk.iter().all(|&b| b == 7));
            got += chunk.len();
        }
        assert_eq!(got, MORE_THAN_BUFFERED);
        sender.await.unwrap();
        client.send(b"after").await.unwrap();
        client.send_eof().await.unwrap();
        let mut after = Vec::new();
        loop {
            match server.receive(16).await {
                Ok(chunk) => after.extend_from_slice(&chunk),
                Err(StreamError::EndOfStream) => break,
                Err(other) => panic!("expected the end of the stream, got {other:?}"),
            }
        }
        assert_eq!(after, b"after");
        Ok::<_, StreamError>(())
    })
    .await
    .unwrap();
}

#[anyio::test]
async fn send_eof_after_close_is_closed() {
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let stream = UnixStream::from_std(a).unwrap();
    stream.close().await;
    let eof = stream.send_eof().await;
    assert!(matches!(eof, Err(StreamError::Closed)), "{eof:?}");
}
