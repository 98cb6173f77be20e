//! TCP streams and listeners on every backend.

mod common;

use anyio::net::{connect_tcp, create_tcp_listener, SocketAttributes};
use anyio::streams::StreamError;

#[anyio::test]
async fn echo_round_trip() {
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let port = listener.local_port().unwrap();
    let client = connect_tcp("127.0.0.1", port).await.unwrap();
    let server = listener.accept().await.unwrap();
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
    let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    let client = connect_tcp("127.0.0.1", listener.local_port().unwrap())
        .await
        .unwrap();
    let _server = listener.accept().await.unwrap();
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
