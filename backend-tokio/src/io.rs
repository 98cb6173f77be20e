//! Sockets registered with tokio's reactor, and tokio's blocking pool.
//!
//! A registration is a [`tokio::io::unix::AsyncFd`] that owns the socket itself: one
//! descriptor per socket, watched by the reactor and used for every operation anyio does on
//! it. When dropped, it deregisters the descriptor first and closes it after.
//!
//! tokio's constructors of `AsyncFd` are `unsafe` (its safe ones are deprecated as unsound):
//! the caller promises that the descriptor stays open, refers to the same socket and is what
//! `as_raw_fd` returns for as long as it is registered. This module is the backend's one
//! place with `unsafe` code, and [`Registered`] is how it keeps that promise for any
//! [`Pollable`] socket.

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::task::{ready, Context, Poll};

use anyio_core::backend::{Interest, Pollable, Reactor, Registration};
use tokio::io::unix::AsyncFd;
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
        let fd = socket.as_fd().as_raw_fd();
        let registered = Registered { socket, fd };
        // SAFETY: `fd` is the socket's descriptor, taken through `AsFd`, so it is open and
        // refers to the socket while the socket is borrowed. `Registered` owns the socket,
        // lends it only by shared reference and never moves it out, and the `AsyncFd` drops
        // it only after deregistering `fd`. A sound `AsFd` type cannot close or replace its
        // descriptor through a shared reference (another thread may hold a `BorrowedFd` of
        // it meanwhile), so `fd` stays open and the same until then, and `as_raw_fd` always
        // returns it.
        #[allow(unsafe_code)]
        let registration = unsafe { AsyncFd::register(registered) };
        registration.map(TokioRegistration).map_err(io::Error::from)
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
pub struct TokioRegistration<T: Pollable>(AsyncFd<Registered<T>>);

/// A registered socket and the descriptor it was registered with, which is what tokio is
/// told on every `as_raw_fd` (tokio requires the same one for the registration's whole life).
struct Registered<T> {
    socket: T,
    fd: RawFd,
}

impl<T> AsRawFd for Registered<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl<T: Pollable> fmt::Debug for TokioRegistration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TokioRegistration")
            .field(&self.0.get_ref().fd)
            .finish()
    }
}

impl<T: Pollable> Registration<T> for TokioRegistration<T> {
    fn get_ref(&self) -> &T {
        &self.0.get_ref().socket
    }

    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let mut guard = ready!(match interest {
                Interest::Read => self.0.poll_read_ready(cx),
                Interest::Write => self.0.poll_write_ready(cx),
            })?;
            // `try_io` clears tokio's readiness when `op` would block, so the next poll waits.
            if let Ok(result) = guard.try_io(|fd| op(&fd.get_ref().socket)) {
                return Poll::Ready(result);
            }
        }
    }
}
