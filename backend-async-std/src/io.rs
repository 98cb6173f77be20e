//! Sockets registered with async-io's reactor (the one async-std's own sockets use), and
//! async-std's blocking pool.

use std::fmt;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};

use anyio_core::backend::{
    retry_until_ready, Interest, LockedJoinHandle, Pollable, Reactor, Registration,
};
use async_io::Async;

use crate::{AsyncStdJoinHandle, AsyncStdRuntime, NativeHandle};

impl Reactor for AsyncStdRuntime {
    type Registration<T: Pollable> = AsyncStdRegistration<T>;

    fn register<T: Pollable>(self, socket: T) -> io::Result<AsyncStdRegistration<T>> {
        Async::new(socket).map(AsyncStdRegistration)
    }

    fn spawn_blocking<F, T>(self, f: F) -> AsyncStdJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // A panic is reported as `None`, as for spawned tasks.
        let task = async_std::task::spawn_blocking(move || catch_unwind(AssertUnwindSafe(f)).ok());
        LockedJoinHandle::new(NativeHandle(task))
    }
}

/// A socket registered with async-io's reactor, as returned by [`Reactor::register`] for
/// [`AsyncStdRuntime`].
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{Reactor, Registration, Runtime};
/// use anyio_backend_async_std::{AsyncStdRegistration, AsyncStdRuntime};
///
/// AsyncStdRuntime
///     .block_on(async {
///         let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///         let registered: AsyncStdRegistration<_> = AsyncStdRuntime.register(socket).unwrap();
///         assert!(registered.get_ref().local_addr().is_ok());
///     })
///     .unwrap();
/// ```
pub struct AsyncStdRegistration<T: Pollable>(Async<T>);

impl<T: Pollable> fmt::Debug for AsyncStdRegistration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AsyncStdRegistration")
            .field(&self.0.get_ref().as_raw_fd())
            .finish()
    }
}

impl<T: Pollable> Registration<T> for AsyncStdRegistration<T> {
    fn get_ref(&self) -> &T {
        self.0.get_ref()
    }

    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        retry_until_ready(
            cx,
            || op(self.0.get_ref()),
            |cx| match interest {
                Interest::Read => self.0.poll_readable(cx),
                Interest::Write => self.0.poll_writable(cx),
            },
        )
    }
}
