//! The I/O part of the waist: registering OS sockets with a runtime's reactor, and running
//! blocking calls (such as `getaddrinfo`) off the event loop.
//!
//! A backend only tells anyio when a socket is ready; everything done with the socket (reads,
//! writes, accepts, connects, the stream semantics on top) is written once in `anyio-core`
//! against the standard library's non-blocking socket types.

use std::fmt;
use std::io;
use std::task::{ready, Context, Poll};

use super::Runtime;

/// The direction of readiness an I/O operation waits for.
///
/// # Examples
///
/// ```
/// use anyio_core::backend::Interest;
///
/// assert_ne!(Interest::Read, Interest::Write);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interest {
    /// The socket has data to read, a connection to accept, or has been shut down.
    Read,
    /// The socket can take more data, or a pending connect has finished.
    Write,
}

/// An OS socket that can be registered with a reactor: any non-blocking type with a file
/// descriptor.
///
/// Implemented for every such type; anyio uses the standard library's sockets.
#[cfg(unix)]
pub trait Pollable:
    std::os::fd::AsFd + std::os::fd::AsRawFd + Send + Sync + Unpin + 'static
{
}

#[cfg(unix)]
impl<T> Pollable for T where
    T: std::os::fd::AsFd + std::os::fd::AsRawFd + Send + Sync + Unpin + 'static
{
}

/// A socket registered with a reactor, as returned by [`Reactor::register`].
///
/// Deregisters the socket and closes it when dropped.
pub trait Registration<T>: Send + Sync + Unpin + fmt::Debug {
    /// The registered socket.
    fn get_ref(&self) -> &T;

    /// Runs the non-blocking `op` on the socket until it does not fail with
    /// [`io::ErrorKind::WouldBlock`], waiting for `interest` readiness in between.
    ///
    /// One task at a time may wait for each interest; anyio's streams guarantee that with
    /// their `Busy` checks.
    ///
    /// # Errors
    ///
    /// Whatever `op` returns, or the reactor's error while waiting.
    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>>;
}

/// A runtime that can wait for OS sockets and run blocking calls: the I/O half of the waist.
///
/// # Examples
///
/// ```
/// use std::future::poll_fn;
/// use std::io::{Read, Write};
/// use anyio::{AnyRuntime, Backend};
/// use anyio_core::backend::{Interest, Reactor, Registration, Runtime};
///
/// let runtime = AnyRuntime::try_from(Backend::Tokio).unwrap();
/// runtime
///     .block_on(async move {
///         let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
///         ours.set_nonblocking(true).unwrap();
///         let ours = runtime.register(ours).unwrap();
///         let writer = std::thread::spawn(move || (&theirs).write_all(b"ping"));
///         let mut buf = [0; 4];
///         let n = poll_fn(|cx| ours.poll_io(cx, Interest::Read, |s| (&*s).read(&mut buf)))
///             .await
///             .unwrap();
///         assert_eq!(&buf[..n], &b"ping"[..n]);
///         writer.join().unwrap().unwrap();
///     })
///     .unwrap();
/// ```
pub trait Reactor: Runtime {
    /// A socket registered with this runtime's reactor.
    #[cfg(unix)]
    type Registration<T: Pollable>: Registration<T>;

    /// Registers the non-blocking `socket` with this runtime's reactor.
    ///
    /// # Errors
    ///
    /// Returns the reactor's error, for example when the caller is outside the runtime.
    #[cfg(unix)]
    fn register<T: Pollable>(self, socket: T) -> io::Result<Self::Registration<T>>;

    /// Runs the blocking `f` on the runtime's pool for blocking work, off the event loop.
    ///
    /// Resolves to `None` when `f` panicked. Aborting the handle cannot stop `f` once it runs.
    ///
    /// # Cancel safety
    ///
    /// Dropping the handle detaches `f`, which still runs to its end.
    fn spawn_blocking<F, T>(self, f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;
}

/// The [`Registration::poll_io`] loop for reactors whose readiness may be stale (async-io's):
/// try `op` first, and wait for readiness only after it would block.
///
/// # Examples
///
/// ```
/// use std::io;
/// use std::task::{Context, Poll};
/// use anyio_core::backend::retry_until_ready;
///
/// let mut cx = Context::from_waker(std::task::Waker::noop());
/// let mut calls = 0;
/// let result = retry_until_ready(
///     &mut cx,
///     || {
///         calls += 1;
///         if calls < 3 { Err(io::ErrorKind::WouldBlock.into()) } else { Ok(calls) }
///     },
///     |_| Poll::Ready(Ok(())),
/// );
/// assert!(matches!(result, Poll::Ready(Ok(3))));
/// ```
pub fn retry_until_ready<R>(
    cx: &mut Context<'_>,
    mut op: impl FnMut() -> io::Result<R>,
    mut ready: impl FnMut(&mut Context<'_>) -> Poll<io::Result<()>>,
) -> Poll<io::Result<R>> {
    loop {
        match op() {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            result => return Poll::Ready(result),
        }
        ready!(ready(cx))?;
    }
}
