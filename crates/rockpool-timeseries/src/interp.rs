//! Interpolation kernels behind [`TsContinuous::sample`](crate::TsContinuous::sample).
//!
//! Each kind reproduces `scipy.interpolate.interp1d` (which Rockpool uses) on sorted sample
//! times, including how it treats requests outside `[times[0], times[last]]`:
//!
//! | kind       | inside                         | outside, `Extrapolate`                | outside, `Value(v)` |
//! |------------|--------------------------------|---------------------------------------|---------------------|
//! | `Previous` | value of the last sample `<= t`| before: NaN; after: last sample        | `v`                 |
//! | `Linear`   | straight line between samples  | line through the two end samples       | `v`                 |
//! | `Nearest`  | nearest sample, ties go left   | first / last sample                    | `v`                 |
//! | `Cubic`    | not-a-knot cubic spline        | end polynomial continued               | `v`                 |
//!
//! A series with a single sample is constant (`Extrapolate`), or that sample exactly at its
//! time and `v` elsewhere (`Value(v)`).

use ndarray::{Array2, ArrayView2, Axis};

use crate::continuous::{FillValue, Interp};

/// Interpolates `samples` (shape `(T, C)`, T ≥ 1) at sorted `times` (length T) for each
/// requested time in `at`; returns shape `(at.len(), C)`. NaN requests give NaN rows.
pub(crate) fn interpolate<'a>(
    times: &'a [f64],
    samples: ArrayView2<'a, f64>,
    interp: Interp,
    fill: FillValue,
    at: &[f64],
) -> Array2<f64> {
    let channels = samples.ncols();
    let mut out = Array2::<f64>::from_elem((at.len(), channels), f64::NAN);
    let n = times.len();
    debug_assert!(n >= 1 && samples.nrows() == n);
    let first = times[0];
    let last = times[n - 1];
    let spline = match interp {
        Interp::Cubic if n >= 4 => Some(CubicSpline::new(times, samples)),
        _ => None,
    };
    for (row, &t) in at.iter().enumerate() {
        if t.is_nan() {
            continue;
        }
        let outside = t < first || t > last;
        if n == 1 {
            // One sample: constant when extrapolating, else only defined at its own time.
            match fill {
                FillValue::Extrapolate => out.row_mut(row).assign(&samples.row(0)),
                FillValue::Value(v) if t != first => out.row_mut(row).fill(v),
                FillValue::Value(_) => out.row_mut(row).assign(&samples.row(0)),
            }
            continue;
        }
        if outside && let FillValue::Value(v) = fill {
            out.row_mut(row).fill(v);
            continue;
        }
        match interp {
            Interp::Previous => {
                // Index of the last sample at or before t.
                let idx = times.partition_point(|&x| x <= t);
                if idx == 0 {
                    // Before the first sample there is no previous value: NaN (as SciPy).
                    continue;
                }
                out.row_mut(row).assign(&samples.row(idx - 1));
            }
            Interp::Linear => {
                let hi = times.partition_point(|&x| x < t).clamp(1, n - 1);
                let lo = hi - 1;
                let (x_lo, x_hi) = (times[lo], times[hi]);
                for c in 0..channels {
                    let (y_lo, y_hi) = (samples[[lo, c]], samples[[hi, c]]);
                    let slope = (y_hi - y_lo) / (x_hi - x_lo);
                    out[[row, c]] = slope * (t - x_lo) + y_lo;
                }
            }
            Interp::Nearest => {
                // Midpoints computed as SciPy does (x/2 summed), ties resolved to the left.
                let idx = (0..n - 1)
                    .position(|i| t <= times[i] / 2.0 + times[i + 1] / 2.0)
                    .unwrap_or(n - 1);
                out.row_mut(row).assign(&samples.row(idx));
            }
            Interp::Cubic => match &spline {
                Some(spline) => spline.eval_into(t, out.row_mut(row).as_slice_mut()),
                None => continue, // fewer than 4 samples: rejected by the caller
            },
        }
    }
    out
}

/// A not-a-knot cubic spline through every channel, in piecewise Hermite form.
struct CubicSpline<'a> {
    times: &'a [f64],
    samples: ArrayView2<'a, f64>,
    /// First derivative at each knot, shape `(T, C)`.
    slopes: Array2<f64>,
}

impl<'a> CubicSpline<'a> {
    /// Solves for the knot slopes (T ≥ 4) with not-a-knot end conditions: the third derivative
    /// is continuous across the second and the second-to-last knot.
    fn new(times: &'a [f64], samples: ArrayView2<'a, f64>) -> Self {
        let n = times.len();
        let dx: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        let channels = samples.ncols();
        let mut slopes = Array2::<f64>::zeros((n, channels));
        // Tridiagonal system: sub[i] s[i-1] + diag[i] s[i] + sup[i] s[i+1] = rhs[i].
        let mut sub = vec![0.0; n];
        let mut diag = vec![0.0; n];
        let mut sup = vec![0.0; n];
        diag[0] = dx[1];
        sup[0] = dx[0] + dx[1];
        for i in 1..n - 1 {
            sub[i] = dx[i];
            diag[i] = 2.0 * (dx[i - 1] + dx[i]);
            sup[i] = dx[i - 1];
        }
        sub[n - 1] = dx[n - 2] + dx[n - 3];
        diag[n - 1] = dx[n - 3];
        for (c, mut column) in slopes.axis_iter_mut(Axis(1)).enumerate() {
            let m: Vec<f64> = (0..n - 1)
                .map(|i| (samples[[i + 1, c]] - samples[[i, c]]) / dx[i])
                .collect();
            let mut rhs = vec![0.0; n];
            rhs[0] = ((dx[0] + 2.0 * (dx[0] + dx[1])) * dx[1] * m[0] + dx[0] * dx[0] * m[1])
                / (dx[0] + dx[1]);
            for i in 1..n - 1 {
                rhs[i] = 3.0 * (dx[i] * m[i - 1] + dx[i - 1] * m[i]);
            }
            rhs[n - 1] = (dx[n - 2] * dx[n - 2] * m[n - 3]
                + (2.0 * (dx[n - 3] + dx[n - 2]) + dx[n - 2]) * dx[n - 3] * m[n - 2])
                / (dx[n - 3] + dx[n - 2]);
            let solution = solve_tridiagonal(&sub, &diag, &sup, &rhs);
            for (dst, src) in column.iter_mut().zip(solution) {
                *dst = src;
            }
        }
        CubicSpline {
            times,
            samples,
            slopes,
        }
    }

    /// Writes the spline's value at `t` (any channel count) into `out`.
    fn eval_into(&self, t: f64, out: Option<&mut [f64]>) {
        let Some(out) = out else { return };
        let n = self.times.len();
        let i = self
            .times
            .partition_point(|&x| x <= t)
            .saturating_sub(1)
            .min(n - 2);
        let h = self.times[i + 1] - self.times[i];
        let dt = t - self.times[i];
        for (c, value) in out.iter_mut().enumerate() {
            let y0 = self.samples[[i, c]];
            let m = (self.samples[[i + 1, c]] - y0) / h;
            let (s0, s1) = (self.slopes[[i, c]], self.slopes[[i + 1, c]]);
            let c2 = (3.0 * m - 2.0 * s0 - s1) / h;
            let c3 = (s0 + s1 - 2.0 * m) / (h * h);
            *value = y0 + dt * (s0 + dt * (c2 + dt * c3));
        }
    }
}

/// Solves a tridiagonal system with partial pivoting (Gaussian elimination on the band).
fn solve_tridiagonal(sub: &[f64], diag: &[f64], sup: &[f64], rhs: &[f64]) -> Vec<f64> {
    let n = diag.len();
    // Dense band storage with room for one extra super-diagonal created by pivoting.
    let mut a = vec![[0.0f64; 3]; n]; // [diag, sup, sup2] after row swaps
    let mut lower = sub.to_vec();
    let mut b = rhs.to_vec();
    for i in 0..n {
        a[i] = [diag[i], sup[i], 0.0];
    }
    for i in 0..n.saturating_sub(1) {
        // Candidate pivots: a[i][0] (row i) and lower[i+1] (row i+1, column i).
        if lower[i + 1].abs() > a[i][0].abs() {
            // Swap rows i and i+1 (row i+1 has entries at columns i, i+1, i+2).
            let row_i = a[i];
            let row_next = [lower[i + 1], a[i + 1][0], a[i + 1][1]];
            a[i] = row_next;
            lower[i + 1] = row_i[0];
            a[i + 1] = [row_i[1], row_i[2], 0.0];
            b.swap(i, i + 1);
        }
        let factor = lower[i + 1] / a[i][0];
        a[i + 1][0] -= factor * a[i][1];
        a[i + 1][1] -= factor * a[i][2];
        b[i + 1] -= factor * b[i];
        lower[i + 1] = 0.0;
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut value = b[i];
        if i + 1 < n {
            value -= a[i][1] * x[i + 1];
        }
        if i + 2 < n {
            value -= a[i][2] * x[i + 2];
        }
        x[i] = value / a[i][0];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn cubic_reproduces_a_cubic_polynomial() {
        let times = [0.0, 0.5, 1.5, 2.0, 3.5];
        let f = |t: f64| 1.0 - 2.0 * t + 0.5 * t * t + 0.25 * t * t * t;
        let samples = Array2::from_shape_fn((5, 1), |(i, _)| f(times[i]));
        let at = [0.2, 1.0, 2.7, 3.5, 4.0, -0.5];
        let out = interpolate(
            &times,
            samples.view(),
            Interp::Cubic,
            FillValue::Extrapolate,
            &at,
        );
        for (row, &t) in at.iter().enumerate() {
            assert!((out[[row, 0]] - f(t)).abs() < 1e-12, "t = {t}");
        }
    }

    #[test]
    fn nearest_ties_go_left() {
        let samples = array![[0.0], [1.0], [4.0]];
        let out = interpolate(
            &[0.0, 1.0, 2.0],
            samples.view(),
            Interp::Nearest,
            FillValue::Extrapolate,
            &[0.5, 1.5, 1.51, 3.0],
        );
        assert_eq!(out.column(0).to_vec(), vec![0.0, 1.0, 4.0, 4.0]);
    }

    #[test]
    fn tridiagonal_with_pivoting() {
        // [[0, 1, 0], [1, 0, 1], [0, 1, 1]] x = [1, 2, 3] -> x = [0, 1, 2]
        let x = solve_tridiagonal(
            &[0.0, 1.0, 1.0],
            &[0.0, 0.0, 1.0],
            &[1.0, 1.0, 0.0],
            &[1.0, 2.0, 3.0],
        );
        for (got, want) in x.iter().zip([0.0, 1.0, 2.0]) {
            assert!((got - want).abs() < 1e-12);
        }
    }
}
