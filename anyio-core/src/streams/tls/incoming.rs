//! Ciphertext on its way from the transport into rustls.
//!
//! rustls holds at most 16 KiB of decrypted plaintext and refuses more ciphertext while it
//! holds more ("received plaintext buffer full"). A read from the transport can hold several
//! records, and a record completed by the bytes left over from the previous read decrypts to
//! up to 16 KiB on its own, so handing rustls a whole read at once overflows it whenever the
//! records fall unluckily. Ciphertext is therefore kept here and handed over only while
//! rustls holds no plaintext: rustls's own blocking `Stream` reads under the same rule.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rustls::Connection;

use super::TlsError;
use crate::streams::StreamError;

/// Ciphertext read from the transport at a time: one full TLS record.
const READ_CHUNK: usize = 16 * 1024;

/// Ciphertext read from the transport that rustls has not taken yet, in `buf[start..end]`.
#[derive(Debug, Default)]
pub(super) struct Incoming {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Incoming {
    /// Whether all ciphertext read so far went to rustls, so the transport must be read.
    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The space for the next read from the transport; call only when empty.
    pub(super) fn spare(&mut self) -> &mut [u8] {
        debug_assert!(self.is_empty(), "unfed ciphertext would be overwritten");
        (self.start, self.end) = (0, 0);
        self.buf.resize(READ_CHUNK, 0);
        &mut self.buf
    }

    /// Records that the last read put `n` bytes into [`spare`](Self::spare).
    pub(super) fn filled(&mut self, n: usize) {
        self.end = n;
    }

    /// Hands rustls the kept ciphertext until it yields plaintext or takes all of it; call
    /// only while rustls holds no plaintext.
    pub(super) fn feed(
        &mut self,
        session: &mut Connection,
        handshaking: bool,
    ) -> Result<(), StreamError> {
        let mut data = &self.buf[self.start..self.end];
        let before = data.len();
        let fed = feed(session, &mut data, handshaking);
        self.start += before - data.len();
        fed
    }
}

/// Reports the transport's end to rustls, which decides whether that was clean.
pub(super) fn feed_end(session: &mut Connection, handshaking: bool) -> Result<(), StreamError> {
    feed(session, &mut &[][..], handshaking)
}

/// Feeds `data` to rustls, processing each part it takes, until the processing yields
/// plaintext or `data` is used up. rustls reads at most one buffer's worth (about one
/// record) at a time, so starting with no plaintext held, what one step decrypts always
/// fits. Empty `data` reports the transport's end.
fn feed(session: &mut Connection, data: &mut &[u8], handshaking: bool) -> Result<(), StreamError> {
    let to_stream_error = |error| {
        StreamError::from(if handshaking {
            TlsError::handshake(error)
        } else {
            TlsError::session(error)
        })
    };
    loop {
        let taken = session.read_tls(data)?;
        let state = session.process_new_packets().map_err(to_stream_error)?;
        if taken == 0 {
            // The transport's end, or a close_notify after which rustls takes nothing more:
            // what follows it is ignored.
            *data = &[];
            return Ok(());
        }
        if data.is_empty() || state.plaintext_bytes_to_read() > 0 {
            return Ok(());
        }
    }
}

/// The stream's [`Incoming`], lent to the one receive (or the handshake) running.
#[derive(Debug, Default)]
pub(super) struct IncomingSlot(Mutex<Incoming>);

impl IncomingSlot {
    /// Takes the kept ciphertext until the returned guard is dropped, also by cancellation,
    /// so a cancelled receive leaves it for the next one.
    pub(super) fn take(&self) -> TakenIncoming<'_> {
        let incoming = std::mem::take(&mut *self.lock());
        TakenIncoming {
            slot: self,
            incoming,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Incoming> {
        // Only moved in and out whole, so never left half-done by a panic.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Gives the ciphertext back to its [`IncomingSlot`] when dropped.
#[derive(Debug)]
pub(super) struct TakenIncoming<'a> {
    slot: &'a IncomingSlot,
    incoming: Incoming,
}

impl std::ops::Deref for TakenIncoming<'_> {
    type Target = Incoming;

    fn deref(&self) -> &Incoming {
        &self.incoming
    }
}

impl std::ops::DerefMut for TakenIncoming<'_> {
    fn deref_mut(&mut self) -> &mut Incoming {
        &mut self.incoming
    }
}

impl Drop for TakenIncoming<'_> {
    fn drop(&mut self) {
        *self.slot.lock() = std::mem::take(&mut self.incoming);
    }
}
