//! The memory object streams as the generic object stream traits, so code written against
//! [`ObjectSendStream`]/[`ObjectReceiveStream`] (such as a
//! [`StapledObjectStream`](crate::streams::StapledObjectStream)) takes them.

use std::future::{ready, Future};

use super::{MemoryObjectReceiver, MemoryObjectSender, ReceiveError, SendError};
use crate::streams::{AsyncClose, ObjectReceiveStream, ObjectSendStream};

/// As [`MemoryObjectSender::send`], with its cancel safety.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
/// use anyio::streams::ObjectSendStream;
///
/// async fn send_two<S: ObjectSendStream<u8>>(stream: &S) -> Result<(), S::Error> {
///     stream.send(1).await?;
///     stream.send(2).await
/// }
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream(2);
/// send_two(&tx).await.unwrap();
/// assert_eq!(rx.try_receive(), Ok(1));
/// # }).unwrap();
/// ```
impl<T: Send> ObjectSendStream<T> for MemoryObjectSender<T> {
    type Error = SendError<T>;

    fn send(&self, item: T) -> impl Future<Output = Result<(), SendError<T>>> + Send + '_ {
        MemoryObjectSender::send(self, item)
    }
}

/// As [`MemoryObjectReceiver::receive`], with its cancel safety.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::create_memory_object_stream;
/// use anyio::streams::ObjectReceiveStream;
///
/// async fn next<R: ObjectReceiveStream<u8>>(stream: &R) -> Option<u8> {
///     stream.receive().await.ok()
/// }
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream(1);
/// tx.send(7).await.unwrap();
/// drop(tx);
/// assert_eq!(next(&rx).await, Some(7));
/// assert_eq!(next(&rx).await, None);
/// # }).unwrap();
/// ```
impl<T: Send> ObjectReceiveStream<T> for MemoryObjectReceiver<T> {
    type Error = ReceiveError;

    fn receive(&self) -> impl Future<Output = Result<T, ReceiveError>> + Send + '_ {
        MemoryObjectReceiver::receive(self)
    }
}

/// Closes this handle at once, as [`MemoryObjectSender::close`]: the future only reports it.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, ReceiveError};
/// use anyio::streams::AsyncClose;
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u8>(1);
/// AsyncClose::close(&tx).await;
/// assert_eq!(rx.receive().await, Err(ReceiveError::EndOfStream));
/// # }).unwrap();
/// ```
impl<T: Send> AsyncClose for MemoryObjectSender<T> {
    fn close(&self) -> impl Future<Output = ()> + Send + '_ {
        MemoryObjectSender::close(self);
        ready(())
    }
}

/// Closes this handle at once, as [`MemoryObjectReceiver::close`]: the future only reports
/// it.
///
/// # Examples
///
/// ```
/// use anyio::streams::memory::{create_memory_object_stream, SendError};
/// use anyio::streams::AsyncClose;
///
/// # anyio::run(async {
/// let (tx, rx) = create_memory_object_stream::<u8>(1);
/// AsyncClose::close(&rx).await;
/// assert_eq!(tx.send(1).await, Err(SendError::Broken(1)));
/// # }).unwrap();
/// ```
impl<T: Send> AsyncClose for MemoryObjectReceiver<T> {
    fn close(&self) -> impl Future<Output = ()> + Send + '_ {
        MemoryObjectReceiver::close(self);
        ready(())
    }
}
