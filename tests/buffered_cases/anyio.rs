//! AnyIO's `tests/streams/test_buffered.py`, translated: every case with a meaning in Rust,
//! named after it, on every backend.
//!
//! AnyIO's buffered stream takes a memory object stream of `bytes` directly; ours takes a byte
//! stream, and [`ChunkStream`] makes the memory object stream of [`Bytes`] one, so each chunk
//! sent stays a separate receive below the buffer, as in AnyIO.
//!
//! Where we differ on purpose:
//! - `test_receive_max_bytes_validation`: `max_bytes` is a `usize`, so only 0 is a value to
//!   reject; it is [`StreamError::InvalidArgument`] naming `max_bytes`.
//! - `test_buffered_stream`: `BufferedByteStream` is our [`BufferedByteReceiveStream`] over a
//!   [`ByteStream`], which passes `send_eof` and `close` through.
//!
//! Not translated:
//! - `test_buffered_connectable`: anyio has no connectables (an object that opens a new
//!   stream on each `connect()`) yet.

use anyio::streams::memory::{
    create_memory_object_stream, MemoryObjectReceiver, MemoryObjectSender, TryReceiveError,
    TrySendError,
};
use anyio::streams::{
    AsyncClose, BufferedByteReceiveStream, ByteSendStream, ByteStream, Bytes, ChunkStream,
    StapledObjectStream, StreamError,
};

type Chunks = ChunkStream<MemoryObjectReceiver<Bytes>>;

fn buffered_channel(
    capacity: usize,
) -> (MemoryObjectSender<Bytes>, BufferedByteReceiveStream<Chunks>) {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(capacity);
    let buffered = BufferedByteReceiveStream::new(ChunkStream::new(receive_stream));
    (send_stream, buffered)
}

fn chunk(bytes: &'static [u8]) -> Bytes {
    Bytes::from_static(bytes)
}

#[anyio::test]
async fn test_receive_max_bytes_validation() {
    let (_send_stream, buffered) = buffered_channel(1);
    let error = buffered.receive(0).await.unwrap_err();
    assert!(
        matches!(error, StreamError::InvalidArgument(_)),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_bytes"), "{error}");
}

#[anyio::test]
async fn test_receive_exactly() {
    let (send_stream, buffered) = buffered_channel(2);
    send_stream.send(chunk(b"abcd")).await.unwrap();
    send_stream.send(chunk(b"efgh")).await.unwrap();
    let result = buffered.receive_exactly(8).await.unwrap();
    assert_eq!(&result[..], b"abcdefgh");
}

#[anyio::test]
async fn test_receive_exactly_incomplete() {
    let (send_stream, buffered) = buffered_channel(1);
    send_stream.send(chunk(b"abcd")).await.unwrap();
    send_stream.close();
    let error = buffered.receive_exactly(8).await.unwrap_err();
    assert!(
        matches!(
            error,
            StreamError::IncompleteRead {
                expected: 8,
                received: 4
            }
        ),
        "{error:?}"
    );
}

#[anyio::test]
async fn test_receive_until() {
    let (send_stream, buffered) = buffered_channel(2);
    send_stream.send(chunk(b"abcd")).await.unwrap();
    send_stream.send(chunk(b"efgh")).await.unwrap();

    let result = buffered.receive_until(b"de", 10).await.unwrap();
    assert_eq!(&result[..], b"abc");

    let result = buffered.receive_until(b"h", 10).await.unwrap();
    assert_eq!(&result[..], b"fg");
}

#[anyio::test]
async fn test_receive_until_incomplete() {
    let (send_stream, buffered) = buffered_channel(1);
    send_stream.send(chunk(b"abcd")).await.unwrap();
    send_stream.close();
    let error = buffered.receive_until(b"de", 10).await.unwrap_err();
    assert!(
        matches!(error, StreamError::IncompleteRead { .. }),
        "{error:?}"
    );
    assert_eq!(&buffered.buffer()[..], b"abcd");
}

#[anyio::test]
async fn test_buffered_stream() {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(1);
    // The stream's own two ends, stapled: what it sends, it receives.
    let buffered = BufferedByteReceiveStream::new(ChunkStream::new(StapledObjectStream::new(
        &send_stream,
        &receive_stream,
    )));
    send_stream.send(chunk(b"abcd")).await.unwrap();
    assert_eq!(&buffered.receive_exactly(2).await.unwrap()[..], b"ab");
    assert_eq!(&buffered.receive_exactly(2).await.unwrap()[..], b"cd");

    // send_eof() closes only the sending end.
    buffered.send_eof().await.unwrap();
    assert!(matches!(
        send_stream.try_send(chunk(b"abc")),
        Err(TrySendError::Closed(_))
    ));
    assert_eq!(
        receive_stream.try_receive(),
        Err(TryReceiveError::EndOfStream)
    );
    assert!(matches!(
        buffered.send(b"abc").await,
        Err(StreamError::Closed)
    ));

    // close() closes the receive stream too.
    buffered.close().await;
    assert_eq!(receive_stream.try_receive(), Err(TryReceiveError::Closed));
}

#[anyio::test]
async fn test_feed_data() {
    let (send_stream, receive_stream) = create_memory_object_stream::<Bytes>(1);
    let buffered = BufferedByteReceiveStream::new(ChunkStream::new(StapledObjectStream::new(
        &send_stream,
        &receive_stream,
    )));
    send_stream.try_send(chunk(b"abcd")).unwrap();

    // The stream has not received the sent data yet, so b"xxx" comes out of the buffer first,
    // despite this order of data input.
    buffered.feed_data(b"xxx");
    buffered.feed_data(b"foo");
    assert_eq!(
        &buffered.receive_exactly(10).await.unwrap()[..],
        b"xxxfooabcd"
    );
    buffered.close().await;
}
