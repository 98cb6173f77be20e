//! The UTF-8 text stream over real TCP connections, on every backend.

#[path = "text_cases/anyio.rs"]
mod anyio_cases;
mod common;

use anyio::net::SocketAttributes as _;
use anyio::streams::{AsyncClose, ObjectReceiveStream, ObjectSendStream, StreamError, TextStream};
use common::ms;

/// Everything `stream` yields until the end of the stream.
async fn receive_all<S: ObjectReceiveStream<String>>(stream: &S) -> String
where
    S::Error: std::fmt::Debug,
{
    let mut text = String::new();
    while let Ok(chunk) = stream.receive().await {
        assert!(!chunk.is_empty(), "a receive returned no text");
        text.push_str(&chunk);
    }
    text
}

const MIXED: &str = "aß€😀 — ünïcödé, 日本語, and ASCII";

#[anyio::test]
async fn characters_split_across_sends_are_decoded_whole() {
    let (client, server) = common::tcp_pair().await;
    let server = TextStream::new(server);
    let ((), text) = futures_util::join!(
        async {
            for byte in MIXED.as_bytes() {
                client.send(std::slice::from_ref(byte)).await.unwrap();
                anyio::sleep(ms(1)).await;
            }
            client.send_eof().await.unwrap();
        },
        receive_all(&server)
    );
    assert_eq!(text, MIXED);
    assert!(server.pending().is_empty());
}

#[anyio::test]
async fn text_round_trips_both_ways() {
    let (client, server) = common::tcp_pair().await;
    let (client, server) = (TextStream::new(client), TextStream::new(server));
    assert_eq!(client.local_port(), server.remote_port());
    client.send(MIXED).await.unwrap();
    ObjectSendStream::send(&client, "!".to_owned())
        .await
        .unwrap();
    client.send_eof().await.unwrap();
    assert_eq!(receive_all(&server).await, format!("{MIXED}!"));
    server.send("réponse").await.unwrap();
    server.close().await;
    assert_eq!(receive_all(&client).await, "réponse");
}

#[anyio::test]
async fn invalid_utf8_is_invalid_data_after_the_text_before_it() {
    let (client, server) = common::tcp_pair().await;
    let server = TextStream::new(server);
    client.send(b"ok\xff\xc3(after").await.unwrap();
    client.send_eof().await.unwrap();
    let mut text = String::new();
    while text.len() < 2 {
        text += &server.receive().await.unwrap();
    }
    assert_eq!(text, "ok");
    let error = server.receive().await.unwrap_err();
    assert!(matches!(error, StreamError::InvalidData(_)), "{error:?}");
    assert!(error.to_string().contains("UTF-8"), "{error}");
    // `\xc3` starts a two-byte character that `(` cannot continue.
    let error = server.receive().await.unwrap_err();
    assert!(matches!(error, StreamError::InvalidData(_)), "{error:?}");
    assert_eq!(receive_all(&server).await, "(after");
}

#[anyio::test]
async fn a_stream_ending_inside_a_character_is_invalid_data() {
    let (client, server) = common::tcp_pair().await;
    let server = TextStream::new(server);
    client
        .send("x€".as_bytes().split_last().unwrap().1)
        .await
        .unwrap();
    client.send_eof().await.unwrap();
    let mut text = String::new();
    let error = loop {
        match server.receive().await {
            Ok(chunk) => text += &chunk,
            Err(error) => break error,
        }
    };
    assert_eq!(text, "x");
    assert!(matches!(error, StreamError::InvalidData(_)), "{error:?}");
    assert!(
        error.to_string().contains("middle of a UTF-8 character"),
        "{error}"
    );
    assert!(matches!(
        server.receive().await,
        Err(StreamError::EndOfStream)
    ));
}

#[anyio::test]
async fn a_second_receive_is_busy() {
    let (client, server) = common::tcp_pair().await;
    let server = TextStream::new(server);
    let (first, second) = futures_util::join!(server.receive(), async {
        anyio::sleep(ms(20)).await;
        let second = server.receive().await;
        client.send(b"hi").await.unwrap();
        second
    });
    assert!(matches!(second, Err(StreamError::Busy)), "{second:?}");
    let mut text = first.unwrap();
    while text.len() < 2 {
        text += &server.receive().await.unwrap();
    }
    assert_eq!(text, "hi");
}
