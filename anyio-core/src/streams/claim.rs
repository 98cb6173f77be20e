//! One task per direction for the stream wrappers that keep state between calls.

use std::sync::atomic::{AtomicBool, Ordering};

use super::StreamError;

/// Whether a task is using one direction of a wrapper. A wrapper keeps bytes across calls
/// (a receive buffer, an incomplete UTF-8 character), so two interleaved calls could tear a
/// frame apart: the second one fails with [`StreamError::Busy`] instead.
#[derive(Debug, Default)]
pub(crate) struct Direction(AtomicBool);

impl Direction {
    /// Takes the direction until the returned claim is dropped, also by cancellation.
    pub(crate) fn claim(&self) -> Result<Claim<'_>, StreamError> {
        if self.0.swap(true, Ordering::Acquire) {
            return Err(StreamError::Busy);
        }
        Ok(Claim(&self.0))
    }
}

/// Releases the direction when the operation holding it ends.
#[derive(Debug)]
pub(crate) struct Claim<'a>(&'a AtomicBool);

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
