//! [`Reactor`] for [`AnyRuntime`]: sockets and blocking work dispatched to the backend in use.

// Without any backend every dispatch is an empty `match`, which leaves arguments unused.
#![cfg_attr(
    not(any(feature = "tokio", feature = "async-std", feature = "smol")),
    allow(unused_variables, unreachable_code, unused_imports)
)]

#[cfg(unix)]
use std::fmt;
#[cfg(unix)]
use std::io;
#[cfg(unix)]
use std::task::{Context, Poll};

use anyio_core::backend::Reactor;
#[cfg(unix)]
use anyio_core::backend::{Interest, Pollable, Registration};

#[cfg(all(unix, feature = "async-std"))]
use anyio_backend_async_std::AsyncStdRegistration;
#[cfg(all(unix, feature = "smol"))]
use anyio_backend_smol::SmolRegistration;
#[cfg(all(unix, feature = "tokio"))]
use anyio_backend_tokio::TokioRegistration;

use crate::runtime::{AnyJoinHandle, AnyRuntime, Inner};

impl Reactor for AnyRuntime {
    #[cfg(unix)]
    type Registration<T: Pollable> = AnyRegistration<T>;

    #[cfg(unix)]
    fn register<T: Pollable>(self, socket: T) -> io::Result<AnyRegistration<T>> {
        Ok(AnyRegistration(match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => RegistrationInner::Tokio(rt.register(socket)?),
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => RegistrationInner::AsyncStd(rt.register(socket)?),
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => RegistrationInner::Smol(rt.register(socket)?),
        }))
    }

    fn spawn_blocking<F, T>(self, f: F) -> AnyJoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match self.0 {
            #[cfg(feature = "tokio")]
            Inner::Tokio(rt) => rt.spawn_blocking(f).into(),
            #[cfg(feature = "async-std")]
            Inner::AsyncStd(rt) => rt.spawn_blocking(f).into(),
            #[cfg(feature = "smol")]
            Inner::Smol(rt) => rt.spawn_blocking(f).into(),
        }
    }
}

/// A socket registered with the reactor of the backend in use, as returned by
/// [`Reactor::register`] for [`AnyRuntime`].
///
/// # Examples
///
/// ```
/// use anyio::{AnyRegistration, AnyRuntime};
/// use anyio::core::backend::{Reactor, Registration, Runtime};
///
/// anyio::run(async {
///     let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
///     socket.set_nonblocking(true).unwrap();
///     let runtime = AnyRuntime::current().unwrap();
///     let registered: AnyRegistration<_> = runtime.register(socket).unwrap();
///     assert!(registered.get_ref().local_addr().is_ok());
/// })
/// .unwrap();
/// ```
#[cfg(unix)]
pub struct AnyRegistration<T: Pollable>(RegistrationInner<T>);

#[cfg(unix)]
enum RegistrationInner<T: Pollable> {
    #[cfg(feature = "tokio")]
    Tokio(TokioRegistration<T>),
    #[cfg(feature = "async-std")]
    AsyncStd(AsyncStdRegistration<T>),
    #[cfg(feature = "smol")]
    Smol(SmolRegistration<T>),
    /// Keeps `T` used when no backend is enabled.
    #[allow(dead_code)]
    Disabled(std::convert::Infallible, std::marker::PhantomData<T>),
}

#[cfg(unix)]
impl<T: Pollable> fmt::Debug for AnyRegistration<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            #[cfg(feature = "tokio")]
            RegistrationInner::Tokio(r) => r.fmt(f),
            #[cfg(feature = "async-std")]
            RegistrationInner::AsyncStd(r) => r.fmt(f),
            #[cfg(feature = "smol")]
            RegistrationInner::Smol(r) => r.fmt(f),
            RegistrationInner::Disabled(never, _) => match *never {},
        }
    }
}

#[cfg(unix)]
impl<T: Pollable> Registration<T> for AnyRegistration<T> {
    fn get_ref(&self) -> &T {
        match &self.0 {
            #[cfg(feature = "tokio")]
            RegistrationInner::Tokio(r) => r.get_ref(),
            #[cfg(feature = "async-std")]
            RegistrationInner::AsyncStd(r) => r.get_ref(),
            #[cfg(feature = "smol")]
            RegistrationInner::Smol(r) => r.get_ref(),
            RegistrationInner::Disabled(never, _) => match *never {},
        }
    }

    #[inline]
    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        match &self.0 {
            #[cfg(feature = "tokio")]
            RegistrationInner::Tokio(r) => r.poll_io(cx, interest, op),
            #[cfg(feature = "async-std")]
            RegistrationInner::AsyncStd(r) => r.poll_io(cx, interest, op),
            #[cfg(feature = "smol")]
            RegistrationInner::Smol(r) => r.poll_io(cx, interest, op),
            RegistrationInner::Disabled(never, _) => match *never {},
        }
    }
}
