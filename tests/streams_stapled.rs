//! Stapled byte and object streams, on every backend.

/// AnyIO's `tests/streams/test_stapled.py`, translated.
#[path = "stapled_cases/anyio.rs"]
mod anyio_cases;
mod common;
#[cfg(feature = "tls")]
#[path = "tls_certs/mod.rs"]
mod tls_certs;

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes as _, TcpStream};
use anyio::streams::memory::{create_memory_object_stream, ReceiveError, SendError};
use anyio::streams::{
    AsyncClose, BufferedByteReceiveStream, ByteReceiveStream, ByteSendStream, ByteStream,
    ObjectReceiveStream, ObjectSendStream, StapledByteStream, StapledObjectStream, StreamError,
    TextStream,
};

type Stapled = StapledByteStream<TcpStream, TcpStream>;

/// Two one-way TCP connections stapled into a two-way stream, seen from both ends.
async fn stapled_pair() -> (Stapled, Stapled) {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    let out_tx = connect_tcp("127.0.0.1", port).await.unwrap();
    let out_rx = listener.accept().await.unwrap();
    let back_tx = connect_tcp("127.0.0.1", port).await.unwrap();
    let back_rx = listener.accept().await.unwrap();
    (
        StapledByteStream::new(out_tx, back_rx),
        StapledByteStream::new(back_tx, out_rx),
    )
}

/// Written against the trait only: proves a stapled stream is a `ByteStream`.
async fn request(stream: &impl ByteStream, body: &[u8]) -> Result<Vec<u8>, StreamError> {
    stream.send(body).await?;
    stream.send_eof().await?;
    let mut reply = Vec::new();
    loop {
        match stream.receive(1024).await {
            Ok(chunk) => reply.extend_from_slice(&chunk),
            Err(StreamError::EndOfStream) => return Ok(reply),
            Err(error) => return Err(error),
        }
    }
}

/// Echoes everything back in upper case, then finishes.
async fn shout(stream: &impl ByteStream) -> Result<(), StreamError> {
    loop {
        match stream.receive(1024).await {
            Ok(chunk) => stream.send(&chunk.to_ascii_uppercase()).await?,
            Err(StreamError::EndOfStream) => return stream.send_eof().await,
            Err(error) => return Err(error),
        }
    }
}

#[anyio::test]
async fn a_stapled_byte_stream_is_a_byte_stream() {
    let (here, there) = stapled_pair().await;
    let body = vec![b'q'; 200_000];
    let (reply, served) = futures_util::join!(request(&here, &body), shout(&there));
    served.unwrap();
    assert_eq!(reply.unwrap(), vec![b'Q'; 200_000]);
}

#[anyio::test]
async fn send_eof_closes_only_the_send_half() {
    let (here, there) = stapled_pair().await;
    here.send_eof().await.unwrap();
    assert!(matches!(
        there.receive(8).await,
        Err(StreamError::EndOfStream)
    ));
    assert!(matches!(here.send(b"late").await, Err(StreamError::Closed)));
    there.send(b"still open").await.unwrap();
    let here = BufferedByteReceiveStream::new(here);
    assert_eq!(&here.receive_exactly(10).await.unwrap()[..], b"still open");
}

#[anyio::test]
async fn close_closes_both_halves() {
    let (here, there) = stapled_pair().await;
    here.close().await;
    assert!(matches!(here.receive(8).await, Err(StreamError::Closed)));
    assert!(matches!(here.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(
        there.receive(8).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn wrappers_stack_on_a_stapled_stream() {
    let (here, there) = stapled_pair().await;
    let here = TextStream::new(BufferedByteReceiveStream::new(here));
    let there = BufferedByteReceiveStream::new(there);
    here.send("première ligne\n").await.unwrap();
    let line = there.receive_until(b"\n", 100).await.unwrap();
    assert_eq!(std::str::from_utf8(&line).unwrap(), "première ligne");
    there.send("réponse".as_bytes()).await.unwrap();
    there.send_eof().await.unwrap();
    let mut text = String::new();
    while let Ok(chunk) = here.receive().await {
        text += &chunk;
    }
    assert_eq!(text, "réponse");
}

#[anyio::test]
async fn a_stapled_object_stream_carries_objects_both_ways() {
    let (to_b, from_a) = create_memory_object_stream::<u32>(4);
    let (to_a, from_b) = create_memory_object_stream::<u32>(4);
    let a = StapledObjectStream::new(to_b, from_b);
    let b = StapledObjectStream::new(to_a, from_a);
    let ((), sum) = futures_util::join!(
        async {
            for i in 1..=100 {
                a.send(i).await.unwrap();
                assert_eq!(a.receive().await, Ok(i * 2));
            }
            a.send_eof().await.unwrap();
        },
        async {
            let mut sum = 0;
            loop {
                match b.receive().await {
                    Ok(i) => {
                        sum += i;
                        b.send(i * 2).await.unwrap();
                    }
                    Err(ReceiveError::EndOfStream) => return sum,
                    Err(error) => panic!("{error}"),
                }
            }
        }
    );
    assert_eq!(sum, 5050);
    // `a` finished sending but still receives.
    assert_eq!(a.send(1).await, Err(SendError::Closed(1)));
    b.send(7).await.unwrap();
    assert_eq!(a.receive().await, Ok(7));
}

#[anyio::test]
async fn closing_a_stapled_object_stream_closes_both_halves() {
    let (to_b, from_a) = create_memory_object_stream::<&str>(1);
    let (to_a, from_b) = create_memory_object_stream::<&str>(1);
    let a = StapledObjectStream::new(to_b, from_b);
    let (to_a, from_a) = (to_a, from_a);
    a.close().await;
    assert_eq!(a.receive().await, Err(ReceiveError::Closed));
    assert_eq!(from_a.receive().await, Err(ReceiveError::EndOfStream));
    assert_eq!(to_a.send("x").await, Err(SendError::Broken("x")));
}

/// Generic code over object streams of text takes a stapled stream of text streams.
async fn exchange<S>(stream: &S, message: &str) -> String
where
    S: ObjectSendStream<String> + ObjectReceiveStream<String>,
    <S as ObjectSendStream<String>>::Error: std::fmt::Debug,
    <S as ObjectReceiveStream<String>>::Error: std::fmt::Debug,
{
    stream.send(message.to_owned()).await.unwrap();
    stream.receive().await.unwrap()
}

#[anyio::test]
async fn text_streams_staple_into_an_object_stream() {
    let (here, there) = stapled_pair().await;
    let (here_tx, here_rx) = here.into_parts();
    let here = StapledObjectStream::new(TextStream::new(here_tx), TextStream::new(here_rx));
    let there = TextStream::new(there);
    let (reply, ()) = futures_util::join!(exchange(&here, "ça va?"), async {
        let mut text = String::new();
        while text.chars().count() < 6 {
            text += &there.receive().await.unwrap();
        }
        assert_eq!(text, "ça va?");
        there.send("oui").await.unwrap();
    });
    let mut reply = reply;
    while reply.len() < 3 {
        reply += &ObjectReceiveStream::receive(&here).await.unwrap();
    }
    assert_eq!(reply, "oui");
}

#[anyio::test]
async fn close_in_a_cancelled_scope_closes_both_halves() {
    let (here, there) = stapled_pair().await;
    let scope = anyio::CancelScope::new();
    scope.cancel();
    scope.run(here.close()).await;
    assert!(here.send_stream().is_closed() && here.receive_stream().is_closed());
    assert!(matches!(here.receive(8).await, Err(StreamError::Closed)));
    assert!(matches!(here.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(
        there.receive(8).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn an_object_stream_closed_in_a_cancelled_scope_closes_both_halves() {
    let (to_b, from_a) = create_memory_object_stream::<u8>(1);
    let (to_a, from_b) = create_memory_object_stream::<u8>(1);
    let a = StapledObjectStream::new(to_b, from_b);
    let scope = anyio::CancelScope::new();
    scope.cancel();
    scope.run(a.close()).await;
    assert_eq!(from_a.receive().await, Err(ReceiveError::EndOfStream));
    assert_eq!(to_a.send(1).await, Err(SendError::Broken(1)));
    assert_eq!(a.send(2).await, Err(SendError::Closed(2)));
    assert_eq!(a.receive().await, Err(ReceiveError::Closed));
}

#[anyio::test]
async fn send_eof_during_a_blocked_send_is_busy_and_changes_nothing() {
    let (here, there) = stapled_pair().await;
    // More than the loopback socket buffers hold, so the send blocks until `there` reads.
    let big = vec![b'z'; 32 << 20];
    let there = BufferedByteReceiveStream::new(there);
    // join! polls the send first, so it is in flight when send_eof runs.
    let (sent, received) = futures_util::join!(here.send(&big), async {
        let busy = here.send_eof().await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        there.receive_exactly(big.len()).await
    });
    sent.unwrap();
    assert!(received.unwrap() == big, "the send was cut short");
    here.send_eof().await.unwrap();
    assert!(matches!(
        there.receive(8).await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn object_send_eof_during_a_blocked_send_is_busy_and_changes_nothing() {
    let (to_b, from_a) = create_memory_object_stream::<u32>(0);
    let (_to_a, from_b) = create_memory_object_stream::<u32>(0);
    let a = StapledObjectStream::new(to_b, from_b);
    let (sent, ()) = futures_util::join!(a.send(1), async {
        let busy = a.send_eof().await;
        assert!(matches!(busy, Err(StreamError::Busy)), "{busy:?}");
        assert_eq!(from_a.receive().await, Ok(1));
    });
    sent.unwrap();
    a.send_eof().await.unwrap();
    assert_eq!(from_a.receive().await, Err(ReceiveError::EndOfStream));
}

/// Stapled streams whose halves have a goodbye to send when they close: TLS sessions.
#[cfg(feature = "tls")]
mod tls_halves {
    use std::sync::Arc;
    use std::time::Duration;

    use anyio::net::TcpStream;
    use anyio::streams::tls::TlsStream;
    use anyio::streams::{
        AsyncClose, ByteReceiveStream, ByteSendStream, ObjectReceiveStream, ObjectSendStream,
        StapledByteStream, StapledObjectStream, StreamError, TextStream,
    };

    use super::{common, tls_certs};

    type Tls = TlsStream<TcpStream>;

    /// A TLS session and its peer, over a fresh TCP connection.
    async fn tls_pair() -> (Tls, Tls) {
        let ca = tls_certs::Ca::new("test ca");
        let (client, server) = common::tcp_pair().await;
        let (client, server) = futures_util::join!(
            TlsStream::connect(client, "localhost", ca.client()),
            TlsStream::accept(server, Arc::new(ca.server(&["localhost"]))),
        );
        (client.unwrap(), server.unwrap())
    }

    /// The peer saw its transport closed without close_notify (within a bound, so a half
    /// left open fails the test instead of hanging it).
    async fn assert_cut(peer: &Tls) {
        let end = anyio::move_on_after(Duration::from_secs(10), peer.receive(8)).await;
        assert!(matches!(end, Some(Err(StreamError::Broken(_)))), "{end:?}");
    }

    #[anyio::test]
    async fn close_in_a_cancelled_scope_closes_both_tls_halves() {
        let ((send_half, send_peer), (receive_half, receive_peer)) =
            (tls_pair().await, tls_pair().await);
        let stapled = StapledByteStream::new(send_half, receive_half);
        let scope = anyio::CancelScope::new();
        scope.cancel();
        scope.run(stapled.close()).await;
        assert_cut(&send_peer).await;
        assert_cut(&receive_peer).await;
        assert!(matches!(stapled.send(b"x").await, Err(StreamError::Closed)));
        assert!(matches!(stapled.receive(8).await, Err(StreamError::Closed)));
    }

    #[anyio::test]
    async fn a_stapled_close_dropped_unpolled_closes_both_tls_halves() {
        let ((send_half, send_peer), (receive_half, receive_peer)) =
            (tls_pair().await, tls_pair().await);
        let stapled = StapledByteStream::new(send_half, receive_half);
        drop(stapled.close());
        assert_cut(&send_peer).await;
        assert_cut(&receive_peer).await;
        assert!(matches!(stapled.receive(8).await, Err(StreamError::Closed)));
    }

    #[anyio::test]
    async fn an_object_stream_of_tls_text_closed_in_a_cancelled_scope_closes_both_halves() {
        let ((send_half, send_peer), (receive_half, receive_peer)) =
            (tls_pair().await, tls_pair().await);
        let stapled =
            StapledObjectStream::new(TextStream::new(send_half), TextStream::new(receive_half));
        let scope = anyio::CancelScope::new();
        scope.cancel();
        scope.run(stapled.close()).await;
        assert_cut(&send_peer).await;
        assert_cut(&receive_peer).await;
        let sent = ObjectSendStream::send(&stapled, "late".to_owned()).await;
        assert!(matches!(sent, Err(StreamError::Closed)), "{sent:?}");
        let received = ObjectReceiveStream::receive(&stapled).await;
        assert!(matches!(received, Err(StreamError::Closed)), "{received:?}");
    }

    #[anyio::test]
    async fn a_graceful_close_sends_close_notify_on_both_halves() {
        let ((send_half, send_peer), (receive_half, receive_peer)) =
            (tls_pair().await, tls_pair().await);
        let stapled = StapledByteStream::new(send_half, receive_half);
        stapled.close().await;
        for peer in [&send_peer, &receive_peer] {
            let end = anyio::move_on_after(Duration::from_secs(10), peer.receive(8)).await;
            assert!(
                matches!(end, Some(Err(StreamError::EndOfStream))),
                "{end:?}"
            );
        }
    }
}
