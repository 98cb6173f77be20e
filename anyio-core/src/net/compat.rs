//! `futures::io` (and, with the `tokio-io` feature, tokio's) `AsyncRead`/`AsyncWrite` for
//! anyio's stream sockets, so crates written against those traits run on top of them.
//!
//! These bypass the `Busy` check (the traits take `&mut self`, or a shared reference by
//! choice, as for the standard library's sockets); a closed stream reads and writes
//! [`io::ErrorKind::NotConnected`].

use std::io;
use std::task::{Context, Poll};

use super::op::{ReadInto, WriteSome};
use super::socket::IoOp;
use crate::backend::Interest;

/// A stream socket the I/O traits are implemented for.
pub(crate) trait StreamSocket {
    type Std;
    fn poll_op<O: IoOp<Self::Std>>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut O,
    ) -> Poll<io::Result<O::Output>>;
    fn is_closed(&self) -> bool;
    fn shutdown_write(&self) -> io::Result<()>;
}

impl<T: StreamSocket> StreamSocket for &T {
    type Std = T::Std;

    fn poll_op<O: IoOp<Self::Std>>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        op: &mut O,
    ) -> Poll<io::Result<O::Output>> {
        (**self).poll_op(cx, interest, op)
    }

    fn is_closed(&self) -> bool {
        (**self).is_closed()
    }

    fn shutdown_write(&self) -> io::Result<()> {
        (**self).shutdown_write()
    }
}

pub(crate) fn poll_read<S>(
    socket: &S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>>
where
    S: StreamSocket,
    for<'x> &'x S::Std: io::Read,
{
    if socket.is_closed() {
        return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
    }
    if buf.is_empty() {
        return Poll::Ready(Ok(0));
    }
    socket.poll_op(cx, Interest::Read, &mut ReadInto::new(buf))
}

pub(crate) fn poll_write<S>(
    socket: &S,
    cx: &mut Context<'_>,
    data: &[u8],
) -> Poll<io::Result<usize>>
where
    S: StreamSocket,
    for<'x> &'x S::Std: io::Write,
{
    if socket.is_closed() {
        return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
    }
    socket.poll_op(cx, Interest::Write, &mut WriteSome::new(data))
}

pub(crate) fn poll_shutdown<S: StreamSocket>(socket: &S) -> Poll<io::Result<()>> {
    if socket.is_closed() {
        return Poll::Ready(Ok(()));
    }
    Poll::Ready(match socket.shutdown_write() {
        Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(()),
        other => other,
    })
}

/// Implements the I/O traits for `$stream<R>` and `&$stream<R>` through [`StreamSocket`].
macro_rules! impl_io_traits {
    ($stream:ident) => {
        $crate::net::compat::impl_io_traits!(@impl $stream<R>);
        $crate::net::compat::impl_io_traits!(@impl &$stream<R>);
    };
    (@impl $ty:ty) => {
        impl<R: $crate::backend::Reactor> futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::compat::poll_read(&*self, cx, buf)
            }
        }

        impl<R: $crate::backend::Reactor> futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                data: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::compat::poll_write(&*self, cx, data)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::compat::poll_shutdown(&*self)
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<R: $crate::backend::Reactor> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let n = std::task::ready!($crate::net::compat::poll_read(
                    &*self,
                    cx,
                    buf.initialize_unfilled()
                ))?;
                buf.advance(n);
                std::task::Poll::Ready(Ok(()))
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<R: $crate::backend::Reactor> tokio::io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                data: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::compat::poll_write(&*self, cx, data)
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                $crate::net::compat::poll_shutdown(&*self)
            }
        }
    };
}

pub(crate) use impl_io_traits;
