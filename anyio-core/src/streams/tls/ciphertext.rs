//! Ciphertext read from the transport and not yet taken by rustls.
//!
//! rustls refuses more ciphertext while it holds undelivered plaintext beyond its limit
//! (16 KiB by default: "received plaintext buffer full"). One read from the transport can
//! complete a record that was partly buffered before and hold most of the next, so handing
//! rustls a whole read at once can exceed that limit under two-way traffic with arbitrary
//! chunking. So a read's bytes are fed only while rustls has no plaintext waiting; the rest
//! stays here, in order, for the receive that comes after the plaintext is taken.

use std::sync::Mutex;

use rustls::Connection;

use super::TlsError;
use crate::streams::StreamError;
use crate::wait::Acquire;

/// Read from the transport at a time: one full TLS record.
pub(super) const READ_CHUNK: usize = 16 * 1024;

/// The receive buffer and the part of it rustls has not taken yet.
#[derive(Debug, Default)]
pub(super) struct Ciphertext {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Ciphertext {
    /// Whether bytes read from the transport still wait for rustls.
    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Feeds rustls the waiting bytes until they run out or it has plaintext to deliver;
    /// `true` if it was given any. The error of a record rustls rejects, with the alert it
    /// queued for the peer.
    pub(super) fn feed(
        &mut self,
        session: &mut Connection,
        handshaking: bool,
    ) -> Result<bool, StreamError> {
        let mut fed = false;
        loop {
            let state = session
                .process_new_packets()
                .map_err(|error| tls_error(error, handshaking))?;
            if self.is_empty() || state.plaintext_bytes_to_read() > 0 {
                return Ok(fed);
            }
            let mut data = &self.buf[self.start..self.end];
            let taken = session.read_tls(&mut data)?;
            if taken == 0 {
                // After close_notify rustls takes nothing more; what follows is ignored.
                self.start = self.end;
                return Ok(fed);
            }
            self.start += taken;
            fed = true;
        }
    }
}

/// Tells rustls that the transport ended.
pub(super) fn feed_end(session: &mut Connection, handshaking: bool) -> Result<(), StreamError> {
    session.read_tls(&mut &[][..])?;
    session
        .process_new_packets()
        .map(drop)
        .map_err(|error| tls_error(error, handshaking))
}

fn tls_error(error: rustls::Error, handshaking: bool) -> StreamError {
    StreamError::from(if handshaking {
        TlsError::handshake(error)
    } else {
        TlsError::session(error)
    })
}

/// The receive buffer, taken out of the stream while a transport read runs into it and put
/// back when the read ends or is cancelled, with what it read marked as waiting.
pub(super) struct ReadBuf<'a> {
    slot: &'a Mutex<Ciphertext>,
    buf: Vec<u8>,
    read: usize,
}

impl<'a> ReadBuf<'a> {
    /// Takes the buffer; the caller checked that nothing waits in it.
    pub(super) fn take(slot: &'a Mutex<Ciphertext>) -> Self {
        let mut buf = std::mem::take(&mut slot.acquire().buf);
        buf.resize(READ_CHUNK, 0);
        Self { slot, buf, read: 0 }
    }

    pub(super) fn buf(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    /// Marks the first `n` bytes as read, waiting for rustls.
    pub(super) fn filled(mut self, n: usize) {
        self.read = n;
    }
}

impl Drop for ReadBuf<'_> {
    fn drop(&mut self) {
        let mut slot = self.slot.acquire();
        slot.buf = std::mem::take(&mut self.buf);
        slot.start = 0;
        slot.end = self.read;
    }
}
