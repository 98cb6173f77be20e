//! TCP listeners: one or several listening sockets (one per local address) behind one accept.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use socket2::SockRef;

use super::socket::Socket;
use super::tcp::TcpStream;
use super::{SocketAddress, SocketAttributes};
use crate::backend::{Interest, Reactor, Registration};
use crate::streams::{AsyncClose, Listener, StreamError};
use crate::time::is_cancelled;
use crate::wait::Acquire;

/// A TCP listener, as returned by [`create_tcp_listener`](super::create_tcp_listener): one
/// listening socket per local address (such as `::` and `0.0.0.0` for all interfaces), all on
/// the same port, served by one [`accept`](Self::accept).
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{connect_tcp, create_tcp_listener};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let port = listener.local_port().unwrap();
/// let _client = connect_tcp("127.0.0.1", port).await.unwrap();
/// let server_side = listener.accept().await.unwrap();
/// assert_eq!(server_side.local_port(), Some(port));
/// # }).unwrap();
/// ```
pub struct TcpListener<R: Reactor> {
    /// Never empty.
    sockets: Vec<Socket<R, std::net::TcpListener>>,
    accepting: AtomicBool,
    closed: AtomicBool,
    waiter: Mutex<Option<Waker>>,
    /// Where the next accept starts looking, so no socket starves the others.
    next: AtomicUsize,
}

impl<R: Reactor> TcpListener<R> {
    /// Wraps a bound, listening standard-library listener, registering it with the runtime
    /// serving the caller.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::TcpListener;
    ///
    /// # anyio::run(async {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let port = std_listener.local_addr().unwrap().port();
    /// let listener = TcpListener::from_std(std_listener).unwrap();
    /// assert_eq!(listener.local_port(), Some(port));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, or the reactor's when the caller is outside a runtime.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<Self> {
        let runtime = R::current().map_err(io::Error::other)?;
        Self::from_listeners(runtime, vec![listener])
    }

    /// Wraps non-empty `listeners`, registering each with `runtime`.
    pub(crate) fn from_listeners(
        runtime: R,
        listeners: Vec<std::net::TcpListener>,
    ) -> io::Result<Self> {
        if listeners.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a listener needs at least one listening socket",
            ));
        }
        let sockets = listeners
            .into_iter()
            .map(|listener| {
                listener.set_nonblocking(true)?;
                Socket::with_runtime(runtime, listener)
            })
            .collect::<io::Result<_>>()?;
        Ok(Self {
            sockets,
            accepting: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            waiter: Mutex::new(None),
            next: AtomicUsize::new(0),
        })
    }

    /// Waits for the next connection on any of the listener's sockets; its stream has
    /// `TCP_NODELAY` on.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// # use anyio::net::{connect_tcp, create_tcp_listener};
    /// # anyio::run(async {
    /// # let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
    /// let accepted = listener.accept().await.unwrap();
    /// assert_eq!(accepted.remote_port(), client.local_port());
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// `Closed`, `Busy` (another task is accepting), or the operating system's error, such as
    /// running out of file descriptors.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a connection is taken from the listener only in the poll that returns it.
    pub fn accept(&self) -> TcpAccept<'_, R> {
        TcpAccept {
            listener: self,
            state: State::Idle,
        }
    }

    /// Accepts connections until the listener fails or the caller's scope is cancelled,
    /// running `handler` on each in its own task; see [`serve`](crate::streams::serve).
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use std::time::Duration;
    /// use anyio::net::{connect_tcp, create_tcp_listener};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// let port = listener.local_port().unwrap();
    /// let server = anyio::move_on_after(Duration::from_millis(200), listener.serve(|conn| async move {
    ///     if let Ok(data) = conn.receive(1024).await {
    ///         let _ = conn.send(&data).await;
    ///     }
    /// }));
    /// let client = async {
    ///     let stream = connect_tcp("127.0.0.1", port).await.unwrap();
    ///     stream.send(b"echo").await.unwrap();
    ///     stream.receive(1024).await.unwrap()
    /// };
    /// let (_, reply) = futures_util::join!(server, client);
    /// assert_eq!(&reply[..], b"echo");
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The listener's error that ended serving, such as [`StreamError::Closed`].
    ///
    /// # Cancel safety
    ///
    /// Cancelling it cancels every handler, as for any task group.
    pub async fn serve<H, F>(&self, handler: H) -> Result<(), StreamError>
    where
        H: Fn(TcpStream<R>) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        crate::streams::serve::<R, _, _, _>(self, handler).await
    }

    /// Closes the listener; a waiting accept ends with [`StreamError::Closed`].
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_tcp_listener;
    /// use anyio::streams::StreamError;
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// listener.close().await;
    /// assert!(matches!(listener.accept().await, Err(StreamError::Closed)));
    /// # }).unwrap();
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it completes at once.
    pub fn close(&self) -> std::future::Ready<()> {
        if !self.closed.swap(true, Ordering::AcqRel) {
            for socket in &self.sockets {
                socket.close(|listener| {
                    // Linux refuses new connections on a listening socket that is shut down.
                    let _ = SockRef::from(listener).shutdown(Shutdown::Both);
                });
            }
            let waiter = self.waiter.acquire().take();
            if let Some(waiter) = waiter {
                waiter.wake();
            }
        }
        std::future::ready(())
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_tcp_listener;
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// listener.close().await;
    /// assert!(listener.is_closed());
    /// # }).unwrap();
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Every local address the listener accepts on, one per socket, such as `[::]:8080` and
    /// `0.0.0.0:8080`.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::SocketAttributes as _;
    /// use anyio::net::{create_tcp_listener, SocketAddress};
    ///
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("localhost"), 0).await.unwrap();
    /// let port = listener.local_port().unwrap();
    /// for address in listener.local_addresses().unwrap() {
    ///     assert!(matches!(address, SocketAddress::Inet(a) if a.port() == port));
    /// }
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error.
    pub fn local_addresses(&self) -> io::Result<Vec<SocketAddress>> {
        self.sockets
            .iter()
            .map(|socket| socket.get_ref().local_addr().map(SocketAddress::Inet))
            .collect()
    }

    /// The first standard-library listener, for options anyio does not wrap; see
    /// [`get_refs`](Self::get_refs) for all of them.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_tcp_listener;
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
    /// assert!(listener.get_ref().local_addr().unwrap().ip().is_loopback());
    /// # }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &std::net::TcpListener {
        self.sockets[0].get_ref()
    }

    /// Every standard-library listener, one per local address.
    ///
    /// # Examples
    ///
    /// ```
    /// # use anyio::net::create_tcp_listener;
    /// # anyio::run(async {
    /// let listener = create_tcp_listener(Some("localhost"), 0).await.unwrap();
    /// assert!(!listener.get_refs().is_empty());
    /// # }).unwrap();
    /// ```
    pub fn get_refs(&self) -> Vec<&std::net::TcpListener> {
        self.sockets.iter().map(Socket::get_ref).collect()
    }

    fn addresses(&self) -> Vec<SocketAddr> {
        self.sockets
            .iter()
            .filter_map(|socket| socket.get_ref().local_addr().ok())
            .collect()
    }
}

impl<R: Reactor> fmt::Debug for TcpListener<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.addresses())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<R: Reactor> SocketAttributes for TcpListener<R> {
    /// The first socket's address; see [`TcpListener::local_addresses`] for all.
    fn local_address(&self) -> io::Result<SocketAddress> {
        self.get_ref().local_addr().map(SocketAddress::Inet)
    }

    fn remote_address(&self) -> io::Result<SocketAddress> {
        Err(io::ErrorKind::NotConnected.into())
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<R: Reactor> Listener for TcpListener<R> {
    type Stream = TcpStream<R>;

    #[allow(refining_impl_trait)]
    fn accept(&self) -> TcpAccept<'_, R> {
        TcpListener::accept(self)
    }
}

impl<R: Reactor> AsyncClose for TcpListener<R> {
    #[allow(refining_impl_trait)]
    fn close(&self) -> std::future::Ready<()> {
        TcpListener::close(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Running,
    Done,
}

/// An accept on a [`TcpListener`], as returned by [`TcpListener::accept`].
///
/// On its first poll it checks for cancellation and claims the listener
/// ([`StreamError::Busy`] if another task is accepting); it releases it when it completes or
/// is dropped.
///
/// # Examples
///
/// ```
/// # use anyio::net::SocketAttributes as _;
/// use anyio::net::{connect_tcp, create_tcp_listener, TcpAccept};
///
/// # anyio::run(async {
/// let listener = create_tcp_listener(Some("127.0.0.1"), 0).await.unwrap();
/// let accepting: TcpAccept<'_> = listener.accept();
/// let client = connect_tcp("127.0.0.1", listener.local_port().unwrap()).await.unwrap();
/// assert_eq!(accepting.await.unwrap().remote_port(), client.local_port());
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// Cancel safe: a connection is taken from the listener only in the poll that returns it.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TcpAccept<'a, R: Reactor> {
    listener: &'a TcpListener<R>,
    state: State,
}

impl<R: Reactor> fmt::Debug for TcpAccept<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpAccept")
            .field("listener", self.listener)
            .field("state", &self.state)
            .finish()
    }
}

impl<R: Reactor> TcpAccept<'_, R> {
    fn finish(
        &mut self,
        result: io::Result<TcpStream<R>>,
    ) -> Poll<Result<TcpStream<R>, StreamError>> {
        self.state = State::Done;
        self.listener.accepting.store(false, Ordering::Release);
        if self.listener.is_closed() {
            return Poll::Ready(Err(StreamError::Closed));
        }
        Poll::Ready(result.map_err(StreamError::from))
    }
}

impl<R: Reactor> Future for TcpAccept<'_, R> {
    type Output = Result<TcpStream<R>, StreamError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let listener = this.listener;
        match this.state {
            State::Done => panic!("TcpAccept polled after completion"),
            State::Idle => {
                if is_cancelled() {
                    // The cancelled scope drops this future; nothing was claimed.
                    return Poll::Pending;
                }
                if listener.is_closed() {
                    this.state = State::Done;
                    return Poll::Ready(Err(StreamError::Closed));
                }
                if listener.accepting.swap(true, Ordering::Acquire) {
                    this.state = State::Done;
                    return Poll::Ready(Err(StreamError::Busy));
                }
                this.state = State::Running;
            }
            State::Running => {}
        }
        let count = listener.sockets.len();
        let start = listener.next.load(Ordering::Relaxed);
        for offset in 0..count {
            let index = (start + offset) % count;
            let socket = &listener.sockets[index];
            let runtime = socket.runtime();
            let polled = socket
                .registration()
                .poll_io(cx, Interest::Read, |l| accept_one(runtime, l));
            if let Poll::Ready(result) = polled {
                listener.next.store(index + 1, Ordering::Relaxed);
                return this.finish(result);
            }
        }
        *listener.waiter.acquire() = Some(cx.waker().clone());
        // A close between the polls above and storing the waker must not be missed.
        if listener.is_closed() {
            return this.finish(Err(io::ErrorKind::NotConnected.into()));
        }
        Poll::Pending
    }
}

impl<R: Reactor> Drop for TcpAccept<'_, R> {
    fn drop(&mut self) {
        if self.state == State::Running {
            self.listener.accepting.store(false, Ordering::Release);
        }
    }
}

/// Accepts one connection and registers it with `runtime`.
fn accept_one<R: Reactor>(
    runtime: R,
    listener: &std::net::TcpListener,
) -> io::Result<TcpStream<R>> {
    let (stream, _) = listener.accept()?;
    stream.set_nonblocking(true)?;
    stream.set_nodelay(true)?;
    Ok(TcpStream::from_socket(Socket::with_runtime(
        runtime, stream,
    )?))
}
