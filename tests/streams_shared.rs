//! Borrowed and shared streams are streams: wrappers can sit on one half of a connection.

mod common;

use std::sync::Arc;

use anyio::prelude::*;
use anyio::streams::{BufferedByteReceiveStream, TextStream};

#[anyio::test]
async fn a_wrapper_over_a_shared_stream_receives_while_the_owner_sends() {
    let (client, server) = common::tcp_pair().await;
    let server = Arc::new(server);

    let lines = BufferedByteReceiveStream::new(Arc::clone(&server));
    client.send(b"one\ntwo\n").await.unwrap();
    assert_eq!(&lines.receive_until(b"\n", 64).await.unwrap()[..], b"one");
    // The other holder of the connection still sends on it.
    server.send(b"ack").await.unwrap();
    assert_eq!(&client.receive(3).await.unwrap()[..], b"ack");
    assert_eq!(&lines.receive_until(b"\n", 64).await.unwrap()[..], b"two");
}

#[anyio::test]
async fn a_text_stream_over_a_borrowed_stream() {
    let (client, server) = common::tcp_pair().await;
    let text = TextStream::new(&server);
    client.send("héllo".as_bytes()).await.unwrap();
    let mut received = String::new();
    while received.chars().count() < 5 {
        received.push_str(&text.receive().await.unwrap());
    }
    assert_eq!(received, "héllo");
    text.send("✓").await.unwrap();
    assert_eq!(&client.receive(16).await.unwrap()[..], "✓".as_bytes());
}
