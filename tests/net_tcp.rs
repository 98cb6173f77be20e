//! TCP streams and listeners on every backend.

mod common;

use anyio::streams::StreamError;

#[anyio::test]
async fn echo_round_trip() {
    let (client, server) = common::tcp_pair().await;
    for round in 0..100u32 {
        let message = round.to_be_bytes();
        client.send(&message).await.unwrap();
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
        assert_eq!(back, message);
    }
    client.send_eof().await.unwrap();
    assert!(matches!(
        server.receive(1).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn a_second_receiver_is_busy_and_close_wakes_the_first() {
    let (client, _server) = common::tcp_pair().await;
    let client = &client;
    let (first, second) = futures_util::join!(client.receive(16), async {
        anyio::sleep(common::ms(20)).await;
        let busy = client.receive(16).await;
        client.close().await;
        busy
    });
    assert!(matches!(second, Err(StreamError::Busy)), "{second:?}");
    assert!(matches!(first, Err(StreamError::Closed)), "{first:?}");
}

#[anyio::test]
async fn half_close_ends_one_direction_only() {
    let (client, server) = common::tcp_pair().await;
    client.send(b"last words").await.unwrap();
    client.send_eof().await.unwrap();
    let mut received = Vec::new();
    loop {
        match server.receive(64).await {
            Ok(chunk) => received.extend_from_slice(&chunk),
            Err(StreamError::EndOfStream) => break,
            Err(other) => panic!("expected the end of the stream, got {other:?}"),
        }
    }
    assert_eq!(received, b"last words");
    // The end stays the end, and the other direction still carries data.
    assert!(matches!(
        server.receive(1).await,
        Err(StreamError::EndOfStream)
    ));
    server.send(b"reply").await.unwrap();
    let mut reply = Vec::new();
    while reply.len() < 5 {
        reply.extend_from_slice(&client.receive(5).await.unwrap());
    }
    assert_eq!(reply, b"reply");
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
}

#[anyio::test]
async fn a_peer_reset_is_broken_for_receive_and_send() {
    let (client, server) = common::tcp_pair().await;
    // Linger 0 makes the close send a reset instead of a clean end.
    socket2::SockRef::from(server.get_ref())
        .set_linger(Some(std::time::Duration::ZERO))
        .unwrap();
    client.send(b"unread").await.unwrap();
    drop(server);
    let received = client.receive(16).await;
    assert!(
        matches!(received, Err(StreamError::Broken(_))),
        "{received:?}"
    );
    let mut sent = Ok(());
    for _ in 0..100 {
        sent = client.send(b"into the void").await;
        if sent.is_err() {
            break;
        }
    }
    assert!(matches!(sent, Err(StreamError::Broken(_))), "{sent:?}");
}

#[anyio::test]
async fn receiving_zero_bytes_is_an_invalid_argument() {
    let (client, server) = common::tcp_pair().await;
    let zero = server.receive(0).await;
    assert!(
        matches!(zero, Err(StreamError::InvalidArgument(message)) if !message.is_empty()),
        "{zero:?}"
    );
    let empty = server.receive_into(&mut []).await;
    assert!(
        matches!(empty, Err(StreamError::InvalidArgument(_))),
        "{empty:?}"
    );
    // The stream is unharmed.
    client.send(b"ok").await.unwrap();
    let mut buf = [0; 2];
    let mut got = 0;
    while got < 2 {
        got += server.receive_into(&mut buf[got..]).await.unwrap();
    }
    assert_eq!(&buf, b"ok");
}

#[anyio::test]
async fn async_write_after_send_eof_fails_like_send() {
    use futures_util::io::AsyncWriteExt;

    let (client, _server) = common::tcp_pair().await;
    let mut writer = &client;
    writer.write_all(b"before").await.unwrap();
    client.send_eof().await.unwrap();
    let error = writer.write_all(b"after").await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::NotConnected, "{error}");
    assert!(matches!(
        client.send(b"after").await,
        Err(StreamError::Closed)
    ));
}

/// What a descriptor of this process refers to, such as `socket:[81234]`.
fn descriptor_target(fd: std::os::fd::RawFd) -> std::path::PathBuf {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .expect("this test reads /proc/self/fd, which needs Linux")
}

/// How many of this process's descriptors refer to one of `targets`.
fn descriptors_referring_to(targets: &std::collections::HashSet<std::path::PathBuf>) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter(|target| targets.contains(target))
        .count()
}

/// Registering a socket with the reactor must not hold a second descriptor for it. Counted
/// per socket (by what each descriptor refers to), so other tests' sockets do not matter.
#[anyio::test]
async fn each_socket_holds_one_descriptor() {
    use anyio::net::SocketAttributes as _;

    const CONNECTIONS: usize = 16;
    let listener = anyio::net::create_tcp_listener(Some("127.0.0.1"), 0)
        .await
        .unwrap();
    let port = listener.local_port().unwrap();
    let mut streams = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let client = anyio::net::connect_tcp("127.0.0.1", port).await.unwrap();
        let server = listener.accept().await.unwrap();
        streams.push((client, server));
    }
    let sockets: std::collections::HashSet<_> = streams
        .iter()
        .flat_map(|(client, server)| [client.raw_fd(), server.raw_fd()])
        .chain([listener.raw_fd()])
        .map(descriptor_target)
        .collect();
    assert_eq!(sockets.len(), 2 * CONNECTIONS + 1);
    let descriptors = descriptors_referring_to(&sockets);
    assert_eq!(
        descriptors,
        sockets.len(),
        "{} sockets are held by {descriptors} descriptors",
        sockets.len()
    );

    drop(streams);
    drop(listener);
    assert_eq!(
        descriptors_referring_to(&sockets),
        0,
        "a socket outlived its stream"
    );
}

/// More than the two sockets' buffers hold once they are made small: a send of it blocks.
const MORE_THAN_BUFFERED: usize = 4 << 20;

/// Receives until `len` bytes arrived, checking each is `byte`.
async fn drain(stream: &anyio::net::TcpStream, len: usize, byte: u8) {
    let mut got = 0;
    while got < len {
        let chunk = stream.receive(65_536).await.unwrap();
        assert!(chunk.iter().all(|&b| b == byte));
        got += chunk.len();
    }
    assert_eq!(got, len);
}

/// One task per direction: finishing the sending side while another task's send is blocked
/// is `Busy` and changes nothing; the send goes on, and `send_eof` works once it is done.
#[anyio::test]
async fn send_eof_while_a_send_is_blocked_is_busy() {
    let (client, server) = common::tcp_pair().await;
    socket2::SockRef::from(client.get_ref())
        .set_send_buffer_size(65_536)
        .unwrap();
    socket2::SockRef::from(server.get_ref())
        .set_recv_buffer_size(65_536)
        .unwrap();
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

        drain(&server, MORE_THAN_BUFFERED, 7).await;
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
    let (client, _server) = common::tcp_pair().await;
    client.close().await;
    let eof = client.send_eof().await;
    assert!(matches!(eof, Err(StreamError::Closed)), "{eof:?}");
}
