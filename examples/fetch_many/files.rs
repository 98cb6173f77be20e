//! The files the server offers: deterministic contents, so the client can check them.

/// How many files there are: `/file/0` to `/file/19`.
pub(crate) const COUNT: usize = 20;

/// From 1 byte to about 360 KiB, so some responses fit one segment and some need many.
pub(crate) fn size(index: usize) -> usize {
    index * index * 997 + 13 * index + 1
}

pub(crate) fn contents(index: usize) -> Vec<u8> {
    (0..size(index))
        .map(|j| ((j * 31 + index * 7) % 251) as u8)
        .collect()
}

/// 64-bit FNV-1a: enough to tell a corrupted or reordered body from the right one.
pub(crate) fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The index in a `/file/N` path, if it names one of the files.
pub(crate) fn index_of(path: &str) -> Option<usize> {
    let digits = path.strip_prefix("/file/")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&index| index < COUNT)
}
