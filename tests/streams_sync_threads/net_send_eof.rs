//! `send_eof` while another task's send is blocked: one task per direction, so it is `Busy`
//! and changes nothing; the blocked send completes once the peer reads, and the end of the
//! stream follows all of its data.

use crate::common;

use std::pin::pin;

use anyio::net::UnixStream;
use anyio::streams::{ByteStream, StreamError};
use futures_util::poll;

/// More than any loopback socket buffers, so a send of it blocks until the peer reads.
const LARGE: usize = 16 << 20;

async fn drain(stream: &impl ByteStream) -> Vec<u8> {
    let mut received = Vec::with_capacity(LARGE);
    loop {
        match stream.receive(65_536).await {
            Ok(chunk) => received.extend_from_slice(&chunk),
            Err(StreamError::EndOfStream) => return received,
            Err(other) => panic!("receive failed: {other:?}"),
        }
    }
}

async fn check_send_eof_during_blocked_send(sender: &impl ByteStream, peer: &impl ByteStream) {
    let data: Vec<u8> = (0..LARGE).map(|i| (i % 251) as u8).collect();
    let mut send = pin!(sender.send(&data));
    assert!(poll!(send.as_mut()).is_pending(), "the send should block");
    assert!(
        matches!(sender.send_eof().await, Err(StreamError::Busy)),
        "send_eof during a blocked send must be Busy"
    );
    let (sent, received) = futures_util::join!(
        async {
            send.await.unwrap();
            sender.send_eof().await.unwrap();
        },
        drain(peer)
    );
    let () = sent;
    assert!(
        received == data,
        "every byte arrives, then the end of the stream"
    );
}

#[anyio::test]
async fn tcp_send_eof_during_blocked_send_is_busy() {
    let (client, server) = common::tcp_pair().await;
    check_send_eof_during_blocked_send(&client, &server).await;
}

#[anyio::test]
async fn unix_send_eof_during_blocked_send_is_busy() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let (a, b) = (
        UnixStream::from_std(a).unwrap(),
        UnixStream::from_std(b).unwrap(),
    );
    check_send_eof_during_blocked_send(&a, &b).await;
}
