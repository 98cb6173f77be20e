//! Closing always closes, also in a cancelled scope (Trio's rule for `aclose`): the stream
//! reports `Closed` afterwards and its peer sees the end. A cancelled TLS close skips
//! `close_notify` but still closes the transport.

use crate::common;
#[cfg(feature = "tls")]
use crate::tls_certs;

use anyio::create_memory_object_stream;
use anyio::streams::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, StapledByteStream,
    StapledObjectStream, StreamError,
};

/// Runs `close` inside a scope that was cancelled before it was entered.
async fn close_cancelled(stream: &impl AsyncClose) {
    let scope = anyio::CancelScope::new();
    scope.handle().cancel();
    let _ = scope.run(stream.close()).await;
}

/// The peer's receive sees the transport gone: the end of the stream or a broken one.
async fn assert_peer_sees_end(peer: &impl ByteStream) {
    let outcome = anyio::fail_after(std::time::Duration::from_secs(5), peer.receive(16))
        .await
        .expect("the peer's receive must end, not hang");
    assert!(
        matches!(
            outcome,
            Err(StreamError::EndOfStream | StreamError::Broken(_))
        ),
        "the peer should see the end, got {outcome:?}"
    );
}

#[anyio::test]
async fn tcp_close_in_a_cancelled_scope_closes() {
    let (client, server) = common::tcp_pair().await;
    close_cancelled(&client).await;
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
    assert_peer_sees_end(&server).await;
}

#[anyio::test]
async fn stapled_tcp_close_in_a_cancelled_scope_closes_both_halves() {
    let (client, server) = common::tcp_pair().await;
    let (other, other_peer) = common::tcp_pair().await;
    let stapled = StapledByteStream::new(client, other);
    close_cancelled(&stapled).await;
    assert!(matches!(stapled.send(b"x").await, Err(StreamError::Closed)));
    assert!(matches!(stapled.receive(1).await, Err(StreamError::Closed)));
    assert_peer_sees_end(&server).await;
    assert_peer_sees_end(&other_peer).await;
}

#[anyio::test]
async fn stapled_memory_close_in_a_cancelled_scope_closes_both_halves() {
    let (tx, peer_rx) = create_memory_object_stream::<u8>(1);
    let (peer_tx, rx) = create_memory_object_stream::<u8>(1);
    let stapled = StapledObjectStream::new(tx, rx);
    close_cancelled(&stapled).await;
    assert!(stapled.send_stream().is_closed());
    assert!(stapled.receive_stream().is_closed());
    assert!(peer_rx.receive().await.unwrap_err().is_end_of_stream());
    assert!(peer_tx.send(1).await.is_err(), "no receiver is left");
}

#[cfg(feature = "tls")]
#[anyio::test]
async fn tls_close_in_a_cancelled_scope_closes_the_transport() {
    use std::sync::Arc;

    use anyio::streams::tls::TlsStream;

    let ca = tls_certs::Ca::new("test ca");
    let (client_tcp, server_tcp) = common::tcp_pair().await;
    let (client, server) = futures_util::join!(
        TlsStream::connect(client_tcp, "localhost", ca.client()),
        TlsStream::accept(server_tcp, Arc::new(ca.server(&["localhost"]))),
    );
    let (client, server) = (client.unwrap(), server.unwrap());
    close_cancelled(&client).await;
    assert!(client.get_ref().is_closed(), "the transport is closed");
    assert!(matches!(client.send(b"x").await, Err(StreamError::Closed)));
    // No close_notify was sent: the peer sees the transport end without one.
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::Broken(_))
    ));
}

/// A stapled stream whose send half says goodbye before closing (TLS): a cancelled close
/// still closes the receive half too.
#[cfg(feature = "tls")]
#[anyio::test]
async fn stapled_tls_close_in_a_cancelled_scope_closes_both_halves() {
    use std::sync::Arc;
    use std::time::Duration;

    use anyio::streams::tls::TlsStream;

    let ca = tls_certs::Ca::new("test ca");
    let (client_tcp, server_tcp) = common::tcp_pair().await;
    let (client, server) = futures_util::join!(
        TlsStream::connect(client_tcp, "localhost", ca.client()),
        TlsStream::accept(server_tcp, Arc::new(ca.server(&["localhost"]))),
    );
    let (client, server) = (client.unwrap(), server.unwrap());
    let (receive_half, receive_peer) = common::tcp_pair().await;
    let stapled = StapledByteStream::new(client, receive_half);
    close_cancelled(&stapled).await;
    let receive = anyio::fail_after(Duration::from_secs(5), stapled.receive(1)).await;
    assert!(
        matches!(receive, Ok(Err(StreamError::Closed))),
        "the receive half is closed: {receive:?}"
    );
    assert!(matches!(
        server.receive(16).await,
        Err(StreamError::Broken(_))
    ));
    assert_peer_sees_end(&receive_peer).await;
}
