//! What every anyio socket shares: a registration with the runtime's reactor, one task per
//! direction (`Busy` otherwise), and a close that wakes whoever waits.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};

use crate::backend::{Interest, Pollable, Reactor, Registration};
use crate::streams::StreamError;
use crate::time::is_cancelled;
use crate::wait::Acquire;

/// One direction of a socket: whether a task is using it, and the waker to call when the
/// socket is closed under it.
#[derive(Default)]
struct Direction {
    busy: AtomicBool,
    waiter: Mutex<Option<Waker>>,
}

impl Direction {
    /// Remembers `waker` for [`wake`](Self::wake); a task that stays pending keeps the same
    /// waker from poll to poll, so that case neither clones nor drops one.
    fn set_waiter(&self, waker: &Waker) {
        let mut waiter = self.waiter.acquire();
        match &mut *waiter {
            Some(current) if current.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    fn wake(&self) {
        let waker = self.waiter.acquire().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// Releases a direction claimed by [`Socket::exclusive`], also if its closure panics.
struct ReleaseOnDrop<'a>(&'a Direction);

impl Drop for ReleaseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.busy.store(false, Ordering::Release);
    }
}

/// A registered socket with anyio's stream semantics on top.
pub(crate) struct Socket<R: Reactor, T: Pollable> {
    runtime: R,
    io: R::Registration<T>,
    read: Direction,
    write: Direction,
    closed: AtomicBool,
}

impl<R: Reactor, T: Pollable> Socket<R, T> {
    /// Registers the non-blocking `socket` with the runtime serving the caller.
    pub(crate) fn new(socket: T) -> io::Result<Self> {
        let runtime = R::current().map_err(io::Error::other)?;
        Self::with_runtime(runtime, socket)
    }

    /// Registers the non-blocking `socket` with `runtime`.
    pub(crate) fn with_runtime(runtime: R, socket: T) -> io::Result<Self> {
        Ok(Self {
            runtime,
            io: runtime.register(socket)?,
            read: Direction::default(),
            write: Direction::default(),
            closed: AtomicBool::new(false),
        })
    }

    pub(crate) fn runtime(&self) -> R {
        self.runtime
    }

    pub(crate) fn get_ref(&self) -> &T {
        self.io.get_ref()
    }

    pub(crate) fn registration(&self) -> &R::Registration<T> {
        &self.io
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Marks the socket closed, lets `shutdown` end what the kernel can end, and wakes every
    /// task waiting on it; they return [`StreamError::Closed`]. The descriptor itself is
    /// released when the socket is dropped, since other tasks may still hold `&self`.
    pub(crate) fn close(&self, shutdown: impl FnOnce(&T)) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        shutdown(self.io.get_ref());
        self.read.wake();
        self.write.wake();
    }

    /// Runs `f` on the socket holding `interest`'s direction, as an operation does while it
    /// runs: [`StreamError::Busy`] if a task holds it, [`StreamError::Closed`] once closed.
    /// For what must not overlap an operation in progress, such as finishing the sending
    /// side while a send waits.
    pub(crate) fn exclusive<U>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> U,
    ) -> Result<U, StreamError> {
        if self.is_closed() {
            return Err(StreamError::Closed);
        }
        let direction = self.direction(interest);
        if direction.busy.swap(true, Ordering::Acquire) {
            return Err(StreamError::Busy);
        }
        let _release = ReleaseOnDrop(direction);
        Ok(f(self.io.get_ref()))
    }

    /// Runs `op` in the given direction as a future: the named future behind every socket
    /// operation.
    pub(crate) fn io<O: IoOp<T>>(&self, interest: Interest, op: O) -> SocketIo<'_, R, T, O> {
        SocketIo {
            socket: self,
            interest,
            op,
            state: OpState::Idle,
        }
    }

    fn direction(&self, interest: Interest) -> &Direction {
        match interest {
            Interest::Read => &self.read,
            Interest::Write => &self.write,
        }
    }
}

impl<R: Reactor, T: Pollable> fmt::Debug for Socket<R, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("runtime", &self.runtime)
            .field("fd", &self.io.get_ref().as_raw_fd())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A non-blocking operation on a socket of type `T`, retried by [`SocketIo`] until the socket
/// is ready for it.
pub trait IoOp<T>: Send {
    /// What the operation yields.
    type Output;

    /// Checks the operation's arguments before it claims the socket.
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidArgument`] saying what to pass instead.
    fn validate(&self) -> Result<(), StreamError> {
        Ok(())
    }

    /// Tries the operation once; [`io::ErrorKind::WouldBlock`] means "wait for readiness and
    /// call again".
    ///
    /// # Errors
    ///
    /// The operating system's error, or `WouldBlock`.
    fn attempt(&mut self, socket: &T) -> io::Result<Self::Output>;

    /// Turns the operation's result into the stream's, for example a read of 0 bytes into
    /// [`StreamError::EndOfStream`].
    ///
    /// # Errors
    ///
    /// The classified error.
    fn complete(result: io::Result<Self::Output>) -> Result<Self::Output, StreamError> {
        result.map_err(StreamError::from)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OpState {
    Idle,
    Running,
    Done,
}

/// An operation on an anyio socket, as returned by the sockets' `receive`, `send`, `accept`
/// and similar methods.
///
/// On its first poll it checks for cancellation and claims its direction of the socket
/// ([`StreamError::Busy`] if another task holds it); it releases the direction when it
/// completes or is dropped.
///
/// # Cancel safety
///
/// Receives and accepts are cancel safe: data and connections are taken from the socket only
/// in the poll that returns them. A cancelled send may have sent a prefix of its data.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SocketIo<'a, R: Reactor, T: Pollable, O> {
    socket: &'a Socket<R, T>,
    interest: Interest,
    op: O,
    state: OpState,
}

impl<R: Reactor, T: Pollable, O> fmt::Debug for SocketIo<'_, R, T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIo")
            .field("socket", self.socket)
            .field("interest", &self.interest)
            .field("state", &self.state)
            .finish()
    }
}

// The operation is never pinned: it is only borrowed mutably for each attempt.
impl<R: Reactor, T: Pollable, O> Unpin for SocketIo<'_, R, T, O> {}

impl<R: Reactor, T: Pollable, O: IoOp<T>> Future for SocketIo<'_, R, T, O> {
    type Output = Result<O::Output, StreamError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let socket = this.socket;
        let direction = socket.direction(this.interest);
        match this.state {
            OpState::Done => panic!("SocketIo polled after completion"),
            OpState::Idle => {
                if is_cancelled() {
                    // The cancelled scope drops this future; nothing was claimed.
                    return Poll::Pending;
                }
                if let Err(error) = this.op.validate() {
                    this.state = OpState::Done;
                    return Poll::Ready(Err(error));
                }
                if socket.is_closed() {
                    this.state = OpState::Done;
                    return Poll::Ready(Err(StreamError::Closed));
                }
                if direction.busy.swap(true, Ordering::Acquire) {
                    this.state = OpState::Done;
                    return Poll::Ready(Err(StreamError::Busy));
                }
                this.state = OpState::Running;
            }
            OpState::Running => {}
        }
        let op = &mut this.op;
        let result = match socket.io.poll_io(cx, this.interest, |io| op.attempt(io)) {
            Poll::Ready(result) => result,
            Poll::Pending => {
                direction.set_waiter(cx.waker());
                // A close between the poll above and storing the waker must not be missed.
                if !socket.is_closed() {
                    return Poll::Pending;
                }
                Err(io::ErrorKind::NotConnected.into())
            }
        };
        this.state = OpState::Done;
        direction.busy.store(false, Ordering::Release);
        if socket.is_closed() {
            return Poll::Ready(Err(StreamError::Closed));
        }
        Poll::Ready(O::complete(result))
    }
}

impl<R: Reactor, T: Pollable, O> Drop for SocketIo<'_, R, T, O> {
    fn drop(&mut self) {
        if self.state == OpState::Running {
            self.socket
                .direction(self.interest)
                .busy
                .store(false, Ordering::Release);
        }
    }
}
