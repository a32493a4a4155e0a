//! The seeded random-number generator every task uses, and the few distributions they need.
//!
//! All randomness goes through [`ChaCha8Rng`], whose stream is fixed by its algorithm (unlike
//! `rand::rngs::StdRng`, which may change between `rand` releases), so a seed names the same
//! data on every platform and every version of this crate.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator behind every seeded operation in this crate.
pub(crate) type TaskRng = ChaCha8Rng;

/// A generator for `seed`, on an independent stream for each `stream` number, so that (for
/// example) a task's frozen class patterns and its per-sample noise never share draws.
pub(crate) fn rng(seed: u64, stream: u64) -> TaskRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Streams used by the tasks; distinct so that different purposes draw independent numbers.
pub(crate) mod stream {
    /// Sample-level variation (labels, jitter, noise).
    pub const SAMPLES: u64 = 1;
    /// Frozen class prototypes (frozen-noise patterns).
    pub const PATTERNS: u64 = 2;
    /// Dataset splitting.
    pub const SPLIT: u64 = 3;
    /// Batch shuffling.
    pub const BATCHES: u64 = 4;
}

/// Poisson-distributed counts with a fixed mean `lambda` (≥ 0).
///
/// Knuth's multiplication method, exact for any mean; a mean above 30 is drawn as a sum of
/// Poisson(≤ 30) variables (also exact) so `exp(-lambda)` never underflows. Cost grows with
/// `lambda`, which is a few spikes per step at most in this crate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Poisson {
    /// Number of whole chunks of mean 30.
    chunks: u32,
    /// `exp(-30)`.
    limit_chunk: f64,
    /// `exp(-(lambda - 30·chunks))`.
    limit_rest: f64,
}

impl Poisson {
    const CHUNK: f64 = 30.0;

    pub(crate) fn new(lambda: f64) -> Poisson {
        let chunks = (lambda / Self::CHUNK).floor();
        Poisson {
            chunks: chunks as u32,
            limit_chunk: (-Self::CHUNK).exp(),
            limit_rest: (-(lambda - chunks * Self::CHUNK)).exp(),
        }
    }

    pub(crate) fn sample(&self, rng: &mut TaskRng) -> u32 {
        let knuth = |rng: &mut TaskRng, limit: f64| {
            let mut count = 0;
            let mut product: f64 = rng.random();
            while product > limit {
                count += 1;
                product *= rng.random::<f64>();
            }
            count
        };
        let mut total = knuth(rng, self.limit_rest);
        for _ in 0..self.chunks {
            total += knuth(rng, self.limit_chunk);
        }
        total
    }
}

/// Adds white Gaussian noise of standard deviation `std` to `signal`, with Marsaglia's polar
/// method (both numbers of each pair are used; no trigonometry).
pub(crate) fn add_normal_noise(rng: &mut TaskRng, signal: &mut [f64], std: f64) {
    for pair in signal.chunks_mut(2) {
        let (u, v, s) = loop {
            let u = 2.0 * rng.random::<f64>() - 1.0;
            let v = 2.0 * rng.random::<f64>() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                break (u, v, s);
            }
        };
        let factor = std * (-2.0 * s.ln() / s).sqrt();
        pair[0] += factor * u;
        if let Some(second) = pair.get_mut(1) {
            *second += factor * v;
        }
    }
}

/// Labels for `n` samples over `k` classes, balanced (class counts differ by at most one)
/// and in random order.
pub(crate) fn balanced_labels(rng: &mut TaskRng, n: usize, k: usize) -> Vec<usize> {
    use rand::seq::SliceRandom;
    let mut labels: Vec<usize> = (0..n).map(|i| i % k).collect();
    labels.shuffle(rng);
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_mean_and_variance_match_lambda() {
        for &lambda in &[0.02, 0.5, 3.0, 30.0, 45.0, 75.0] {
            let mut r = rng(7, 0);
            let n = 40_000;
            let p = Poisson::new(lambda);
            let draws: Vec<f64> = (0..n).map(|_| f64::from(p.sample(&mut r))).collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
            // Standard error of the mean is sqrt(lambda / n); allow 5 of them.
            let tol = 5.0 * (lambda / n as f64).sqrt();
            assert!((mean - lambda).abs() < tol, "lambda {lambda}: mean {mean}");
            assert!(
                (var - lambda).abs() < 0.1 * lambda + tol,
                "lambda {lambda}: var {var}"
            );
        }
    }

    #[test]
    fn normal_has_zero_mean_unit_variance() {
        let mut r = rng(3, 0);
        let n = 40_000;
        let mut draws = vec![0.0; n];
        add_normal_noise(&mut r, &mut draws, 1.0);
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.03, "var {var}");
    }

    #[test]
    fn streams_are_independent_and_reproducible() {
        let a: u64 = rng(1, 1).random();
        let b: u64 = rng(1, 2).random();
        let a2: u64 = rng(1, 1).random();
        assert_eq!(a, a2);
        assert_ne!(a, b);
    }
}
