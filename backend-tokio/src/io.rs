//! Sockets registered with tokio's reactor, and tokio's blocking pool.
//!
//! tokio registers an arbitrary descriptor safely only through its own socket types
//! (`AsyncFd`'s constructors are unsafe or deprecated as unsound). So a registration holds a
//! duplicate of the socket's descriptor as a [`tokio::net::UnixStream`], used only to learn
//! readiness: both descriptors share one open socket, and the reactor watches the socket, not
//! the number. anyio does every operation on the original standard-library socket.

use std::fmt;
use std::io;
use std::task::{ready, Context, Poll};

use anyio_core::backend::{Interest, Pollable, Reactor, Registration};
use std::os::fd::OwnedFd;

use tokio::runtime::Handle;

use crate::{TokioJoinHandle, TokioRuntime};

impl Reactor for TokioRuntime {
    type Registration<T: Pollable> = TokioRegistration<T>;

    fn register<T: Pollable>(self, socket: T) -> io::Result<TokioRegistration<T>> {
        // `AsyncFd::new` panics outside a runtime; this says what to do instead.
        let handle = Handle::try_current().map_err(|_| {
            io::Error::other("not inside a tokio runtime: open sockets inside anyio::run")
        })?;
        let _entered = handle.enter();
        let watcher = std::os::unix::net::UnixStream::from(socket.as_fd().try_clone_to_owned()?);
        let watcher: OwnedFd = watcher.into();
        let watcher = tokio::net::UnixStream::from_std(watcher.into())?;
        Ok(TokioRegistration { socket, watcher })
    }

    fn spawn_blocking<F, T>(self, f: F) -> TokioJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        TokioJoinHandle {
            inner: tokio::task::spawn_blocking(f),
        }
    }
}

/// A socket registered with tokio's reactor, as returned by [`Reactor::register`] for
/// [`TokioRuntime`].
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{Reactor, Registration, Runtime};
/// use anyio_backend_tokio::{TokioRegistration, TokioRuntime};
///
/// TokioRuntime
///     .block_on(async {
///         let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///         socket.set_nonblocking(true).unwrap();
///         let registered: TokioRegistration<_> = TokioRuntime.register(socket).unwrap();
///         assert!(registered.get_ref().local_addr().is_ok());
///     })
///     .unwrap();
/// ```
pub struct TokioRegistration<T: Pollable> {
    // Dropped first: deregisters before the socket closes.
    watcher: tokio::net::UnixStream,
    socket: T,
}

impl<T: Pollable> fmt::Debug for TokioRegistration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokioRegistration")
            .field(&self.socket.as_raw_fd())
            .finish()
    }
}

impl<T: Pollable> Registration<T> for TokioRegistration<T> {
    fn get_ref(&self) -> &T {
        &self.socket
    }

    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let tokio_interest = match interest {
            Interest::Read => tokio::io::Interest::READABLE,
            Interest::Write => tokio::io::Interest::WRITABLE,
        };
        loop {
            ready!(match interest {
                Interest::Read => self.watcher.poll_read_ready(cx),
                Interest::Write => self.watcher.poll_write_ready(cx),
            })?;
            // `try_io` clears tokio's readiness when `op` would block, so the next poll waits.
            match self.watcher.try_io(tokio_interest, || op(&self.socket)) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
        }
    }
}
