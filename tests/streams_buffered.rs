//! The buffered receive stream over real TCP connections, on every backend.

#[path = "buffered_cases/anyio.rs"]
mod anyio_cases;
mod common;

use std::time::{Duration, Instant};

use anyio::net::TcpStream;
use anyio::streams::{BufferedByteReceiveStream, StreamError};
use common::ms;

/// Sends `data` one byte per segment, pausing so the receiver sees several small chunks.
async fn trickle(stream: &TcpStream, data: &[u8]) {
    for byte in data {
        stream.send(std::slice::from_ref(byte)).await.unwrap();
        anyio::sleep(ms(1)).await;
    }
}

#[anyio::test]
async fn receive_exactly_gathers_several_small_sends() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    let ((), first) =
        futures_util::join!(trickle(&client, b"hello, world"), server.receive_exactly(5));
    assert_eq!(&first.unwrap()[..], b"hello");
    assert_eq!(&server.receive_exactly(7).await.unwrap()[..], b", world");
    assert!(server.buffer().is_empty());
}

#[anyio::test]
async fn end_of_stream_inside_receive_exactly_keeps_the_partial_bytes() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    client.send(b"12345").await.unwrap();
    client.send_eof().await.unwrap();
    let error = server.receive_exactly(8).await.unwrap_err();
    assert!(
        matches!(
            error,
            StreamError::IncompleteRead {
                expected: 8,
                received: 5
            }
        ),
        "{error:?}"
    );
    assert_eq!(&server.buffer()[..], b"12345");
    assert_eq!(&server.receive_exactly(5).await.unwrap()[..], b"12345");
    assert!(matches!(
        server.receive(1).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn receive_until_finds_a_delimiter_split_across_sends() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    let (line, ()) = futures_util::join!(server.receive_until(b"\r\n", 100), async {
        client.send(b"first\r").await.unwrap();
        anyio::sleep(ms(20)).await;
        client.send(b"\nsecond\r\n").await.unwrap();
    });
    assert_eq!(&line.unwrap()[..], b"first");
    assert_eq!(
        &server.receive_until(b"\r\n", 100).await.unwrap()[..],
        b"second"
    );
}

#[anyio::test]
async fn an_unlimited_receive_until_works() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    client.send(b"no limit\n").await.unwrap();
    assert_eq!(
        &server.receive_until(b"\n", usize::MAX).await.unwrap()[..],
        b"no limit"
    );
}

#[anyio::test]
async fn a_delimiter_beyond_max_bytes_is_not_found_and_the_bytes_stay() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    client.send(b"0123456789\n").await.unwrap();
    let error = server.receive_until(b"\n", 5).await.unwrap_err();
    assert!(
        matches!(error, StreamError::DelimiterNotFound { max_bytes: 5 }),
        "{error:?}"
    );
    // A frame of exactly `max_bytes` bytes is allowed.
    assert_eq!(
        &server.receive_until(b"\n", 10).await.unwrap()[..],
        b"0123456789"
    );
}

#[anyio::test]
async fn an_oversized_line_fails_with_bounded_memory() {
    const MAX: usize = 64 * 1024;
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    let line = vec![b'x'; 1024 * 1024];
    let start = Instant::now();
    let (sent, received) = futures_util::join!(client.send(&line), async {
        let received = server.receive_until(b"\n", MAX).await;
        let buffered = server.buffer().len();
        server.get_ref().close().await;
        (received, buffered)
    });
    let (received, buffered) = received;
    assert!(
        matches!(
            received,
            Err(StreamError::DelimiterNotFound { max_bytes: MAX })
        ),
        "{received:?}"
    );
    // What the search looked at, plus at most one more chunk from the socket.
    assert!(buffered <= 2 * MAX + 1, "buffered {buffered} bytes");
    // The sender either got everything into the socket buffers or saw the close.
    if let Err(error) = sent {
        assert!(error.is_broken(), "{error:?}");
    }
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[anyio::test]
async fn empty_delimiters_and_zero_byte_receives_are_invalid_arguments() {
    let (_client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    let error = server.receive_until(b"", 10).await.unwrap_err();
    assert!(error.to_string().contains("delimiter"), "{error}");
    assert!(matches!(error, StreamError::InvalidArgument(_)));
    let error = server.receive(0).await.unwrap_err();
    assert!(
        matches!(error, StreamError::InvalidArgument(_)),
        "{error:?}"
    );
}

#[anyio::test]
async fn a_second_receive_until_is_busy() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    let (first, second) = futures_util::join!(server.receive_until(b"\n", 100), async {
        anyio::sleep(ms(20)).await;
        let second = server.receive_until(b"\n", 100).await;
        client.send(b"line\n").await.unwrap();
        second
    });
    assert!(matches!(second, Err(StreamError::Busy)), "{second:?}");
    assert_eq!(&first.unwrap()[..], b"line");
    // The direction is free again once the first receive is done.
    client.send(b"next\n").await.unwrap();
    assert_eq!(
        &server.receive_until(b"\n", 100).await.unwrap()[..],
        b"next"
    );
}

#[anyio::test]
async fn a_cancelled_receive_until_keeps_what_it_received() {
    let (client, server) = common::tcp_pair().await;
    let server = BufferedByteReceiveStream::new(server);
    client.send(b"partial").await.unwrap();
    let start = Instant::now();
    // Cancel until the cancelled receives have buffered everything sent so far.
    while server.buffer().len() < 7 {
        let outcome = anyio::move_on_after(ms(20), server.receive_until(b"\n", 100)).await;
        assert!(outcome.is_none(), "{outcome:?}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the bytes never arrived"
        );
    }
    assert_eq!(&server.buffer()[..], b"partial");
    client.send(b" line\n").await.unwrap();
    assert_eq!(
        &server.receive_until(b"\n", 100).await.unwrap()[..],
        b"partial line"
    );
}
