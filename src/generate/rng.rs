//! A tiny seedable random generator (SplitMix64), written here rather than
//! taken from a crate so that a seed gives the same month forever: no crate
//! upgrade can change a distribution. Only integer arithmetic and f64
//! comparisons are used downstream (no `ln`, `exp`, `cos`), so the output is
//! the same on every machine.

/// The SplitMix64 finaliser: a bijective 64-bit mix.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Streams: one generator per (seed, purpose, seeker), so that a seeker's
/// records do not depend on the chunking, the thread count or on `--bad-rate`.
pub(crate) const STREAM_DATA: u64 = 0x6461_7461; // "data"
pub(crate) const STREAM_BAD: u64 = 0x0062_6164; // "bad"

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64, index: u64) -> Rng {
        let s = mix64(mix64(seed ^ mix64(stream)).wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        Rng(s)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (n > 0); the bias of the multiply-shift is below 2^-40 here.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (empty ranges give `lo`).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// Uniform in parts per million, `0..1_000_000`.
    pub(crate) fn ppm(&mut self) -> i64 {
        self.below(1_000_000) as i64
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_spread() {
        let mut a = Rng::new(7, STREAM_DATA, 3);
        let mut b = Rng::new(7, STREAM_DATA, 3);
        let mut c = Rng::new(7, STREAM_DATA, 4);
        let xa: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..5).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        let mut r = Rng::new(1, STREAM_BAD, 0);
        let mut hist = [0u32; 10];
        for _ in 0..100_000 {
            hist[r.below(10) as usize] += 1;
        }
        assert!(hist.iter().all(|&h| (9_000..11_000).contains(&h)), "{hist:?}");
        for _ in 0..1000 {
            let v = r.range(3, 5);
            assert!((3..=5).contains(&v));
        }
    }
}
