//! Listeners, and serving each accepted connection in its own task.

use std::future::Future;
use std::io;
use std::time::Duration;

use super::StreamError;
use crate::backend::Runtime;
use crate::task::task_group;
use crate::time::sleep;

/// A source of incoming connections (or other streams): TCP, Unix and TLS listeners.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::{Listener, StreamError};
///
/// async fn accept_two<L: Listener>(listener: &L) -> Result<[L::Stream; 2], StreamError> {
///     Ok([listener.accept().await?, listener.accept().await?])
/// }
/// ```
pub trait Listener: Send + Sync {
    /// What an accept yields.
    type Stream: Send + 'static;

    /// Waits for the next incoming stream.
    ///
    /// # Errors
    ///
    /// `Closed`, `Busy` (another task is accepting), or the operating system's error.
    ///
    /// # Cancel safety
    ///
    /// Implementations should be cancel safe: no connection is lost when an accept is
    /// cancelled.
    fn accept(&self) -> impl Future<Output = Result<Self::Stream, StreamError>> + Send + '_;
}

/// Accepts connections from `listener` until it fails or the caller's scope is cancelled,
/// running `handler` on each in its own task of a task group; returns once every handler has
/// finished.
///
/// Errors that concern one connection only (aborted or reset before it was accepted) are
/// skipped; when the process runs out of file descriptors, serving pauses for 100 ms and
/// goes on. A handler's panic cancels the others and is re-raised here, as in any task group.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{connect_tcp, create_tcp_listener};
/// use anyio::streams::StreamError;
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let served = anyio::move_on_after(std::time::Duration::from_millis(200), async {
///     anyio::core::streams::serve::<anyio::AnyRuntime, _, _, _>(&listener, |conn| async move {
///         let _ = conn.send(b"hello\n").await;
///     })
///     .await
/// });
/// let client = async {
///     let stream = connect_tcp("127.0.0.1", port).await.unwrap();
///     stream.receive(6).await.unwrap()
/// };
/// let (_, greeting) = futures_util::join!(served, client);
/// assert_eq!(&greeting[..], b"hello\n");
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// The listener's error that ended serving, such as [`StreamError::Closed`].
///
/// # Cancel safety
///
/// Cancelling it cancels every handler, as for any task group.
pub async fn serve<R, L, H, F>(listener: &L, handler: H) -> Result<(), StreamError>
where
    R: Runtime,
    L: Listener,
    H: Fn(L::Stream) -> F,
    F: Future<Output = ()> + Send + 'static,
{
    let served = task_group::<R, StreamError, _, _, ()>(|tg| async move {
        loop {
            match listener.accept().await {
                Ok(stream) => {
                    let connection = handler(stream);
                    tg.spawn(async move {
                        connection.await;
                        Ok(())
                    })
                    .map_err(|_| StreamError::Closed)?;
                }
                Err(error) => match accept_error_is(&error) {
                    AcceptError::Transient => continue,
                    AcceptError::OutOfDescriptors => sleep::<R>(Duration::from_millis(100)).await,
                    AcceptError::Fatal => return Err(error),
                },
            }
        }
    })
    .await;
    served.map_err(|error| error.into_first().unwrap_or(StreamError::Closed))
}

enum AcceptError {
    Transient,
    OutOfDescriptors,
    Fatal,
}

fn accept_error_is(error: &StreamError) -> AcceptError {
    let io = match error {
        StreamError::Broken(io) | StreamError::Io(io) => io,
        _ => return AcceptError::Fatal,
    };
    match io.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::Interrupted => AcceptError::Transient,
        _ if matches!(io.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
            AcceptError::OutOfDescriptors
        }
        _ => AcceptError::Fatal,
    }
}
