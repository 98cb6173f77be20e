//! AnyIO's `tests/streams/test_stapled.py`, translated, on every backend.
//!
//! As in AnyIO, the halves are dummies that keep their bytes or objects in memory, so what
//! the stapled stream does is all there is to see. Where AnyIO's receive returns `b""` at
//! the end, ours is [`StreamError::EndOfStream`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use anyio::streams::memory::create_memory_object_stream;
use anyio::streams::{
    AsyncClose, ByteReceiveStream, ByteSendStream, ByteStream, Bytes, ObjectReceiveStream,
    ObjectSendStream, StapledByteStream, StapledObjectStream, StreamError,
};

/// A receive half holding fixed bytes. Like AnyIO's dummy it checks nothing about the size
/// asked for: a receive of 0 bytes gets 0 bytes.
#[derive(Debug)]
struct DummyByteReceiveStream {
    buffer: Mutex<VecDeque<u8>>,
    closed: AtomicBool,
}

impl DummyByteReceiveStream {
    fn new(data: &[u8]) -> Self {
        Self {
            buffer: Mutex::new(data.iter().copied().collect()),
            closed: AtomicBool::new(false),
        }
    }

    fn take(&self, max_bytes: usize) -> Result<Vec<u8>, StreamError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(StreamError::Closed);
        }
        let mut buffer = self.buffer.lock().unwrap();
        if buffer.is_empty() {
            return Err(StreamError::EndOfStream);
        }
        let n = max_bytes.min(buffer.len());
        Ok(buffer.drain(..n).collect())
    }
}

impl ByteReceiveStream for DummyByteReceiveStream {
    async fn receive_into(&self, buf: &mut [u8]) -> Result<usize, StreamError> {
        let data = self.take(buf.len())?;
        buf[..data.len()].copy_from_slice(&data);
        Ok(data.len())
    }

    async fn receive(&self, max_bytes: usize) -> Result<Bytes, StreamError> {
        self.take(max_bytes).map(Bytes::from)
    }
}

impl AsyncClose for DummyByteReceiveStream {
    async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// A send half that keeps what it is sent.
#[derive(Debug, Default)]
struct DummyByteSendStream {
    buffer: Mutex<Vec<u8>>,
    closed: AtomicBool,
}

impl ByteSendStream for DummyByteSendStream {
    async fn send(&self, data: &[u8]) -> Result<(), StreamError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(StreamError::Closed);
        }
        self.buffer.lock().unwrap().extend_from_slice(data);
        Ok(())
    }
}

impl AsyncClose for DummyByteSendStream {
    async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

type Stapled = StapledByteStream<DummyByteSendStream, DummyByteReceiveStream>;

fn stapled() -> Stapled {
    StapledByteStream::new(
        DummyByteSendStream::default(),
        DummyByteReceiveStream::new(b"hello, world"),
    )
}

#[anyio::test]
async fn test_byte_receive_send() {
    let stapled = stapled();
    assert_eq!(&stapled.receive(3).await.unwrap()[..], b"hel");
    assert_eq!(&stapled.receive(65536).await.unwrap()[..], b"lo, world");
    assert!(matches!(
        stapled.receive(65536).await,
        Err(StreamError::EndOfStream)
    ));

    stapled.send(b"how are you ").await.unwrap();
    stapled.send(b"today?").await.unwrap();
    assert_eq!(
        &stapled.send_stream().buffer.lock().unwrap()[..],
        b"how are you today?"
    );
}

#[anyio::test]
async fn test_byte_send_eof() {
    let stapled = stapled();
    stapled.send_eof().await.unwrap();
    stapled.send_eof().await.unwrap();
    assert!(matches!(
        stapled.send(b"world").await,
        Err(StreamError::Closed)
    ));
    assert_eq!(&stapled.receive(65536).await.unwrap()[..], b"hello, world");
}

#[anyio::test]
async fn test_byte_aclose() {
    let stapled = stapled();
    stapled.close().await;
    assert!(matches!(
        stapled.receive(65536).await,
        Err(StreamError::Closed)
    ));
    assert!(matches!(stapled.send(b"").await, Err(StreamError::Closed)));
}

/// AnyIO's `max_bytes` of 0 and -1: a `usize` cannot be negative, so the second case is an
/// empty buffer to receive into. The stapled stream refuses both itself, whatever its
/// receive half would do, and takes nothing.
#[anyio::test]
async fn test_byte_receive_invalid_max_bytes() {
    let stapled = stapled();
    let zero = stapled.receive(0).await;
    assert!(
        matches!(zero, Err(StreamError::InvalidArgument(_))),
        "{zero:?}"
    );
    assert!(zero.unwrap_err().to_string().contains("max_bytes"));
    let empty = stapled.receive_into(&mut []).await;
    assert!(
        matches!(empty, Err(StreamError::InvalidArgument(_))),
        "{empty:?}"
    );
    assert_eq!(&stapled.receive(65536).await.unwrap()[..], b"hello, world");
}

/// An object receive half holding fixed items.
#[derive(Debug)]
struct DummyObjectReceiveStream<T> {
    buffer: Mutex<VecDeque<T>>,
    closed: AtomicBool,
}

impl<T> DummyObjectReceiveStream<T> {
    fn new(items: impl IntoIterator<Item = T>) -> Self {
        Self {
            buffer: Mutex::new(items.into_iter().collect()),
            closed: AtomicBool::new(false),
        }
    }
}

impl<T: Send> ObjectReceiveStream<T> for DummyObjectReceiveStream<T> {
    type Error = StreamError;

    async fn receive(&self) -> Result<T, StreamError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(StreamError::Closed);
        }
        self.buffer
            .lock()
            .unwrap()
            .pop_front()
            .ok_or(StreamError::EndOfStream)
    }
}

impl<T: Send> AsyncClose for DummyObjectReceiveStream<T> {
    async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

/// An object send half that keeps what it is sent.
#[derive(Debug)]
struct DummyObjectSendStream<T> {
    buffer: Mutex<Vec<T>>,
    closed: AtomicBool,
}

impl<T> Default for DummyObjectSendStream<T> {
    fn default() -> Self {
        Self {
            buffer: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }
}

impl<T: Send> ObjectSendStream<T> for DummyObjectSendStream<T> {
    type Error = StreamError;

    async fn send(&self, item: T) -> Result<(), StreamError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(StreamError::Closed);
        }
        self.buffer.lock().unwrap().push(item);
        Ok(())
    }
}

impl<T: Send> AsyncClose for DummyObjectSendStream<T> {
    async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
}

type StapledObjects =
    StapledObjectStream<DummyObjectSendStream<String>, DummyObjectReceiveStream<String>>;

fn stapled_objects() -> StapledObjects {
    StapledObjectStream::new(
        DummyObjectSendStream::default(),
        DummyObjectReceiveStream::new(["hello".to_owned(), "world".to_owned()]),
    )
}

#[anyio::test]
async fn test_object_receive_send() {
    let stapled = stapled_objects();
    assert_eq!(stapled.receive().await.unwrap(), "hello");
    assert_eq!(stapled.receive().await.unwrap(), "world");
    assert!(matches!(
        stapled.receive().await,
        Err(StreamError::EndOfStream)
    ));

    stapled.send("how are you ".to_owned()).await.unwrap();
    stapled.send("today?".to_owned()).await.unwrap();
    assert_eq!(
        *stapled.send_stream().buffer.lock().unwrap(),
        ["how are you ", "today?"]
    );
}

/// AnyIO's `send_nowait` passes through to a send half that has one. Rust has no trait
/// for it: the half's own `try_send` is reached through `send_stream()`, and a half without
/// one is a compile error rather than AnyIO's `NotImplementedError`.
#[anyio::test]
async fn test_send_nowait_implemented() {
    let (tx, rx) = create_memory_object_stream::<String>(1);
    let stapled = StapledObjectStream::new(tx, DummyObjectReceiveStream::<String>::new([]));
    stapled.send_stream().try_send("hello".to_owned()).unwrap();
    assert_eq!(rx.try_receive().unwrap(), "hello");
}

#[anyio::test]
async fn test_object_send_eof() {
    let stapled = stapled_objects();
    stapled.send_eof().await.unwrap();
    stapled.send_eof().await.unwrap();
    assert!(matches!(
        stapled.send("world".to_owned()).await,
        Err(StreamError::Closed)
    ));
    assert_eq!(stapled.receive().await.unwrap(), "hello");
    assert_eq!(stapled.receive().await.unwrap(), "world");
}

#[anyio::test]
async fn test_object_aclose() {
    let stapled = stapled_objects();
    stapled.close().await;
    assert!(matches!(stapled.receive().await, Err(StreamError::Closed)));
    assert!(matches!(
        stapled.send(String::new()).await,
        Err(StreamError::Closed)
    ));
}
