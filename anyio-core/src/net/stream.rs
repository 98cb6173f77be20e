//! What TCP and Unix streams share, written once: a connected stream socket with anyio's
//! stream semantics (receive, send, half-close, close) and the `AsyncRead`/`AsyncWrite`
//! building blocks.

use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use super::op::{ReadBytes, ReadInto, SendAll, WriteSome};
use super::send_eof::SendEof;
use super::socket::{IoOp, Socket, SocketIo};
use crate::backend::{Interest, Pollable, Reactor, Registration};
use crate::streams::StreamError;

/// A standard-library stream socket that anyio wraps: TCP or Unix.
pub(crate) trait StdStream: Pollable {
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;

    /// Ends the connection for good while the descriptor stays open (other tasks may still
    /// be inside an operation on it; the descriptor is released on drop).
    fn close_connection(&self) {
        let _ = self.shutdown(Shutdown::Both);
    }
}

impl StdStream for std::net::TcpStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::net::TcpStream::shutdown(self, how)
    }

    /// As the kernel's own close: with received bytes unread the connection is reset, so a
    /// peer waiting to send into our full receive window fails at once with a reset instead
    /// of waiting forever on a socket nobody will read; otherwise it ends with a FIN after
    /// what we sent. (A shutdown alone keeps the window shut and sends nothing more.)
    fn close_connection(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if rustix::io::ioctl_fionread(self).is_ok_and(|unread| unread > 0)
            && rustix::net::connect_unspec(self).is_ok()
        {
            return;
        }
        let _ = self.shutdown(Shutdown::Both);
    }
}

impl StdStream for std::os::unix::net::UnixStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::os::unix::net::UnixStream::shutdown(self, how)
    }
}

/// A connected stream socket: the inside of [`TcpStream`](super::TcpStream) and
/// [`UnixStream`](super::UnixStream).
pub(crate) struct Connected<R: Reactor, T: Pollable> {
    socket: Socket<R, T>,
    eof_sent: AtomicBool,
}

impl<R: Reactor, T: StdStream> Connected<R, T>
where
    for<'x> &'x T: Read + Write,
{
    pub(crate) fn new(socket: Socket<R, T>) -> Self {
        Self {
            socket,
            eof_sent: AtomicBool::new(false),
        }
    }

    pub(crate) fn receive(&self, max_bytes: usize) -> SocketIo<'_, R, T, ReadBytes> {
        self.socket.io(Interest::Read, ReadBytes::new(max_bytes))
    }

    pub(crate) fn receive_into<'a>(
        &'a self,
        buf: &'a mut [u8],
    ) -> SocketIo<'a, R, T, ReadInto<'a>> {
        self.socket.io(Interest::Read, ReadInto::new(buf))
    }

    pub(crate) fn send<'a>(&'a self, data: &'a [u8]) -> SocketIo<'a, R, T, SendAll<'a>> {
        self.socket
            .io(Interest::Write, SendAll::new(data, &self.eof_sent))
    }

    pub(crate) fn send_eof(&self) -> SendEof<'_> {
        SendEof::new(move || self.finish_sending())
    }

    /// Shuts the sending side down, holding the write direction as a send would: while a
    /// send is in progress (one task per direction, as in Trio) it is `Busy` and changes
    /// nothing, rather than cutting the send off or leaving it waiting forever.
    fn finish_sending(&self) -> Result<(), StreamError> {
        self.socket
            .exclusive(Interest::Write, |stream| {
                // Set before the shutdown and seen by every send that claims the direction
                // after this releases it.
                self.eof_sent.store(true, Ordering::Release);
                stream.shutdown(Shutdown::Write)
            })?
            .map_err(StreamError::from)
    }

    pub(crate) fn close(&self) -> std::future::Ready<()> {
        self.socket.close(StdStream::close_connection);
        std::future::ready(())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.socket.is_closed()
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.socket.get_ref()
    }

    fn poll_op<O: IoOp<T>>(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        mut op: O,
    ) -> Poll<io::Result<O::Output>> {
        if self.socket.is_closed() {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        }
        self.socket
            .registration()
            .poll_io(cx, interest, |s| op.attempt(s))
    }

    /// `AsyncRead::poll_read`: 0 bytes at the end of the stream. It bypasses the `Busy` check,
    /// as the traits' `&mut self` (or a shared reference by choice) leaves that to the caller.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_op(cx, Interest::Read, ReadInto::new(buf))
    }

    /// `AsyncWrite::poll_write`; after `send_eof` it fails as a send does.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        if self.eof_sent.load(Ordering::Acquire) {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                StreamError::Closed,
            )));
        }
        self.poll_op(cx, Interest::Write, WriteSome::new(data))
    }

    /// `AsyncWrite::poll_close`: finishes the sending half (idempotent, and a no-op once the
    /// stream is closed); `Busy` while a `send` is in progress.
    pub(crate) fn poll_shutdown(&self) -> Poll<io::Result<()>> {
        Poll::Ready(match self.finish_sending() {
            Err(StreamError::Closed) => Ok(()),
            Err(StreamError::Broken(error)) if error.kind() == io::ErrorKind::NotConnected => {
                Ok(())
            }
            other => other.map_err(io::Error::from),
        })
    }
}

/// The byte stream traits, `futures::io` `AsyncRead`/`AsyncWrite` (for the stream and a
/// reference to it) and, with the `tokio-io` feature, tokio's, for a stream type whose
/// `inner` field is a [`Connected`], delegating to the type's inherent methods.
macro_rules! impl_stream_traits {
    ($stream:ident, $std:ty) => {
        impl<R: $crate::backend::Reactor> $crate::streams::ByteReceiveStream for $stream<R> {
            #[allow(refining_impl_trait)]
            fn receive_into<'a>(
                &'a self,
                buf: &'a mut [u8],
            ) -> $crate::net::SocketIo<'a, R, $std, $crate::net::ReadInto<'a>> {
                $stream::receive_into(self, buf)
            }

            #[allow(refining_impl_trait)]
            fn receive(
                &self,
                max_bytes: usize,
            ) -> $crate::net::SocketIo<'_, R, $std, $crate::net::ReadBytes> {
                $stream::receive(self, max_bytes)
            }
        }

        impl<R: $crate::backend::Reactor> $crate::streams::ByteSendStream for $stream<R> {
            #[allow(refining_impl_trait)]
            fn send<'a>(
                &'a self,
                data: &'a [u8],
            ) -> $crate::net::SocketIo<'a, R, $std, $crate::net::SendAll<'a>> {
                $stream::send(self, data)
            }
        }

        impl<R: $crate::backend::Reactor> $crate::streams::ByteStream for $stream<R> {
            #[allow(refining_impl_trait)]
            fn send_eof(&self) -> $crate::net::SendEof<'_> {
                $stream::send_eof(self)
            }
        }

        impl<R: $crate::backend::Reactor> $crate::streams::AsyncClose for $stream<R> {
            #[allow(refining_impl_trait)]
            fn close(&self) -> std::future::Ready<()> {
                $stream::close(self)
            }
        }

        $crate::net::stream::impl_stream_traits!(@io $stream<R>);
        $crate::net::stream::impl_stream_traits!(@io &$stream<R>);
    };
    (@io $ty:ty) => {
        impl<R: $crate::backend::Reactor> futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_read(cx, buf)
            }
        }

        impl<R: $crate::backend::Reactor> futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                data: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.inner.poll_write(cx, data)
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
                self.inner.poll_shutdown()
            }
        }

        #[cfg(feature = "tokio-io")]
        impl<R: $crate::backend::Reactor> tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut tokio::io::ReadBuf<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let n = std::task::ready!(self.inner.poll_read(cx, buf.initialize_unfilled()))?;
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
                self.inner.poll_write(cx, data)
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
                self.inner.poll_shutdown()
            }
        }
    };
}

pub(crate) use impl_stream_traits;
