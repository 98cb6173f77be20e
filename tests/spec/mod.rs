//! Helpers for the tests translated from AnyIO's and Trio's own test suites.

#![allow(dead_code, unreachable_pub)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// The error type of the translated tests: the exceptions the Python tests raise, plus what
/// anyio's own errors turn into when `?` carries them out of a task group's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// An exception with a message, as Python's `raise Exception("foo")`.
    Boom(&'static str),
    /// A `fail_after` / `fail_at` deadline (Python's `TimeoutError`).
    Timeout,
    /// The failures of a nested task group (a nested exception group).
    Nested(Vec<Error>),
    /// Any other anyio error, by its message.
    Anyio(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Boom(what) => f.write_str(what),
            Self::Timeout => f.write_str("timeout"),
            Self::Nested(errors) => write!(f, "nested group failed: {errors:?}"),
            Self::Anyio(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl From<anyio::SpawnError> for Error {
    fn from(e: anyio::SpawnError) -> Self {
        Self::Anyio(e.to_string())
    }
}

impl From<anyio::JoinError> for Error {
    fn from(e: anyio::JoinError) -> Self {
        Self::Anyio(e.to_string())
    }
}

impl From<anyio::TimeoutError> for Error {
    fn from(_: anyio::TimeoutError) -> Self {
        Self::Timeout
    }
}

impl From<anyio::StartError<Error>> for Error {
    fn from(e: anyio::StartError<Error>) -> Self {
        match e {
            anyio::StartError::Failed(inner) => inner,
            other => Self::Anyio(other.to_string()),
        }
    }
}

impl From<anyio::TaskGroupError<Error>> for Error {
    fn from(e: anyio::TaskGroupError<Error>) -> Self {
        if e.is_cancelled() {
            return Self::Anyio(e.to_string());
        }
        Self::Nested(e.into_errors())
    }
}

/// Runs a closure when dropped: Python's `finally:` for a future that is dropped by a
/// cancellation. [`disarm`](Self::disarm) it on the path that completed normally.
pub struct Defer<F: FnOnce()>(Option<F>);

/// A guard that runs `f` when dropped.
pub fn defer<F: FnOnce()>(f: F) -> Defer<F> {
    Defer(Some(f))
}

impl<F: FnOnce()> Defer<F> {
    /// Drops the guard without running its closure.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl<F: FnOnce()> Drop for Defer<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

impl<F: FnOnce()> fmt::Debug for Defer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Defer")
            .field("armed", &self.0.is_some())
            .finish()
    }
}

/// Busy-waits, without yielding, until `condition` holds; panics after 10 seconds.
///
/// AnyIO's tests rely on a single-threaded event loop: a child spawned by the host cannot run
/// before the host next yields. On a multi-threaded runtime it can, so where a test needs
/// "the host has done X before the child's first step", the child spins on X first. Spinning
/// (not awaiting) keeps the child's first checkpoint where the original test has it. It
/// cannot deadlock: the host does not wait for the child before doing X.
pub fn spin_until(mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "spin_until: the condition never became true"
        );
        std::hint::spin_loop();
        std::thread::yield_now();
    }
}

/// Counts how many times the wrapped future is polled: a busy loop (a future woken over and
/// over while it waits) shows as a large count.
#[derive(Debug)]
pub struct PollCount<F> {
    inner: Pin<Box<F>>,
    polls: Arc<AtomicUsize>,
}

impl<F: Future> PollCount<F> {
    /// Wraps `inner`; `polls` is incremented on every poll.
    pub fn new(inner: F, polls: Arc<AtomicUsize>) -> Self {
        Self {
            inner: Box::pin(inner),
            polls,
        }
    }
}

impl<F: Future> Future for PollCount<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.inner.as_mut().poll(cx)
    }
}

/// Whether `errors` holds exactly the errors in `expected`, in any order (Python's tests
/// sort exception messages; the order in which children fail is a race).
pub fn same_errors(errors: &[Error], expected: &[Error]) -> bool {
    errors.len() == expected.len() && expected.iter().all(|e| errors.contains(e))
}
