//! Closing a TLS stream: `close_notify` when it can be sent, the transport's close always.

use std::fmt;
use std::future::Future;
use std::pin::{pin, Pin};
use std::task::{Context, Poll, Waker};

use crate::streams::AsyncClose;

/// The future of [`TlsStream::close`](super::TlsStream::close): sends `close_notify`, then
/// closes the transport.
///
/// Closing always closes, as in Trio: the stream refuses further operations from the call
/// on, and the transport is closed however this future ends — awaited to the end, dropped
/// while `close_notify` is on its way (in a cancelled scope the send stops before sending
/// anything), or dropped without ever being polled.
///
/// # Examples
///
/// ```
/// use anyio_core::streams::tls::TlsStream;
///
/// async fn hang_up(tls: &TlsStream<anyio::net::TcpStream>) {
///     // At most a second for the goodbye; the connection is closed either way.
///     anyio::move_on_after(std::time::Duration::from_secs(1), tls.close()).await;
///     assert!(tls.get_ref().is_closed());
/// }
/// ```
#[must_use = "close_notify is sent only when the close is awaited; dropped, the close skips it"]
pub struct TlsClose<'a> {
    // Boxed because the transport's send and close futures have no names to store.
    inner: Pin<Box<dyn Future<Output = ()> + Send + 'a>>,
}

impl<'a> TlsClose<'a> {
    /// Runs `goodbye`, then closes `transport`; `transport` is closed also when this future
    /// is dropped first, polled or not.
    pub(super) fn new<S: AsyncClose>(
        transport: &'a S,
        goodbye: impl Future<Output = ()> + Send + 'a,
    ) -> Self {
        // Made now and moved into the future, so dropping the future drops it, even unpolled.
        let transport = CloseOnDrop(Some(transport));
        Self {
            inner: Box::pin(async move {
                goodbye.await;
                transport.close().await;
            }),
        }
    }
}

impl Future for TlsClose<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.inner.as_mut().poll(cx)
    }
}

impl fmt::Debug for TlsClose<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClose").finish_non_exhaustive()
    }
}

/// Closes the transport when dropped before [`close`](Self::close) took it.
struct CloseOnDrop<'a, S: AsyncClose>(Option<&'a S>);

impl<S: AsyncClose> CloseOnDrop<'_, S> {
    async fn close(mut self) {
        if let Some(transport) = self.0.take() {
            transport.close().await;
        }
    }
}

impl<S: AsyncClose> Drop for CloseOnDrop<'_, S> {
    fn drop(&mut self) {
        if let Some(transport) = self.0.take() {
            // Starting the close is all a destructor can do; sockets and memory streams
            // close in their close call, a TLS transport in its future's drop.
            let close = pin!(transport.close());
            let _ = close.poll(&mut Context::from_waker(Waker::noop()));
        }
    }
}
