//! The Rate recurrence over a whole sequence on host memory: a forward pass that keeps what
//! the backward needs, and the hand-written backward (the adjoint recurrence run in reverse).
//!
//! Shapes (row-major): input `i` `[B, T, N]`, the factor `a = dt/τ` `[N]` (τ already clipped by
//! the caller), `bias` `[N]`, `thr` `[N]`, recurrent weights `w_rec` `[N, N]` (row = source
//! neuron), optional noise `[B, T, N]` (added to the drive like an input), initial state `x0`
//! `[B, N]`. With `H` the activation, one step `t` (with `x[-1] = x0`):
//!
//! ```text
//! r[t] = H(x[t-1] − θ) · W_rec                           (zero without recurrence)
//! d[t] = i[t] + b + r[t] + noise[t] − x[t-1]             (saved, for ∂/∂a)
//! x[t] = x[t-1] + a ⊙ d[t]                               (saved)
//! y[t] = H(x[t] − θ)
//! ```
//!
//! The backward takes `∂L/∂y` and returns gradients for the input, `a`, `bias`, `thr`,
//! `w_rec` and `x0`. The adjoint, with `gd[t] = ∂L/∂(drive at t)` and `gd[T] = 0`:
//!
//! ```text
//! gz[t] = H'(x[t] − θ) ⊙ (∂L/∂y[t] + W_rec · gd[t+1])   (∂L through x[t] − θ)
//! gx[t] = gz[t] + (1 − a) ⊙ gx[t+1]
//! gd[t] = a ⊙ gx[t]            = ∂L/∂i[t];  ∂L/∂b = Σ gd;  ∂L/∂a = Σ gx ⊙ d;  ∂L/∂θ = −Σ gz
//! ∂L/∂W_rec = Σ_t H(x[t-1] − θ)ᵀ gd[t]
//! ```
//!
//! and for the initial state `gz0 = H'(x0 − θ) ⊙ (W_rec · gd[0])`, `∂L/∂x0 = gz0 + (1 − a) ⊙
//! gx[0]`, `∂L/∂θ −= gz0`. States, adjoints and parameters are carried in f64 (the recurrence
//! integrates over many steps; Rockpool's numpy reference runs in f64); the sequences are
//! stored in f32. Batches are independent and run in parallel.

use rayon::prelude::*;

use crate::nn::rate::Activation;

/// Sizes and options of one Rate sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateDims {
    /// Batch size.
    pub b: usize,
    /// Time steps.
    pub t: usize,
    /// Neurons.
    pub n: usize,
    /// Activation `H`.
    pub act: Activation,
}

/// Parameters (host copies in f64), shapes as in the module docs.
#[derive(Clone, Debug)]
pub struct RateParams<'a> {
    /// `a = dt/τ` `[N]` (dimensionless).
    pub a: &'a [f64],
    /// `[N]`.
    pub bias: &'a [f64],
    /// `[N]`.
    pub thr: &'a [f64],
    /// `[N, N]` (row = source neuron) or `None`.
    pub w_rec: Option<&'a [f64]>,
}

/// Everything the forward produces. `x` and `d` (with the initial state) are what the
/// backward needs.
#[derive(Clone, Debug, Default)]
pub struct RateForward {
    /// Output `y = H(x − θ)` `[B, T, N]`.
    pub y: Vec<f32>,
    /// State after each step `[B, T, N]` (empty unless kept or recorded).
    pub x: Vec<f32>,
    /// Increment `d[t] = drive − x[t-1]` `[B, T, N]` (empty unless kept).
    pub d: Vec<f32>,
    /// Recurrent input `r[t]` `[B, T, N]` (empty unless recorded and recurrent).
    pub rec: Vec<f32>,
    /// Final state `[B, N]`.
    pub x_last: Vec<f32>,
}

/// Splits `v` into `b` chunks, or gives `b` empty slices when `v` is empty.
fn split(v: &mut [f32], b: usize) -> Vec<&mut [f32]> {
    if v.is_empty() || b == 0 {
        (0..b).map(|_| <&mut [f32]>::default()).collect()
    } else {
        let size = v.len() / b;
        v.chunks_mut(size).collect()
    }
}

/// Runs the forward recurrence. `keep`: keep `x` and `d` for the backward; `record`: keep
/// `x` and the recurrent input `r` as records.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    dims: RateDims,
    input: &[f32],
    p: &RateParams<'_>,
    noise: Option<&[f32]>,
    x0: &[f32],
    keep: bool,
    record: bool,
) -> RateForward {
    let RateDims { b, t, n, act } = dims;
    let seq = b * t * n;
    let mut out = RateForward {
        y: vec![0.0; seq],
        x: if keep || record {
            vec![0.0; seq]
        } else {
            Vec::new()
        },
        d: if keep { vec![0.0; seq] } else { Vec::new() },
        rec: if record && p.w_rec.is_some() {
            vec![0.0; seq]
        } else {
            Vec::new()
        },
        x_last: vec![0.0; b * n],
    };
    let (keep_x, keep_d, keep_r) = (!out.x.is_empty(), !out.d.is_empty(), !out.rec.is_empty());
    let per_batch: Vec<_> = split(&mut out.y, b)
        .into_iter()
        .zip(split(&mut out.x, b))
        .zip(split(&mut out.d, b))
        .zip(split(&mut out.rec, b))
        .zip(split(&mut out.x_last, b))
        .collect();
    per_batch
        .into_par_iter()
        .enumerate()
        .for_each(|(bi, ((((ys, xs), ds), rs), xl))| {
            let mut x: Vec<f64> = x0[bi * n..(bi + 1) * n]
                .iter()
                .map(|&v| f64::from(v))
                .collect();
            // H(x[t-1] − θ), the recurrent drive's source; only needed with recurrence.
            let mut h: Vec<f64> = if p.w_rec.is_some() {
                x.iter()
                    .zip(p.thr)
                    .map(|(&x, &th)| act.value(x - th))
                    .collect()
            } else {
                Vec::new()
            };
            let mut r = vec![0.0f64; n];
            for step in 0..t {
                let row = (bi * t + step) * n;
                let it = &input[row..row + n];
                if let Some(w) = p.w_rec {
                    r.fill(0.0);
                    for (j, &hj) in h.iter().enumerate() {
                        if hj != 0.0 {
                            axpy(hj, &w[j * n..(j + 1) * n], &mut r);
                        }
                    }
                    if keep_r {
                        for (dst, &v) in rs[step * n..(step + 1) * n].iter_mut().zip(&r) {
                            *dst = v as f32;
                        }
                    }
                }
                let nz = noise.map(|nz| &nz[row..row + n]);
                for j in 0..n {
                    let mut drive = f64::from(it[j]) + p.bias[j] + r[j];
                    if let Some(nz) = nz {
                        drive += f64::from(nz[j]);
                    }
                    let dj = drive - x[j];
                    x[j] += p.a[j] * dj;
                    let yj = act.value(x[j] - p.thr[j]);
                    let k = step * n + j;
                    ys[k] = yj as f32;
                    if keep_x {
                        xs[k] = x[j] as f32;
                    }
                    if keep_d {
                        ds[k] = dj as f32;
                    }
                    if !h.is_empty() {
                        h[j] = yj;
                    }
                }
            }
            for (dst, &v) in xl.iter_mut().zip(&x) {
                *dst = v as f32;
            }
        });
    out
}

/// Gradients returned by [`backward`].
#[derive(Clone, Debug, Default)]
pub struct RateGrads {
    /// `∂L/∂i` `[B, T, N]` (also the gradient of the noise).
    pub input: Vec<f32>,
    /// `∂L/∂a` `[N]`.
    pub a: Vec<f32>,
    /// `∂L/∂bias` `[N]`.
    pub bias: Vec<f32>,
    /// `∂L/∂θ` `[N]`.
    pub thr: Vec<f32>,
    /// `∂L/∂W_rec` `[N, N]` (empty without recurrence).
    pub w_rec: Vec<f32>,
    /// `∂L/∂x0` `[B, N]`.
    pub x0: Vec<f32>,
}

/// Per-batch partial sums of the `[N]` parameter gradients.
struct Partial {
    a: Vec<f64>,
    bias: Vec<f64>,
    thr: Vec<f64>,
}

/// Runs the adjoint recurrence backwards in time (see the module docs). `fwd` must come from
/// [`forward`] with `keep`; `g_y` is `∂L/∂y` `[B, T, N]`.
pub fn backward(
    dims: RateDims,
    p: &RateParams<'_>,
    fwd: &RateForward,
    x0: &[f32],
    g_y: &[f32],
) -> RateGrads {
    let RateDims { b, t, n, act } = dims;
    assert!(
        fwd.x.len() == b * t * n && fwd.d.len() == b * t * n,
        "the Rate backward needs the states kept by the forward"
    );
    let mut g_in = vec![0.0f32; b * t * n];
    let mut g_x0 = vec![0.0f32; b * n];
    let per_batch: Vec<_> = split(&mut g_in, b)
        .into_iter()
        .zip(split(&mut g_x0, b))
        .collect();
    let partials: Vec<Partial> = per_batch
        .into_par_iter()
        .enumerate()
        .map(|(bi, (gi_b, gx0_b))| {
            let mut part = Partial {
                a: vec![0.0; n],
                bias: vec![0.0; n],
                thr: vec![0.0; n],
            };
            let xs = &fwd.x[bi * t * n..(bi + 1) * t * n];
            let ds = &fwd.d[bi * t * n..(bi + 1) * t * n];
            let gys = &g_y[bi * t * n..(bi + 1) * t * n];
            // gd[t+1] and gx[t+1] of the step after the current one.
            let mut gd_next = vec![0.0f64; n];
            let mut gx_next = vec![0.0f64; n];
            let mut gd = vec![0.0f64; n];
            for step in (0..t).rev() {
                let k0 = step * n;
                for j in 0..n {
                    let q = p.w_rec.map_or(0.0, |w| dot(&w[j * n..(j + 1) * n], &gd_next));
                    let z = f64::from(xs[k0 + j]) - p.thr[j];
                    let gz = act.derivative(z) * (f64::from(gys[k0 + j]) + q);
                    let gx = gz + (1.0 - p.a[j]) * gx_next[j];
                    part.thr[j] -= gz;
                    part.a[j] += gx * f64::from(ds[k0 + j]);
                    gd[j] = p.a[j] * gx;
                    part.bias[j] += gd[j];
                    gi_b[k0 + j] = gd[j] as f32;
                    gx_next[j] = gx;
                }
                std::mem::swap(&mut gd_next, &mut gd);
            }
            // The initial state: its activation drove r[0], and it decays into x[0].
            for j in 0..n {
                let x0j = f64::from(x0[bi * n + j]);
                let gz = match p.w_rec {
                    Some(w) => {
                        act.derivative(x0j - p.thr[j]) * dot(&w[j * n..(j + 1) * n], &gd_next)
                    }
                    None => 0.0,
                };
                part.thr[j] -= gz;
                gx0_b[j] = (gz + (1.0 - p.a[j]) * gx_next[j]) as f32;
            }
            part
        })
        .collect();
    let sum = |f: fn(&Partial) -> &Vec<f64>| -> Vec<f32> {
        let mut acc = vec![0.0f64; n];
        for part in &partials {
            for (a, v) in acc.iter_mut().zip(f(part)) {
                *a += v;
            }
        }
        acc.into_iter().map(|v| v as f32).collect()
    };
    let g_w = if p.w_rec.is_some() {
        w_rec_grad(dims, p, fwd, x0, &g_in)
    } else {
        Vec::new()
    };
    RateGrads {
        a: sum(|q| &q.a),
        bias: sum(|q| &q.bias),
        thr: sum(|q| &q.thr),
        w_rec: g_w,
        x0: g_x0,
        input: g_in,
    }
}

/// `∂L/∂W_rec = Σ_{b,t} H(x[b,t-1] − θ)ᵀ gd[b,t]` `[N, N]`, with `gd` the input gradient.
/// Parallel over blocks of rows, each summed in a fixed order (deterministic), streaming
/// through `gd` once per block.
fn w_rec_grad(
    dims: RateDims,
    p: &RateParams<'_>,
    fwd: &RateForward,
    x0: &[f32],
    gd: &[f32],
) -> Vec<f32> {
    let RateDims { b, t, n, act } = dims;
    let rows_per_block = n.div_ceil(4 * rayon::current_num_threads()).max(8);
    let mut g = vec![0.0f64; n * n];
    g.par_chunks_mut(rows_per_block * n)
        .enumerate()
        .for_each(|(blk, rows)| {
            let j0 = blk * rows_per_block;
            let nj = rows.len() / n;
            for bi in 0..b {
                for step in 0..t {
                    let gd_row: Vec<f64> = gd[(bi * t + step) * n..(bi * t + step + 1) * n]
                        .iter()
                        .map(|&v| f64::from(v))
                        .collect();
                    for jj in 0..nj {
                        let j = j0 + jj;
                        let x_prev = if step == 0 {
                            x0[bi * n + j]
                        } else {
                            fwd.x[(bi * t + step - 1) * n + j]
                        };
                        let h = act.value(f64::from(x_prev) - p.thr[j]);
                        if h != 0.0 {
                            axpy(h, &gd_row, &mut rows[jj * n..(jj + 1) * n]);
                        }
                    }
                }
            }
        });
    g.into_iter().map(|v| v as f32).collect()
}

/// `y += alpha · x`.
#[inline]
fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yk, &xk) in y.iter_mut().zip(x) {
        *yk += alpha * xk;
    }
}

/// Dot product with four independent accumulators, so the compiler can vectorise it (a
/// single running sum forces strict left-to-right addition).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, ra) = a.split_at(a.len() - a.len() % 4);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(4).zip(cb.chunks_exact(4)) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small sequence with every path active: recurrence, noise, a non-zero initial state,
    /// a threshold that puts some states below and some above.
    fn setup(act: Activation) -> (RateDims, Vec<f32>, Vec<f64>, Vec<f32>, Vec<f64>) {
        let (b, t, n) = (2, 7, 3);
        let input: Vec<f32> = (0..b * t * n)
            .map(|k| ((k * 37 % 11) as f32 - 4.0) * 0.3)
            .collect();
        // a, bias, thr, w_rec flattened: 3 + 3 + 3 + 9.
        let params = vec![
            0.1, 0.05, 0.2, // a
            0.1, -0.2, 0.3, // bias
            0.05, -0.1, 0.2, // thr
            0.3, -0.5, 0.8, 0.1, 0.4, -0.7, -0.6, 0.2, 0.5, // w_rec
        ];
        let noise: Vec<f32> = (0..b * t * n)
            .map(|k| ((k * 13 % 7) as f32 - 3.0) * 0.05)
            .collect();
        // Exact in f32, so the f64 loss below sees the same initial state.
        let x0 = vec![0.375, -0.25, 0.625, 0.125, 0.875, -0.5];
        (RateDims { b, t, n, act }, input, params, noise, x0)
    }

    fn params(v: &[f64]) -> RateParams<'_> {
        RateParams {
            a: &v[0..3],
            bias: &v[3..6],
            thr: &v[6..9],
            w_rec: Some(&v[9..18]),
        }
    }

    /// The scalar loss `Σ c·y` in f64 straight from the definition, for finite differences.
    fn loss(
        d: RateDims,
        input: &[f64],
        pv: &[f64],
        noise: &[f32],
        x0: &[f64],
        c: &[f64],
    ) -> f64 {
        let n = d.n;
        let p = params(pv);
        let mut total = 0.0;
        for bi in 0..d.b {
            let mut x: Vec<f64> = x0[bi * n..(bi + 1) * n].to_vec();
            for step in 0..d.t {
                let h: Vec<f64> = (0..n).map(|j| d.act.value(x[j] - p.thr[j])).collect();
                let row = (bi * d.t + step) * n;
                for k in 0..n {
                    let r: f64 = (0..n).map(|j| h[j] * p.w_rec.unwrap()[j * n + k]).sum();
                    let drive = input[row + k] + p.bias[k] + r + f64::from(noise[row + k]);
                    x[k] += p.a[k] * (drive - x[k]);
                }
                for k in 0..n {
                    total += c[row + k] * d.act.value(x[k] - p.thr[k]);
                }
            }
        }
        total
    }

    #[test]
    fn backward_matches_central_differences() {
        for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
            let (d, input, pv, noise, x0) = setup(act);
            let c: Vec<f64> = (0..input.len())
                .map(|k| ((k * 29 % 13) as f64 - 6.0) / 6.0)
                .collect();
            let x0f: Vec<f32> = x0.iter().map(|&v| v as f32).collect();
            let fwd = forward(d, &input, &params(&pv), Some(&noise), &x0f, true, true);
            let gy: Vec<f32> = c.iter().map(|&v| v as f32).collect();
            let g = backward(d, &params(&pv), &fwd, &x0f, &gy);
            let inp: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
            let h = 1e-6;
            let fd = |f: &dyn Fn(f64) -> f64| (f(h) - f(-h)) / (2.0 * h);
            // Parameters: a, bias, thr, w_rec in that order.
            let analytic: Vec<f32> = [&g.a[..], &g.bias, &g.thr, &g.w_rec].concat();
            for (k, &an) in analytic.iter().enumerate() {
                let num = fd(&|e| {
                    let mut q = pv.clone();
                    q[k] += e;
                    loss(d, &inp, &q, &noise, &x0, &c)
                });
                assert!(
                    (f64::from(an) - num).abs() <= 1e-5 * num.abs() + 1e-6,
                    "{act}: parameter {k}: analytic {an}, numeric {num}"
                );
            }
            for k in [0, 5, 20, 41] {
                let num = fd(&|e| {
                    let mut q = inp.clone();
                    q[k] += e;
                    loss(d, &q, &pv, &noise, &x0, &c)
                });
                let an = f64::from(g.input[k]);
                assert!(
                    (an - num).abs() <= 1e-5 * num.abs() + 1e-6,
                    "{act}: input {k}: analytic {an}, numeric {num}"
                );
            }
            for k in 0..x0.len() {
                let num = fd(&|e| {
                    let mut q = x0.clone();
                    q[k] += e;
                    loss(d, &inp, &pv, &noise, &q, &c)
                });
                let an = f64::from(g.x0[k]);
                assert!(
                    (an - num).abs() <= 1e-5 * num.abs() + 1e-6,
                    "{act}: x0 {k}: analytic {an}, numeric {num}"
                );
            }
        }
    }

    #[test]
    fn noise_is_an_input_trace_and_records_are_optional() {
        let (d, input, pv, noise, x0) = setup(Activation::Tanh);
        let x0: Vec<f32> = x0.iter().map(|&v| v as f32).collect();
        let with_noise = forward(d, &input, &params(&pv), Some(&noise), &x0, false, true);
        let summed: Vec<f32> = input.iter().zip(&noise).map(|(a, b)| a + b).collect();
        let folded = forward(d, &summed, &params(&pv), None, &x0, true, false);
        for (a, b) in with_noise.y.iter().zip(&folded.y) {
            assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
        }
        assert_eq!(with_noise.x_last.len(), 6);
        assert!(with_noise.d.is_empty() && !with_noise.rec.is_empty());
        assert!(folded.rec.is_empty() && folded.d.len() == input.len());
        // The state record is the state: the last step equals the final state.
        assert_eq!(&with_noise.x[(d.t - 1) * 3..d.t * 3], &with_noise.x_last[..3]);
    }
}
