//! A small seeded generator: the same seed gives the same test data and chunk sizes on every
//! run and platform, so a failed transfer can be replayed.

/// SplitMix64: tiny, fast, and good enough for test data (not for anything secret).
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `1..=max`.
    pub(super) fn size(&mut self, max: usize) -> usize {
        1 + (self.next_u64() % max as u64) as usize
    }

    /// `len` random bytes.
    pub(super) fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence_and_sizes_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        assert_eq!(a.bytes(100), b.bytes(100));
        assert_ne!(Rng::new(1).bytes(16), Rng::new(2).bytes(16));
        assert!((0..1000).map(|_| a.size(5)).all(|n| (1..=5).contains(&n)));
        assert_eq!(a.bytes(3).len(), 3);
    }
}
