//! Host-side random numbers for initialisation, one generator per thread.
//!
//! Weight initialisers draw here (not from the backend's global generator), so that
//! [`crate::device::seed`] makes a thread's initialisation reproducible even while other
//! threads draw random numbers too. Unseeded threads start from operating-system entropy,
//! like Rockpool's unseeded numpy generator.

use std::cell::RefCell;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

thread_local! {
    static RNG: RefCell<ChaCha8Rng> = RefCell::new(ChaCha8Rng::from_os_rng());
}

/// Seeds this thread's generator.
pub fn seed(seed: u64) {
    RNG.with(|r| *r.borrow_mut() = ChaCha8Rng::seed_from_u64(seed));
}

/// `n` values uniform in `[lo, hi)`.
pub fn uniform(n: usize, lo: f64, hi: f64) -> Vec<f32> {
    RNG.with(|r| {
        let mut r = r.borrow_mut();
        (0..n)
            .map(|_| (lo + (hi - lo) * r.random::<f64>()) as f32)
            .collect()
    })
}

/// `n` values from a normal distribution (Box–Muller).
pub fn normal(n: usize, mean: f64, std: f64) -> Vec<f32> {
    RNG.with(|r| {
        let mut r = r.borrow_mut();
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            // 1 − u keeps the logarithm finite.
            let u1 = 1.0 - r.random::<f64>();
            let u2 = r.random::<f64>();
            let radius = (-2.0 * u1.ln()).sqrt();
            let angle = std::f64::consts::TAU * u2;
            out.push((mean + std * radius * angle.cos()) as f32);
            if out.len() < n {
                out.push((mean + std * radius * angle.sin()) as f32);
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_streams_repeat_and_have_the_right_moments() {
        seed(11);
        let a = normal(20_000, 1.0, 2.0);
        seed(11);
        let b = normal(20_000, 1.0, 2.0);
        assert_eq!(a, b);
        let mean = a.iter().map(|&x| f64::from(x)).sum::<f64>() / a.len() as f64;
        let var = a
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / a.len() as f64;
        assert!((mean - 1.0).abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - 2.0).abs() < 0.05, "std {}", var.sqrt());
        let u = uniform(10_000, -3.0, 3.0);
        assert!(u.iter().all(|&x| (-3.0..3.0).contains(&x)));
    }
}
