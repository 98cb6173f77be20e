//! The future behind `send_eof` on TCP and Unix streams.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::streams::StreamError;
use crate::time::is_cancelled;

type Finish<'a> = Box<dyn FnOnce() -> Result<(), StreamError> + Send + 'a>;

/// The future returned by [`TcpStream::send_eof`](super::TcpStream::send_eof) and
/// [`UnixStream::send_eof`](super::UnixStream::send_eof): it finishes the sending side when it
/// is first polled, not when it is made, so that a send started before it in the same
/// `select!` or `join!` holds the direction first (and this one is `Busy`).
///
/// # Examples
///
/// ```
/// # use anyio::net::UnixStream;
/// use anyio::net::SendEof;
///
/// # anyio::run(async {
/// # let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
/// # let stream = UnixStream::from_std(a).unwrap();
/// let finish: SendEof<'_> = stream.send_eof();
/// finish.await.unwrap();
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// A checkpoint: in a cancelled scope it does nothing and never completes.
#[must_use = "futures do nothing unless polled"]
pub struct SendEof<'a> {
    finish: Option<Finish<'a>>,
}

impl<'a> SendEof<'a> {
    pub(crate) fn new(finish: impl FnOnce() -> Result<(), StreamError> + Send + 'a) -> Self {
        Self {
            finish: Some(Box::new(finish)),
        }
    }
}

impl Future for SendEof<'_> {
    type Output = Result<(), StreamError>;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        if is_cancelled() {
            return Poll::Pending;
        }
        let finish = self
            .finish
            .take()
            .expect("`SendEof` polled after completion");
        Poll::Ready(finish())
    }
}

impl fmt::Debug for SendEof<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendEof")
            .field("done", &self.finish.is_none())
            .finish()
    }
}
