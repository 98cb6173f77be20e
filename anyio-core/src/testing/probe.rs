//! The steps the property checks are made of: bounded waits, operations in a cancelled scope,
//! receives that verify what arrives, and the words that describe what a stream did.

use std::fmt;
use std::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::pin::pin;
use std::time::Duration;

use bytes::Bytes;

use crate::backend::Runtime;
use crate::cancel::{fail_after, CancelScope};
use crate::streams::{AsyncClose, ByteReceiveStream, StreamError};
use crate::sync::Event;

/// A failed step: what the stream did instead of what the property requires.
pub(super) type Step<T = ()> = Result<T, String>;

/// What every step of a check needs: the runtime that serves the time limits, and the limit.
pub(super) struct Ctx<R> {
    timeout: Duration,
    _runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for Ctx<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Ctx<R> {}

impl<R: Runtime> Ctx<R> {
    pub(super) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            _runtime: PhantomData,
        }
    }

    pub(super) fn timeout(self) -> Duration {
        self.timeout
    }

    /// `future`'s output, or `None` if it did not complete within the limit.
    pub(super) async fn limit<F: Future>(self, future: F) -> Option<F::Output> {
        fail_after::<_, R>(self.timeout, future).await.ok()
    }

    /// `future`'s output, or a failure saying that `what` did not complete in time.
    pub(super) async fn within<F: Future>(
        self,
        what: impl fmt::Display + Send,
        future: F,
    ) -> Step<F::Output> {
        self.limit(future)
            .await
            .ok_or_else(|| format!("{what} did not complete within {:?}", self.timeout))
    }

    /// Runs `future` in a scope cancelled before it starts: `None` when the cancellation was
    /// delivered, `Some(output)` when the future completed anyway (it is no checkpoint).
    pub(super) async fn cancelled<F: Future>(self, future: F) -> Option<F::Output> {
        let scope = CancelScope::<R>::new();
        scope.cancel();
        scope.run(future).await
    }

    /// Closes `stream` in a cancelled scope, Trio's `aclose_forcefully`.
    pub(super) async fn close_forcefully(self, stream: &impl AsyncClose) {
        self.cancelled(stream.close()).await;
    }

    /// Receives until exactly `expected` has arrived, in chunks of at most `max_bytes`.
    pub(super) async fn expect_bytes(
        self,
        stream: &impl ByteReceiveStream,
        expected: &[u8],
        max_bytes: usize,
    ) -> Step {
        let what = format!("receiving {}", show(expected));
        let got = self
            .within(&what, receive_exactly(stream, expected.len(), max_bytes))
            .await??;
        if got != expected {
            return Err(format!(
                "received {} instead of {}",
                show(&got),
                show(expected)
            ));
        }
        Ok(())
    }
}

/// Receives exactly `len` bytes in chunks of at most `max_bytes`, checking every chunk's size.
pub(super) async fn receive_exactly(
    stream: &impl ByteReceiveStream,
    len: usize,
    max_bytes: usize,
) -> Step<Vec<u8>> {
    let mut got = Vec::with_capacity(len);
    while got.len() < len {
        let want = max_bytes.min(len - got.len());
        let chunk = stream.receive(want).await.map_err(|error| {
            format!(
                "a receive failed with {error:?} after {} of {len} bytes had arrived",
                got.len()
            )
        })?;
        check_chunk(&chunk, want)?;
        got.extend_from_slice(&chunk);
    }
    Ok(got)
}

/// A received chunk is never empty and never larger than asked for.
pub(super) fn check_chunk(chunk: &[u8], max_bytes: usize) -> Step {
    if chunk.is_empty() {
        return Err(
            "a receive returned an empty chunk; the end of the stream is EndOfStream".into(),
        );
    }
    if chunk.len() > max_bytes {
        return Err(format!(
            "a receive of at most {max_bytes} bytes returned {} bytes",
            chunk.len()
        ));
    }
    Ok(())
}

/// Polls `future`, setting `polled` after each poll: the other side learns that the
/// operation has started (and is waiting, unless it completed).
pub(super) async fn signal_polled<F: Future>(future: F, polled: &Event) -> F::Output {
    let mut future = pin!(future);
    poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        polled.set();
        poll
    })
    .await
}

/// Bytes as an escaped literal, shortened when long.
pub(super) fn show(bytes: &[u8]) -> String {
    const SHOWN: usize = 24;
    if bytes.len() <= SHOWN {
        return format!("{:?}", Bytes::copy_from_slice(bytes));
    }
    format!(
        "{:?}... ({} bytes)",
        Bytes::copy_from_slice(&bytes[..SHOWN]),
        bytes.len()
    )
}

/// An operation's outcome, with the bytes shown as [`show`] does.
pub(super) fn outcome<T: AsRef<[u8]>>(result: &Result<T, StreamError>) -> String {
    match result {
        Ok(bytes) => format!("Ok({})", show(bytes.as_ref())),
        Err(error) => format!("Err({error:?})"),
    }
}

/// Requires `result` to be the error `expected` names; `what` says which operation it was.
pub(super) fn expect_error<T: fmt::Debug>(
    result: Result<T, StreamError>,
    expected: fn(&StreamError) -> bool,
    expected_name: &str,
    what: &str,
) -> Step {
    match result {
        Err(error) if expected(&error) => Ok(()),
        other => Err(format!(
            "{what} returned {other:?} instead of failing with {expected_name}"
        )),
    }
}

/// `Closed`, for [`expect_error`].
pub(super) fn closed(error: &StreamError) -> bool {
    error.is_closed()
}

/// `Broken`, for [`expect_error`].
pub(super) fn broken(error: &StreamError) -> bool {
    error.is_broken()
}

/// `Busy`, for [`expect_error`].
pub(super) fn busy(error: &StreamError) -> bool {
    error.is_busy()
}

/// `EndOfStream`, for [`expect_error`].
pub(super) fn end_of_stream(error: &StreamError) -> bool {
    error.is_end_of_stream()
}

/// `InvalidArgument`, for [`expect_error`].
pub(super) fn invalid_argument(error: &StreamError) -> bool {
    matches!(error, StreamError::InvalidArgument(_))
}
