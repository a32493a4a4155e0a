//! The linear filters of the XyloAudio 2 analog front-end model: Butterworth designs computed as
//! scipy's `butter` computes them, and scipy's `sosfilt`, `lfilter` and `filtfilt`.
//!
//! * [`butter_bandpass_sos`]: `butter(2, [lo, hi] / (fs/2), btype="band", output="sos")`, i.e. the
//!   analog prototype `buttap(2)`, pre-warping `4·tan(π·Wn/2)`, `lp2bp_zpk`, `bilinear_zpk` at
//!   `fs = 2` and `zpk2sos` with "nearest" pairing (the pole pair closest to the unit circle goes
//!   to the last section with the zeros nearest to it; the gain multiplies the first section).
//!   The coefficients agree with scipy 1.17's to about 1e-15 (complex square roots and divisions
//!   may differ in the last bit).
//! * [`butter_highpass_ba`]: `butter(1, fc / (fs/2), btype="high")` as `(b, a)`.
//! * [`sosfilt_into`]: direct form II transposed per section, zero initial state.
//! * [`filtfilt`]: scipy's defaults: odd extension by `3·max(len(a), len(b))` samples at each end,
//!   initial conditions `lfilter_zi(b, a)` scaled by the first sample of each pass, forward then
//!   backward `lfilter`.

use std::f64::consts::PI;

/// A complex number (just what the filter design needs).
#[derive(Debug, Clone, Copy, PartialEq)]
struct C {
    re: f64,
    im: f64,
}

impl C {
    fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }
    fn add(self, o: C) -> C {
        C::new(self.re + o.re, self.im + o.im)
    }
    fn sub(self, o: C) -> C {
        C::new(self.re - o.re, self.im - o.im)
    }
    fn mul(self, o: C) -> C {
        C::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
    fn scale(self, s: f64) -> C {
        C::new(self.re * s, self.im * s)
    }
    /// Smith's algorithm, as numpy divides complex numbers.
    fn div(self, o: C) -> C {
        if o.re.abs() >= o.im.abs() {
            let r = o.im / o.re;
            let d = o.re + o.im * r;
            C::new((self.re + self.im * r) / d, (self.im - self.re * r) / d)
        } else {
            let r = o.re / o.im;
            let d = o.re * r + o.im;
            C::new((self.re * r + self.im) / d, (self.im * r - self.re) / d)
        }
    }
    fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }
    /// The principal square root (C99 `csqrt`).
    fn sqrt(self) -> C {
        if self.re == 0.0 && self.im == 0.0 {
            return C::new(0.0, self.im);
        }
        let t = ((self.re.abs() + self.abs()) / 2.0).sqrt();
        if self.re >= 0.0 {
            C::new(t, self.im / (2.0 * t))
        } else {
            C::new(self.im.abs() / (2.0 * t), t.copysign(self.im))
        }
    }
}

/// One second-order section `[b0, b1, b2, a0, a1, a2]` (scipy's `sos` row layout, `a0 = 1`).
pub type Sos = [f64; 6];

/// A 2nd-order Butterworth band-pass (2 sections) between `lo` and `hi` Hz at the sample rate
/// `fs` Hz, as scipy's `butter(2, [lo, hi] / (fs / 2), btype="band", output="sos")`.
///
/// Returns `None` unless `0 < lo < hi < fs/2` and both pole pairs are complex (always the case
/// for the front end's narrow bands, Q ≈ 4).
pub fn butter_bandpass_sos(lo: f64, hi: f64, fs: f64) -> Option<[Sos; 2]> {
    let wn = [lo / (fs / 2.0), hi / (fs / 2.0)];
    if !(wn[0] > 0.0 && wn[0] < wn[1] && wn[1] < 1.0) {
        return None;
    }
    // Pre-warping for the bilinear transform at fs = 2 (scipy's normalised design).
    let warped = [
        4.0 * (PI * wn[0] / 2.0).tan(),
        4.0 * (PI * wn[1] / 2.0).tan(),
    ];
    let bw = warped[1] - warped[0];
    let wo = (warped[0] * warped[1]).sqrt();
    // buttap(2): p = -exp(iπm/4), m = -1, 1.
    let proto = [-1.0f64, 1.0].map(|m| {
        let th = PI * m / 4.0;
        C::new(-th.cos(), -th.sin())
    });
    // lp2bp_zpk: each prototype pole gives p_lp ± sqrt(p_lp² − wo²).
    let mut poles = [C::new(0.0, 0.0); 4];
    for (i, p) in proto.iter().enumerate() {
        let p_lp = p.scale(bw).scale(0.5);
        let root = p_lp.mul(p_lp).sub(C::new(wo * wo, 0.0)).sqrt();
        poles[i] = p_lp.add(root);
        poles[i + 2] = p_lp.sub(root);
    }
    let k_bp = bw * bw;
    // bilinear_zpk at fs = 2: z = (4 + s) / (4 − s); the two zeros at s = 0 go to z = 1, the
    // relative degree (2) adds two zeros at z = −1.
    let four = C::new(4.0, 0.0);
    let pz = poles.map(|p| four.add(p).div(four.sub(p)));
    let mut prod = C::new(1.0, 0.0);
    for p in &poles {
        prod = prod.mul(four.sub(*p));
    }
    // The numerator is prod(4 − z) over the two band-pass zeros at s = 0.
    let k = k_bp * C::new(16.0, 0.0).div(prod).re;
    // zpk2sos: one representative per conjugate pair, (p + conj(p'))/2 as scipy's _cplxreal.
    let upper: Vec<C> = pz.iter().copied().filter(|p| p.im > 0.0).collect();
    let lower: Vec<C> = pz.iter().copied().filter(|p| p.im < 0.0).collect();
    if upper.len() != 2 || lower.len() != 2 {
        return None;
    }
    let mut pairs: Vec<C> = upper
        .iter()
        .map(|u| {
            let conj = C::new(u.re, -u.im);
            let partner = lower
                .iter()
                .min_by(|a, b| a.sub(conj).abs().total_cmp(&b.sub(conj).abs()))
                .copied()
                .unwrap_or(conj);
            C::new((u.re + partner.re) / 2.0, (u.im - partner.im) / 2.0)
        })
        .collect();
    pairs.sort_by(|a, b| a.re.total_cmp(&b.re));
    // The worst pole pair (closest to the unit circle) goes last, with its nearest zeros.
    let worst = if (1.0 - pairs[0].abs()).abs() <= (1.0 - pairs[1].abs()).abs() {
        0
    } else {
        1
    };
    let p_last = pairs[worst];
    let p_first = pairs[1 - worst];
    let last_zero = if p_last.sub(C::new(1.0, 0.0)).abs() <= p_last.add(C::new(1.0, 0.0)).abs() {
        1.0
    } else {
        -1.0
    };
    let section = |p: C, z: f64, gain: f64| -> Sos {
        [
            gain,
            gain * (-(z + z)),
            gain * (z * z),
            1.0,
            -p.re - p.re,
            p.re * p.re + p.im * p.im,
        ]
    };
    Some([
        section(p_first, -last_zero, k),
        section(p_last, last_zero, 1.0),
    ])
}

/// A 1st-order Butterworth high-pass with corner `fc` Hz at `fs` Hz, as scipy's
/// `butter(1, fc / (0.5·fs), btype="high")`: `(b, a)` with `a[0] = 1`. `None` unless
/// `0 < fc < fs/2`.
pub fn butter_highpass_ba(fc: f64, fs: f64) -> Option<([f64; 2], [f64; 2])> {
    let wn = fc / (0.5 * fs);
    if !(wn > 0.0 && wn < 1.0) {
        return None;
    }
    let w = 4.0 * (PI * wn / 2.0).tan();
    // lp2hp: pole −w, zero 0, gain 1; bilinear at fs = 2.
    let pz = (4.0 - w) / (4.0 + w);
    let k = 4.0 / (4.0 + w);
    Some(([k, -k], [1.0, -pz]))
}

/// Filters `x` through the second-order sections `sos` (zero initial state) into `y`
/// (`y.len() == x.len()`), as scipy's `sosfilt`.
pub fn sosfilt_into(sos: &[Sos], x: &[f64], y: &mut [f64]) {
    let mut z = vec![[0.0f64; 2]; sos.len()];
    for (xi, yi) in x.iter().zip(y.iter_mut()) {
        let mut cur = *xi;
        for (s, zs) in sos.iter().zip(z.iter_mut()) {
            let new = s[0] * cur + zs[0];
            zs[0] = s[1] * cur - s[4] * new + zs[1];
            zs[1] = s[2] * cur - s[5] * new;
            cur = new;
        }
        *yi = cur;
    }
}

/// scipy's `lfilter(b, a, x, zi=zi)` in place (direct form II transposed); `a[0]` must be 1 and
/// `len(a) == len(b)`; `zi` holds `len(b) − 1` values and is updated to the final state.
fn lfilter_in_place(b: &[f64], a: &[f64], zi: &mut [f64], x: &mut [f64]) {
    let n = b.len();
    for v in x.iter_mut() {
        let xn = *v;
        let y = zi[0] + b[0] * xn;
        for k in 0..n.saturating_sub(2) {
            zi[k] = zi[k + 1] + xn * b[k + 1] - y * a[k + 1];
        }
        if n > 1 {
            zi[n - 2] = xn * b[n - 1] - y * a[n - 1];
        }
        *v = y;
    }
}

/// scipy's `lfilter_zi(b, a)`: the steady state of `lfilter` for a unit step, the solution of
/// `(I − companion(a)ᵀ) zi = b[1:] − a[1:]·b[0]` (`a[0] = 1`, equal lengths).
fn lfilter_zi(b: &[f64], a: &[f64]) -> Vec<f64> {
    let m = b.len() - 1;
    if m == 0 {
        return Vec::new();
    }
    // I − companion(a)ᵀ: companion's first row is −a[1:], its sub-diagonal ones.
    let mut mat = vec![vec![0.0f64; m]; m];
    for (i, row) in mat.iter_mut().enumerate() {
        row[i] += 1.0;
        row[0] -= -a[i + 1];
        if i + 1 < m {
            row[i + 1] -= 1.0;
        }
    }
    let mut rhs: Vec<f64> = (0..m).map(|i| b[i + 1] - a[i + 1] * b[0]).collect();
    // Gaussian elimination with partial pivoting (m is tiny).
    for col in 0..m {
        let piv = (col..m)
            .max_by(|&i, &j| mat[i][col].abs().total_cmp(&mat[j][col].abs()))
            .unwrap_or(col);
        mat.swap(col, piv);
        rhs.swap(col, piv);
        let pivot_row = mat[col].clone();
        let pivot_rhs = rhs[col];
        for (row, b) in mat.iter_mut().zip(rhs.iter_mut()).skip(col + 1) {
            let f = row[col] / pivot_row[col];
            for (v, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                *v -= f * p;
            }
            *b -= f * pivot_rhs;
        }
    }
    let mut zi = vec![0.0; m];
    for r in (0..m).rev() {
        let s: f64 = (r + 1..m).map(|c| mat[r][c] * zi[c]).sum();
        zi[r] = (rhs[r] - s) / mat[r][r];
    }
    zi
}

/// Scratch space for [`filtfilt`], reused across calls to avoid allocation.
#[derive(Debug, Default, Clone)]
pub struct FiltFiltScratch {
    ext: Vec<f64>,
}

/// Zero-phase filtering as scipy's `filtfilt(b, a, x)` with its defaults (`padtype="odd"`,
/// `padlen = 3·max(len(a), len(b))`, `method="pad"`), written into `y`
/// (`y.len() == x.len()`). `a[0]` must be 1 and `len(a) == len(b)`.
///
/// Returns `None` when `x.len() <= padlen` (scipy raises `ValueError`).
pub fn filtfilt(
    b: &[f64],
    a: &[f64],
    x: &[f64],
    y: &mut [f64],
    scratch: &mut FiltFiltScratch,
) -> Option<()> {
    let edge = 3 * b.len().max(a.len());
    let n = x.len();
    if n <= edge {
        return None;
    }
    let ext = &mut scratch.ext;
    ext.clear();
    ext.reserve(n + 2 * edge);
    // Odd extension: 2·x[0] − x[edge..0], x, 2·x[n−1] − x[n−2..n−edge−2].
    ext.extend((1..=edge).rev().map(|i| 2.0 * x[0] - x[i]));
    ext.extend_from_slice(x);
    ext.extend((2..=edge + 1).map(|i| 2.0 * x[n - 1] - x[n - i]));
    let zi = lfilter_zi(b, a);
    let x0 = ext[0];
    let mut z: Vec<f64> = zi.iter().map(|v| v * x0).collect();
    lfilter_in_place(b, a, &mut z, ext);
    ext.reverse();
    let y0 = ext[0];
    for (zk, v) in z.iter_mut().zip(&zi) {
        *zk = v * y0;
    }
    lfilter_in_place(b, a, &mut z, ext);
    // Reversed back, without the extensions.
    for (i, yi) in y.iter_mut().enumerate() {
        *yi = ext[ext.len() - 1 - edge - i];
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filtfilt_of_a_constant_is_the_dc_gain() {
        let (b, a) = butter_highpass_ba(20.0, 110_000.0).unwrap();
        let x = vec![1.0; 50];
        let mut y = vec![0.0; 50];
        filtfilt(&b, &a, &x, &mut y, &mut FiltFiltScratch::default()).unwrap();
        assert!(y.iter().all(|v| v.abs() < 1e-12), "{y:?}");
        assert!(
            filtfilt(
                &b,
                &a,
                &x[..6],
                &mut y[..6],
                &mut FiltFiltScratch::default()
            )
            .is_none()
        );
    }

    #[test]
    fn bandpass_has_unit_gain_at_the_centre() {
        let fs = 110_000.0;
        let fc: f64 = 1000.0;
        let bw = fc / 4.0;
        let sos = butter_bandpass_sos(fc - bw / 2.0, fc + bw / 2.0, fs).unwrap();
        // |H(e^{jw})| at the geometric centre of the pre-warped band is 1.
        let w0 = 2.0 * PI * fc / fs;
        let z = C::new(w0.cos(), w0.sin());
        let mut h = C::new(1.0, 0.0);
        for s in &sos {
            let z1 = C::new(1.0, 0.0).div(z);
            let z2 = z1.mul(z1);
            let num = C::new(s[0], 0.0).add(z1.scale(s[1])).add(z2.scale(s[2]));
            let den = C::new(1.0, 0.0).add(z1.scale(s[4])).add(z2.scale(s[5]));
            h = h.mul(num.div(den));
        }
        assert!((h.abs() - 1.0).abs() < 1e-3, "{}", h.abs());
    }
}
