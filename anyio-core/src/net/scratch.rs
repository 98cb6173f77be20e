//! Where receives that return fresh [`Bytes`] read: a buffer per thread, so that a receive
//! costs memory only for what arrived.
//!
//! A receive that waits holds no buffer at all, and one that completes allocates exactly what
//! it read: 10,000 idle connections each waiting in `receive(65536)` cost nothing for their
//! buffers, and a short message does not pin 64 KiB. The price is one copy of the bytes
//! read, out of the scratch buffer, which stays hot in the cache; it is measured in
//! `docs/benchmarks.md` (`tcp_bulk_256mib_receive_bytes`, `c10k_idle_rss`).
//!
//! Every thread that receives keeps one [`SCRATCH_SIZE`] buffer, allocated on its first
//! receive. A read is one system call with no await inside, so nothing else on the thread
//! can use the buffer meanwhile.

use std::cell::RefCell;
use std::io;

use bytes::Bytes;

/// The scratch buffer's size: the largest receive it serves, and more than any UDP payload.
pub(crate) const SCRATCH_SIZE: usize = 65_536;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `read` on a buffer of `max_bytes` (at least 1) and returns the `n` bytes it reports
/// as read, copied into a [`Bytes`] of exactly that length, with `read`'s other result.
///
/// Up to [`SCRATCH_SIZE`] bytes, `read` gets the thread's scratch buffer; a larger receive
/// gets a buffer of its own, handed over as is when the read filled at least half of it.
pub(crate) fn read_to_bytes<E>(
    max_bytes: usize,
    read: impl FnOnce(&mut [u8]) -> io::Result<(usize, E)>,
) -> io::Result<(Bytes, E)> {
    let mut read = Some(read);
    if max_bytes <= SCRATCH_SIZE {
        let scratched = SCRATCH.try_with(|scratch| {
            // Borrowed only if a `read` received on this thread itself, which none does.
            let mut buffer = scratch.try_borrow_mut().ok()?;
            if buffer.is_empty() {
                buffer.resize(SCRATCH_SIZE, 0);
            }
            let buffer = &mut buffer[..max_bytes];
            let read = read.take()?;
            Some(read(buffer).map(|(n, extra)| (Bytes::copy_from_slice(&buffer[..n]), extra)))
        });
        if let Ok(Some(result)) = scratched {
            return result;
        }
        // Thread teardown (or a borrowed buffer): a buffer of its own, as for large reads.
    }
    let Some(read) = read else {
        unreachable!("`read` is taken only by a call that returned its result above")
    };
    read_into_own_buffer(max_bytes, read)
}

/// Reads into a buffer of `max_bytes` allocated for this read, and hands it over when the
/// read filled at least half of it (a copy otherwise, so no more than half is ever idle).
fn read_into_own_buffer<E>(
    max_bytes: usize,
    read: impl FnOnce(&mut [u8]) -> io::Result<(usize, E)>,
) -> io::Result<(Bytes, E)> {
    let mut buffer = vec![0; max_bytes];
    let (n, extra) = read(&mut buffer)?;
    if n < max_bytes / 2 {
        return Ok((Bytes::copy_from_slice(&buffer[..n]), extra));
    }
    buffer.truncate(n);
    Ok((Bytes::from(buffer), extra))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read that fills the first `n` bytes of its buffer with their index.
    fn filling(n: usize) -> impl FnOnce(&mut [u8]) -> io::Result<(usize, usize)> {
        move |buffer| {
            for (i, byte) in buffer[..n].iter_mut().enumerate() {
                *byte = i as u8;
            }
            Ok((n, buffer.len()))
        }
    }

    fn expected(n: usize) -> Vec<u8> {
        (0..n).map(|i| i as u8).collect()
    }

    #[test]
    fn a_small_receive_sees_only_max_bytes_and_gets_what_was_read() {
        let (bytes, offered) = read_to_bytes(100, filling(7)).unwrap();
        assert_eq!(offered, 100);
        assert_eq!(bytes, expected(7));
        let (bytes, offered) = read_to_bytes(SCRATCH_SIZE, filling(SCRATCH_SIZE)).unwrap();
        assert_eq!(offered, SCRATCH_SIZE);
        assert_eq!(bytes, expected(SCRATCH_SIZE));
    }

    #[test]
    fn a_large_receive_reads_into_its_own_buffer() {
        let max = 4 * SCRATCH_SIZE;
        for n in [0, 1, max / 2 - 1, max / 2, max] {
            let (bytes, offered) = read_to_bytes(max, filling(n)).unwrap();
            assert_eq!(offered, max);
            assert_eq!(bytes, expected(n), "n = {n}");
        }
    }

    #[test]
    fn an_error_is_returned_and_the_buffer_is_reusable() {
        let error = read_to_bytes(64, |_| -> io::Result<(usize, ())> {
            Err(io::ErrorKind::WouldBlock.into())
        })
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(read_to_bytes(64, filling(3)).unwrap().0, expected(3));
    }

    #[test]
    fn a_receive_inside_a_receive_gets_a_buffer_of_its_own() {
        let (outer, inner) = read_to_bytes(8, |buffer| {
            buffer[0] = 1;
            let (inner, _) = read_to_bytes(8, filling(2))?;
            Ok((1, inner))
        })
        .unwrap();
        assert_eq!(outer, vec![1]);
        assert_eq!(inner, expected(2));
    }
}
