//! Receiving Unix signals as a stream, on any runtime.
//!
//! Each requested signal gets its own socket pair: the process-wide handler (installed through
//! `signal-hook`, which keeps handlers async-signal-safe) writes a byte to it per delivery, and
//! the receiver waits for those bytes on the runtime's reactor, so signals need no thread.
//!
//! # Examples
//!
//! ```
//! use anyio::signal::{open_signal_receiver, SIGUSR2};
//! use futures_util::StreamExt;
//!
//! # anyio::run(async {
//! let mut signals = open_signal_receiver(&[SIGUSR2]).unwrap();
//! SIGUSR2.raise().unwrap();
//! assert_eq!(signals.next().await, Some(SIGUSR2));
//! # }).unwrap();
//! ```

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use signal_hook::SigId;

use crate::backend::{Interest, Reactor, Registration};

/// A Unix signal number.
///
/// The common ones are constants of this module ([`SIGINT`], [`SIGTERM`], ...); any other
/// comes from [`Signal::from_raw`].
///
/// # Examples
///
/// ```
/// use anyio::signal::{Signal, SIGINT};
///
/// assert_eq!(Signal::from_raw(2), SIGINT);
/// assert_eq!(SIGINT.to_string(), "SIGINT");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(i32);

impl Signal {
    /// The signal with number `number`; [`open_signal_receiver`] checks that it exists.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::signal::Signal;
    ///
    /// assert_eq!(Signal::from_raw(15).as_raw(), 15);
    /// ```
    pub const fn from_raw(number: i32) -> Self {
        Self(number)
    }

    /// The signal's number.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(anyio::signal::SIGTERM.as_raw(), 15);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// Sends this signal to the current process.
    ///
    /// # Examples
    ///
    /// ```
    /// use anyio::signal::{open_signal_receiver, SIGWINCH};
    /// use futures_util::StreamExt;
    ///
    /// # anyio::run(async {
    /// let mut signals = open_signal_receiver(&[SIGWINCH]).unwrap();
    /// SIGWINCH.raise().unwrap();
    /// assert_eq!(signals.next().await, Some(SIGWINCH));
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The operating system's error, for a number that is no signal.
    pub fn raise(self) -> io::Result<()> {
        signal_hook::low_level::raise(self.0)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match signal_hook::low_level::signal_name(self.0) {
            Some(name) => f.write_str(name),
            None => write!(f, "signal {}", self.0),
        }
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}({})", self.0)
    }
}

macro_rules! signals {
    ($($name:ident: $what:literal,)*) => {
        $(
            #[doc = concat!("`", stringify!($name), "`: ", $what, ".")]
            ///
            /// # Examples
            ///
            /// ```
            #[doc = concat!("assert_eq!(anyio::signal::", stringify!($name), ".to_string(), \"", stringify!($name), "\");")]
            /// ```
            pub const $name: Signal = Signal(libc::$name);
        )*
    };
}

signals! {
    SIGHUP: "the controlling terminal hung up, or a daemon is asked to reload",
    SIGINT: "interrupt from the keyboard (Ctrl-C)",
    SIGQUIT: "quit from the keyboard (Ctrl-\\)",
    SIGTERM: "a polite request to terminate",
    SIGUSR1: "user-defined signal 1",
    SIGUSR2: "user-defined signal 2",
    SIGCHLD: "a child process stopped or terminated",
    SIGWINCH: "the terminal window changed size",
    SIGALRM: "a timer set with alarm expired",
    SIGPIPE: "a write to a pipe with no reader",
    SIGCONT: "continue after a stop",
    SIGTSTP: "stop from the keyboard (Ctrl-Z)",
}

/// Why [`open_signal_receiver`] refused.
///
/// # Examples
///
/// ```
/// use anyio::signal::{open_signal_receiver, Signal, SignalError};
///
/// # anyio::run(async {
/// let error = open_signal_receiver(&[Signal::from_raw(9)]).unwrap_err();
/// assert!(matches!(error, SignalError::Forbidden(_)));
/// assert!(error.to_string().contains("SIGKILL"));
/// # }).unwrap();
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SignalError {
    /// The list of signals was empty.
    NoSignals,
    /// The signal cannot be caught (`SIGKILL`, `SIGSTOP`) or catching it would hide a fault
    /// (`SIGSEGV`, `SIGILL`, `SIGFPE`).
    Forbidden(Signal),
    /// No signal has this number on this system.
    Unknown(Signal),
    /// Installing the handler or registering with the runtime failed, for example outside a
    /// runtime.
    Io(io::Error),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSignals => f.write_str("no signals to receive: pass at least one signal"),
            Self::Forbidden(signal) => write!(
                f,
                "{signal} cannot be received: it cannot be caught or marks a fault; \
                 receive SIGINT, SIGTERM, SIGHUP, SIGUSR1, ... instead"
            ),
            Self::Unknown(signal) => write!(
                f,
                "{} is not a signal on this system: use a constant of anyio::signal",
                signal.0
            ),
            Self::Io(error) => write!(f, "could not receive signals: {error}"),
        }
    }
}

impl Error for SignalError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// One signal's socket pair: the handler writes to the other end.
struct Pipe<R: Reactor> {
    signal: Signal,
    id: SigId,
    read: R::Registration<UnixStream>,
}

impl<R: Reactor> Drop for Pipe<R> {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.id);
    }
}

/// A stream of the signals delivered to the process, as returned by
/// [`open_signal_receiver`]: every delivery after it was opened, in order per signal.
///
/// The operating system merges deliveries of one signal that arrive before the handler ran;
/// several receivers of one signal each get every delivery. Dropping the receiver uninstalls
/// its handlers (the signal's default action does not come back: it stays ignored).
///
/// # Examples
///
/// ```
/// use anyio::signal::{open_signal_receiver, SIGUSR1, SIGUSR2};
/// use futures_util::StreamExt;
///
/// # anyio::run(async {
/// let mut signals = open_signal_receiver(&[SIGUSR1, SIGUSR2]).unwrap();
/// SIGUSR1.raise().unwrap();
/// let signal = signals.next().await.unwrap();
/// assert_eq!(signal, SIGUSR1);
/// # }).unwrap();
/// ```
///
/// # Cancel safety
///
/// `next()` is cancel safe: a signal is taken from the socket only when it is returned.
#[must_use = "signals are only received while the stream is polled"]
pub struct SignalReceiver<R: Reactor> {
    pipes: Vec<Pipe<R>>,
    /// Deliveries read from a socket and not returned yet.
    ready: VecDeque<Signal>,
    /// The pipe polled first next time, so a busy signal cannot starve the others.
    next: usize,
}

impl<R: Reactor> fmt::Debug for SignalReceiver<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let signals: Vec<Signal> = self.pipes.iter().map(|pipe| pipe.signal).collect();
        f.debug_struct("SignalReceiver")
            .field("signals", &signals)
            .field("ready", &self.ready)
            .finish()
    }
}

impl<R: Reactor> Unpin for SignalReceiver<R> {}

impl<R: Reactor> Stream for SignalReceiver<R> {
    type Item = Signal;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Signal>> {
        let this = self.get_mut();
        if let Some(signal) = this.ready.pop_front() {
            return Poll::Ready(Some(signal));
        }
        let count = this.pipes.len();
        for offset in 0..count {
            let index = (this.next + offset) % count;
            let pipe = &this.pipes[index];
            let mut bytes = [0; 64];
            let polled = pipe
                .read
                .poll_io(cx, Interest::Read, |s| (&*s).read(&mut bytes));
            // The write end lives as long as the handler, so neither end of stream nor an
            // error can happen while the receiver is open; such a pipe just stays quiet.
            if let Poll::Ready(Ok(n)) = polled {
                if n > 0 {
                    this.ready.extend(std::iter::repeat_n(pipe.signal, n));
                    this.next = (index + 1) % count;
                    return Poll::Ready(this.ready.pop_front());
                }
            }
        }
        Poll::Pending
    }
}

/// Starts receiving `signals` (duplicates count once) as a stream on runtime `R`.
///
/// # Examples
///
/// ```
/// use anyio::signal::{open_signal_receiver, Signal, SignalError, SIGHUP};
///
/// # anyio::run(async {
/// let receiver = open_signal_receiver(&[SIGHUP]).unwrap();
/// let error = open_signal_receiver(&[Signal::from_raw(99999)]).unwrap_err();
/// assert!(matches!(error, SignalError::Unknown(_)));
/// # drop(receiver);
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`SignalError::NoSignals`] for an empty list, [`SignalError::Forbidden`] for `SIGKILL`,
/// `SIGSTOP` and the fault signals, [`SignalError::Unknown`] for a number that is no signal,
/// and [`SignalError::Io`] outside a runtime or when the system refuses.
pub fn open_signal_receiver<R: Reactor>(
    signals: &[Signal],
) -> Result<SignalReceiver<R>, SignalError> {
    if signals.is_empty() {
        return Err(SignalError::NoSignals);
    }
    let mut wanted = signals.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    for &signal in &wanted {
        if signal_hook::consts::FORBIDDEN.contains(&signal.0) {
            return Err(SignalError::Forbidden(signal));
        }
        if signal.0 <= 0 || signal.0 > max_signal() {
            return Err(SignalError::Unknown(signal));
        }
    }
    let runtime = R::current().map_err(|e| SignalError::Io(io::Error::other(e)))?;
    let mut pipes = Vec::with_capacity(wanted.len());
    for signal in wanted {
        let (read, write) = UnixStream::pair().map_err(SignalError::Io)?;
        read.set_nonblocking(true).map_err(SignalError::Io)?;
        write.set_nonblocking(true).map_err(SignalError::Io)?;
        let read = runtime.register(read).map_err(SignalError::Io)?;
        let id = signal_hook::low_level::pipe::register(signal.0, write).map_err(|error| {
            if error.raw_os_error() == Some(libc::EINVAL) {
                SignalError::Unknown(signal)
            } else {
                SignalError::Io(error)
            }
        })?;
        pipes.push(Pipe { signal, id, read });
    }
    Ok(SignalReceiver {
        pipes,
        ready: VecDeque::new(),
        next: 0,
    })
}

/// The highest signal number the system knows.
fn max_signal() -> i32 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        libc::SIGRTMAX()
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // Elsewhere sigaction's EINVAL decides.
        i32::MAX
    }
}
