//! Sockets registered with async-io's reactor, and the `blocking` thread pool: smol's own.

use std::fmt;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};

use anyio_core::backend::{
    retry_until_ready, Interest, LockedJoinHandle, Pollable, Reactor, Registration,
};
use async_io::Async;

use crate::{DetachOnDrop, SmolJoinHandle, SmolRuntime};

impl Reactor for SmolRuntime {
    type Registration<T: Pollable> = SmolRegistration<T>;

    fn register<T: Pollable>(self, socket: T) -> io::Result<SmolRegistration<T>> {
        Async::new(socket).map(SmolRegistration)
    }

    fn spawn_blocking<F, T>(self, f: F) -> SmolJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        // A panic is reported as `None`, as for spawned tasks.
        let task = blocking::unblock(move || catch_unwind(AssertUnwindSafe(f)).ok());
        LockedJoinHandle::new(DetachOnDrop(Some(task)))
    }
}

/// A socket registered with async-io's reactor, as returned by [`Reactor::register`] for
/// [`SmolRuntime`].
///
/// # Examples
///
/// ```
/// use anyio_core::backend::{Reactor, Registration, Runtime};
/// use anyio_backend_smol::{SmolRegistration, SmolRuntime};
///
/// SmolRuntime
///     .block_on(async {
///         let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///         let registered: SmolRegistration<_> = SmolRuntime.register(socket).unwrap();
///         assert!(registered.get_ref().local_addr().is_ok());
///     })
///     .unwrap();
/// ```
pub struct SmolRegistration<T: Pollable>(Async<T>);

impl<T: Pollable> fmt::Debug for SmolRegistration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SmolRegistration")
            .field(&self.0.get_ref().as_raw_fd())
            .finish()
    }
}

impl<T: Pollable> Registration<T> for SmolRegistration<T> {
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
