//! Ciphertext on its way from the transport into rustls.
//!
//! rustls holds at most 16 KiB of decrypted plaintext and refuses more ciphertext while it
//! holds more ("received plaintext buffer full"). A read from the transport can hold several
//! records, and a record completed by the bytes left over from the previous read decrypts to
//! up to 16 KiB on its own, so handing rustls a whole read at once overflows it whenever the
//! records fall unluckily. Ciphertext is therefore kept here and handed over only while
//! rustls holds no plaintext (rustls's own blocking `Stream` reads under the same rule), and
//! never past the end of the record being fed: after the peer's `close_notify`, what follows
//! it is still here, for [`unwrap`](super::TlsStream::unwrap) to hand back.

use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use rustls::Connection;

use super::TlsError;
use crate::streams::StreamError;

/// Ciphertext read from the transport at a time: one full TLS record.
const READ_CHUNK: usize = 16 * 1024;

/// A TLS record header: content type, version, and the length of what follows (big endian).
const HEADER_LEN: usize = 5;

/// Ciphertext read from the transport that rustls has not taken yet, in `buf[start..end]`.
#[derive(Debug, Default)]
pub(super) struct Incoming {
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// What rustls has yet to take of the record that starts at or before `start`; 0 at a
    /// record boundary.
    record_left: usize,
}

impl Incoming {
    /// How many of the kept bytes rustls may take now: up to the end of the current record,
    /// none when only part of the next record's header is here.
    fn feedable(&mut self) -> usize {
        let kept = &self.buf[self.start..self.end];
        if self.record_left == 0 {
            let Some(header) = kept.get(..HEADER_LEN) else {
                return 0;
            };
            self.record_left = HEADER_LEN + usize::from(u16::from_be_bytes([header[3], header[4]]));
        }
        self.record_left.min(kept.len())
    }

    /// Whether rustls can take nothing more until the transport is read.
    pub(super) fn needs_read(&mut self) -> bool {
        self.feedable() == 0
    }

    /// The space for the next read from the transport, after the part of a record header
    /// that may be kept; call only when [`needs_read`](Self::needs_read).
    pub(super) fn spare(&mut self) -> &mut [u8] {
        debug_assert!(
            self.needs_read(),
            "ciphertext rustls could take would be moved"
        );
        self.buf.copy_within(self.start..self.end, 0);
        (self.start, self.end) = (0, self.end - self.start);
        self.buf.resize(self.end + READ_CHUNK, 0);
        &mut self.buf[self.end..]
    }

    /// Records that the last read put `n` bytes into [`spare`](Self::spare).
    pub(super) fn filled(&mut self, n: usize) {
        self.end += n;
    }

    /// The bytes rustls did not take: after the peer's `close_notify`, whatever the peer sent
    /// past the TLS session.
    pub(super) fn take_rest(&mut self) -> Bytes {
        let rest = Bytes::copy_from_slice(&self.buf[self.start..self.end]);
        (self.start, self.end, self.record_left) = (0, 0, 0);
        rest
    }

    /// Hands rustls the kept ciphertext, processing each part it takes, until that yields
    /// plaintext or the peer's `close_notify`, or nothing more can be taken; returns whether
    /// `close_notify` has come. rustls reads at most one buffer's worth (about one record) at
    /// a time, so starting with no plaintext held, what one step decrypts always fits; call
    /// only while rustls holds no plaintext.
    pub(super) fn feed(
        &mut self,
        session: &mut Connection,
        handshaking: bool,
    ) -> Result<bool, StreamError> {
        loop {
            let n = self.feedable();
            if n == 0 {
                return Ok(false);
            }
            let taken = session.read_tls(&mut &self.buf[self.start..self.start + n])?;
            let state = session
                .process_new_packets()
                .map_err(|error| rustls_error(error, handshaking))?;
            self.start += taken;
            self.record_left -= taken;
            // rustls takes nothing after close_notify.
            if taken == 0 || state.peer_has_closed() {
                return Ok(true);
            }
            if state.plaintext_bytes_to_read() > 0 {
                return Ok(false);
            }
        }
    }
}

/// Reports the transport's end to rustls, which decides whether that was clean.
pub(super) fn feed_end(session: &mut Connection, handshaking: bool) -> Result<(), StreamError> {
    session.read_tls(&mut &[][..])?;
    session
        .process_new_packets()
        .map(drop)
        .map_err(|error| rustls_error(error, handshaking))
}

fn rustls_error(error: rustls::Error, handshaking: bool) -> StreamError {
    StreamError::from(if handshaking {
        TlsError::handshake(error)
    } else {
        TlsError::session(error)
    })
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
