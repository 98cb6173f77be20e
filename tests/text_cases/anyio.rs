//! AnyIO's `tests/streams/test_text.py`, translated: every case with a meaning in Rust, named
//! after it, on every backend.
//!
//! AnyIO's text streams take a memory object stream of `bytes` directly; ours take a byte
//! stream, and [`ChunkStream`] makes the memory object stream of [`Bytes`] one. AnyIO's
//! `TextReceiveStream`, `TextSendStream` and `TextStream` are all our [`TextStream`], whose
//! abilities follow the stream it wraps.
//!
//! Where we differ on purpose:
//! - `test_receive_encoding_error`: `errors="replace"` is [`TextStream::lossy`].
//!
//! Not translated:
//! - `test_send_encoding_error`: our text streams are UTF-8 only, which encodes every `str`,
//!   so there is no encoding error to replace.
//! - `extra_attributes == {}` in `test_bidirectional_stream`: the socket attributes pass
//!   through, and a memory stream has none (it does not implement `SocketAttributes`), which
//!   the compiler checks.

use anyio::streams::memory::create_memory_object_stream;
use anyio::streams::{Bytes, ChunkStream, StapledObjectStream, TextStream};

#[anyio::test]
async fn test_receive() {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(1);
    let text_stream = TextStream::new(ChunkStream::new(receive_stream));
    // Ends with half of the "ö" letter.
    send_stream
        .send(Bytes::from_static(b"\xc3\xa5\xc3\xa4\xc3"))
        .await
        .unwrap();
    assert_eq!(text_stream.receive().await.unwrap(), "åä");

    // Send the missing byte for "ö".
    send_stream.send(Bytes::from_static(b"\xb6")).await.unwrap();
    assert_eq!(text_stream.receive().await.unwrap(), "ö");
}

#[anyio::test]
async fn test_send() {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(1);
    let text_stream = TextStream::new(ChunkStream::new(send_stream));
    text_stream.send("åäö").await.unwrap();
    assert_eq!(
        &receive_stream.receive().await.unwrap()[..],
        b"\xc3\xa5\xc3\xa4\xc3\xb6"
    );
}

#[anyio::test]
async fn test_receive_encoding_error() {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(1);
    let text_stream = TextStream::new(ChunkStream::new(receive_stream)).lossy();
    // "åäö" in Latin-1.
    send_stream
        .send(Bytes::from_static(b"\xe5\xe4\xf6"))
        .await
        .unwrap();
    assert_eq!(
        text_stream.receive().await.unwrap(),
        "\u{FFFD}\u{FFFD}\u{FFFD}"
    );
}

#[anyio::test]
async fn test_bidirectional_stream() {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(1);
    let text_stream = TextStream::new(ChunkStream::new(StapledObjectStream::new(
        &send_stream,
        &receive_stream,
    )));

    text_stream.send("åäö").await.unwrap();
    assert_eq!(
        &receive_stream.receive().await.unwrap()[..],
        b"\xc3\xa5\xc3\xa4\xc3\xb6"
    );

    send_stream
        .send(Bytes::from_static(b"\xc3\xa6\xc3\xb8"))
        .await
        .unwrap();
    assert_eq!(text_stream.receive().await.unwrap(), "æø");
}
