//! Unix signals as a stream on the backend in use; see [`anyio_core::signal`].
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

pub use anyio_core::signal::{
    Signal, SignalError, SIGALRM, SIGCHLD, SIGCONT, SIGHUP, SIGINT, SIGPIPE, SIGQUIT, SIGTERM,
    SIGTSTP, SIGUSR1, SIGUSR2, SIGWINCH,
};

use crate::AnyRuntime;

/// A stream of received signals on the backend in use; see
/// [`anyio_core::signal::SignalReceiver`].
pub type SignalReceiver = anyio_core::signal::SignalReceiver<AnyRuntime>;

/// Starts receiving `signals` as a stream; see [`anyio_core::signal::open_signal_receiver`].
///
/// # Examples
///
/// ```
/// use anyio::signal::{open_signal_receiver, SignalError};
///
/// # anyio::run(async {
/// assert!(matches!(open_signal_receiver(&[]), Err(SignalError::NoSignals)));
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// [`SignalError`]: an empty list, a signal that cannot be caught, an unknown number, or
/// outside a runtime.
pub fn open_signal_receiver(signals: &[Signal]) -> Result<SignalReceiver, SignalError> {
    anyio_core::signal::open_signal_receiver::<AnyRuntime>(signals)
}
