//! Any byte stream as `AsyncRead`/`AsyncWrite` through `IoStream`: crates written against the
//! I/O traits run over TLS sessions and stream wrappers, on every backend.

#![cfg(feature = "tls")]

#[path = "tls_certs/mod.rs"]
mod tls_certs;

use std::sync::Arc;

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes, TcpStream};
use anyio::streams::tls::TlsStream;
use anyio::streams::{IoStream, StapledByteStream};
use futures_util::io::{copy, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tls_certs::Ca;

async fn tls_pair() -> (TlsStream<TcpStream>, TlsStream<TcpStream>) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let client = connect_tcp("127.0.0.1", listener.local_port().unwrap())
        .await
        .unwrap();
    let server = listener.accept().await.unwrap();
    let ca = Ca::new("io test ca");
    let (client, server) = futures_util::join!(
        TlsStream::connect(client, "localhost", ca.client()),
        TlsStream::accept(server, Arc::new(ca.server(&["localhost"]))),
    );
    (client.unwrap(), server.unwrap())
}

#[anyio::test]
async fn futures_line_reader_and_copy_over_tls() {
    let (client, server) = tls_pair().await;
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let expected = payload.clone();

    let mut writer = IoStream::new(client);
    let send = async move {
        writer
            .write_all(b"first line\nsecond line\n")
            .await
            .unwrap();
        copy(&payload[..], &mut writer).await.unwrap();
        writer.close().await.unwrap(); // close_notify: the reader sees the end
                                       // Kept open until the reader is done: closing a socket with unread data in its own
                                       // receive buffer (here, the server's session tickets) resets the connection.
        writer
    };
    let receive = async move {
        let mut reader = BufReader::new(IoStream::new(server));
        let mut line = String::new();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "first line\n");
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert_eq!(line, "second line\n");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).await.unwrap();
        rest
    };
    let (_writer, rest) = futures_util::join!(send, receive);
    assert_eq!(rest.len(), expected.len());
    assert!(rest == expected, "the payload arrived changed");
}

#[anyio::test]
async fn a_stapled_stream_through_the_io_traits() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    let outbound = connect_tcp("127.0.0.1", port).await.unwrap();
    let outbound_peer = listener.accept().await.unwrap();
    let inbound_peer = connect_tcp("127.0.0.1", port).await.unwrap();
    let inbound = listener.accept().await.unwrap();

    let mut stapled = IoStream::new(StapledByteStream::new(outbound, inbound));
    stapled.write_all(b"out").await.unwrap();
    let mut got = [0; 3];
    let mut peer = &outbound_peer;
    peer.read_exact(&mut got).await.unwrap();
    assert_eq!(&got, b"out");

    inbound_peer.send(b"in").await.unwrap();
    inbound_peer.send_eof().await.unwrap();
    let mut all = Vec::new();
    stapled.read_to_end(&mut all).await.unwrap();
    assert_eq!(all, b"in");
    assert!(stapled.get_ref().send_stream().local_port().is_some());
}

#[anyio::test]
async fn errors_come_through_as_io_errors() {
    let (client, server) = tls_pair().await;
    // The transport under the server goes away without close_notify: a broken TLS stream.
    let raw = server.get_ref();
    raw.close().await;
    let mut reader = IoStream::new(client);
    let mut buf = Vec::new();
    let error = reader.read_to_end(&mut buf).await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    assert!(error.to_string().contains("close_notify"), "{error}");
}
