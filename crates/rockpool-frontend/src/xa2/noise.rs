//! Band-limited `1/f` noise of the XyloAudio 2 analog model, drawn from our own RNG with the
//! distribution of Rockpool's `AFESim._generateNoise`.
//!
//! Rockpool draws white noise `w ~ N(0, σ²)` of length `n` with `σ = VRMS_SQHZ·sqrt(fs/2)`, takes
//! its real FFT, multiplies frequency bin `k` (at `f_k = k·fs/n`, both its real and imaginary
//! part) by `d_k = (f_knee / f_k)^α` where `f_k < f_knee` (1 elsewhere, and 1 at DC) and
//! transforms back. That is a Gaussian vector with circulant covariance. We draw the same
//! distribution two vectors at a time: a circular complex white spectrum `Z_k` (real and
//! imaginary parts i.i.d. `N(0, n·σ²)`, which is the DFT of `w₁ + i·w₂`), shaped by the same real,
//! symmetric `d_k`, inverse-transformed; the real and imaginary parts are two independent noise
//! vectors. The FFT is radix-2 for powers of two and Bluestein's chirp-z otherwise (any `n`).

use std::f64::consts::PI;

use rand::Rng;
use rand_distr::StandardNormal;

/// A complex number as `(re, im)`.
type Cx = (f64, f64);

fn cmul(a: Cx, b: Cx) -> Cx {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

/// An in-place radix-2 FFT of a power-of-two length (forward, unnormalised).
#[derive(Debug, Clone)]
struct Radix2 {
    n: usize,
    /// The twiddles of every stage, contiguous: stage `len` holds `exp(−2πik/len)`,
    /// `k < len/2`, from offset `len/2 − 1`.
    twiddles: Vec<Cx>,
}

impl Radix2 {
    fn new(n: usize) -> Self {
        let mut twiddles = Vec::with_capacity(n);
        let mut len = 2;
        while len <= n {
            twiddles.extend((0..len / 2).map(|k| {
                let th = -2.0 * PI * k as f64 / len as f64;
                (th.cos(), th.sin())
            }));
            len *= 2;
        }
        Self { n, twiddles }
    }

    fn forward(&self, x: &mut [Cx]) {
        let n = self.n;
        if n <= 1 {
            return;
        }
        let bits = n.trailing_zeros();
        for i in 0..n {
            let j = i.reverse_bits() >> (usize::BITS - bits);
            if j > i {
                x.swap(i, j);
            }
        }
        let mut len = 2;
        while len <= n {
            let half = len / 2;
            let tw = &self.twiddles[half - 1..len - 1];
            for block in x.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for ((u, v), w) in lo.iter_mut().zip(hi.iter_mut()).zip(tw) {
                    let t = cmul(*v, *w);
                    let a = *u;
                    *u = (a.0 + t.0, a.1 + t.1);
                    *v = (a.0 - t.0, a.1 - t.1);
                }
            }
            len *= 2;
        }
    }
}

/// An inverse DFT of any length `n` (normalised by `1/n`, as `ifft`).
#[derive(Debug, Clone)]
pub struct InverseFft {
    n: usize,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Pow2(Radix2),
    Bluestein {
        inner: Radix2,
        /// `exp(+iπk²/n)`, k < n (the chirp of the inverse transform).
        chirp: Vec<Cx>,
        /// The FFT of the conjugate chirp, wrapped to the inner length.
        kernel: Vec<Cx>,
        work: Vec<Cx>,
    },
}

impl InverseFft {
    /// A plan for length `n` (0 is taken as 1).
    pub fn new(n: usize) -> Self {
        let n = n.max(1);
        if n.is_power_of_two() {
            return Self {
                n,
                kind: Kind::Pow2(Radix2::new(n)),
            };
        }
        let m = (2 * n - 1).next_power_of_two();
        let inner = Radix2::new(m);
        let two_n = 2 * n as u128;
        let chirp: Vec<Cx> = (0..n)
            .map(|k| {
                // k² mod 2n keeps the angle accurate for long transforms.
                let r = ((k as u128 * k as u128) % two_n) as f64;
                let th = PI * r / n as f64;
                (th.cos(), th.sin())
            })
            .collect();
        let mut kernel = vec![(0.0, 0.0); m];
        for k in 0..n {
            let c = (chirp[k].0, -chirp[k].1);
            kernel[k] = c;
            if k > 0 {
                kernel[m - k] = c;
            }
        }
        inner.forward(&mut kernel);
        Self {
            n,
            kind: Kind::Bluestein {
                inner,
                chirp,
                kernel,
                work: vec![(0.0, 0.0); m],
            },
        }
    }

    /// The transform length.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the length is 0 (never: plans have `n ≥ 1`).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `x ← ifft(x)` (`x.len() == n`).
    pub fn run(&mut self, x: &mut [Cx]) {
        let n = self.n as f64;
        match &mut self.kind {
            Kind::Pow2(r) => {
                // ifft(x) = conj(fft(conj(x))) / n.
                for v in x.iter_mut() {
                    v.1 = -v.1;
                }
                r.forward(x);
                for v in x.iter_mut() {
                    *v = (v.0 / n, -v.1 / n);
                }
            }
            Kind::Bluestein {
                inner,
                chirp,
                kernel,
                work,
            } => {
                // X_k = c_k · Σ_j (x_j c_j) · conj(c_{k−j}), c_k = exp(iπk²/n): a convolution.
                work.fill((0.0, 0.0));
                for (w, (v, c)) in work.iter_mut().zip(x.iter().zip(chirp.iter())) {
                    *w = cmul(*v, *c);
                }
                inner.forward(work);
                let m = work.len() as f64;
                for (w, k) in work.iter_mut().zip(kernel.iter()) {
                    // Conjugated so that the next forward transform acts as an inverse.
                    let p = cmul(*w, *k);
                    *w = (p.0, -p.1);
                }
                inner.forward(work);
                for (v, (w, c)) in x.iter_mut().zip(work.iter().zip(chirp.iter())) {
                    let conv = (w.0 / m, -w.1 / m);
                    let p = cmul(conv, *c);
                    *v = (p.0 / n, p.1 / n);
                }
            }
        }
    }
}

/// The spectral shape of one noise source (Rockpool's `VRMS_SQHZ_*`, `F_KNEE_*`, `F_ALPHA_*`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoiseShape {
    /// White-noise density in V/√Hz.
    pub vrms_sqhz: f64,
    /// Corner frequency in Hz below which the spectrum rises as `(f_knee/f)^α`.
    pub f_knee: f64,
    /// The exponent α.
    pub f_alpha: f64,
}

/// The gains of the `n` frequency bins at `fs` Hz for `shape` (for [`noise_pair`]).
pub fn bin_gains(n: usize, fs: f64, shape: NoiseShape) -> Vec<f64> {
    (0..n).map(|k| bin_gain(k, n, fs, shape)).collect()
}

/// The gain of frequency bin `k` of `n` at `fs` Hz for `shape`, including the white level
/// `σ·sqrt(n)` (so that unit spectral samples give Rockpool's noise).
fn bin_gain(k: usize, n: usize, fs: f64, shape: NoiseShape) -> f64 {
    let sigma = shape.vrms_sqhz * (fs / 2.0).sqrt();
    let bin = k.min(n - k);
    let f = (bin as f64 / n as f64 * fs).max(1e-12);
    let d = if bin == 0 || f >= shape.f_knee {
        1.0
    } else {
        (shape.f_knee / f).powf(shape.f_alpha).abs()
    };
    sigma * (n as f64).sqrt() * d
}

/// Draws two independent noise vectors of `plan.len()` samples each, `a` shaped by the bin
/// gains `gain_a` and `b` by `gain_b` (from [`bin_gains`]), with one inverse FFT; `raw` and
/// `spec` are scratch.
///
/// A circular white spectrum `Z` is the DFT of `w_a + i·w_b` (`w` white, independent); its
/// Hermitian part `(Z_k + conj Z_{n−k})/2` is the DFT of `w_a`, its anti-Hermitian part that of
/// `i·w_b`. Shaping each part by its own real symmetric gain keeps the symmetries, so the real
/// part of the inverse transform is `a` and the imaginary part `b`.
#[allow(clippy::too_many_arguments)]
pub fn noise_pair<R: Rng + ?Sized>(
    rng: &mut R,
    plan: &mut InverseFft,
    gain_a: &[f64],
    gain_b: &[f64],
    raw: &mut Vec<Cx>,
    spec: &mut Vec<Cx>,
    a: &mut [f64],
    b: &mut [f64],
) {
    let n = plan.len();
    raw.clear();
    for _ in 0..n {
        let re: f64 = rng.sample(StandardNormal);
        let im: f64 = rng.sample(StandardNormal);
        raw.push((re, im));
    }
    spec.clear();
    for k in 0..n {
        let z = raw[k];
        let zm = raw[(n - k) % n];
        let herm = ((z.0 + zm.0) / 2.0, (z.1 - zm.1) / 2.0);
        let anti = ((z.0 - zm.0) / 2.0, (z.1 + zm.1) / 2.0);
        let (ga, gb) = (gain_a[k], gain_b[k]);
        spec.push((herm.0 * ga + anti.0 * gb, herm.1 * ga + anti.1 * gb));
    }
    plan.run(spec);
    for ((va, vb), z) in a.iter_mut().zip(b.iter_mut()).zip(spec.iter()) {
        *va = z.0;
        *vb = z.1;
    }
}

/// The expected mean power `E[x_t²]` of the noise [`noise_pair`] draws for length `n`:
/// `σ² · (1/n) Σ_k d_k²`.
pub fn expected_power(n: usize, fs: f64, shape: NoiseShape) -> f64 {
    let sigma = shape.vrms_sqhz * (fs / 2.0).sqrt();
    let sum: f64 = (0..n)
        .map(|k| {
            let bin = k.min(n - k);
            let f = bin as f64 / n as f64 * fs;
            if bin == 0 || f >= shape.f_knee {
                1.0
            } else {
                (shape.f_knee / f).powf(2.0 * shape.f_alpha)
            }
        })
        .sum();
    sigma * sigma * sum / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_ifft(x: &[Cx]) -> Vec<Cx> {
        let n = x.len();
        (0..n)
            .map(|k| {
                let mut s = (0.0, 0.0);
                for (j, v) in x.iter().enumerate() {
                    let th = 2.0 * PI * ((j * k) % n) as f64 / n as f64;
                    let p = cmul(*v, (th.cos(), th.sin()));
                    s = (s.0 + p.0, s.1 + p.1);
                }
                (s.0 / n as f64, s.1 / n as f64)
            })
            .collect()
    }

    #[test]
    fn inverse_fft_matches_the_definition() {
        for n in [1usize, 2, 6, 8, 13, 30, 64, 100] {
            let x: Vec<Cx> = (0..n)
                .map(|i| ((i as f64 * 0.37).sin(), (i as f64 * 1.3).cos()))
                .collect();
            let want = naive_ifft(&x);
            let mut got = x.clone();
            InverseFft::new(n).run(&mut got);
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g.0 - w.0).abs() < 1e-12 && (g.1 - w.1).abs() < 1e-12,
                    "n={n}"
                );
            }
        }
    }
}
