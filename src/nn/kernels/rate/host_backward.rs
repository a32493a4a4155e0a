//! The adjoint of the Rate recurrence on host memory ([`super::host_forward`] has the
//! forward equations). It takes `∂L/∂y` and returns gradients for the input, `a`, `bias`,
//! `thr`, `w_rec` and `x0`. With `gd[t] = ∂L/∂(drive at t)` and `gd[T] = 0`:
//!
//! ```text
//! gz[t] = H'(x[t] − θ) ⊙ (∂L/∂y[t] + W_rec · gd[t+1])   (∂L through x[t] − θ)
//! gx[t] = gz[t] + (1 − a) ⊙ gx[t+1]
//! gd[t] = a ⊙ gx[t]            = ∂L/∂i[t];  ∂L/∂b = Σ gd;  ∂L/∂a = Σ gx ⊙ d;  ∂L/∂θ = −Σ gz
//! ∂L/∂W_rec = Σ_t H(x[t-1] − θ)ᵀ gd[t]
//! ```
//!
//! and for the initial state `gz0 = H'(x0 − θ) ⊙ (W_rec · gd[0])`, `∂L/∂x0 = gz0 + (1 − a) ⊙
//! gx[0]`, `∂L/∂θ −= gz0`. Adjoints are carried in f64.
//!
//! Batches run in parallel in one chunk per thread, as in the forward; within a chunk each
//! step's `gd·W_recᵀ` is one f64 matrix product. `∂L/∂W_rec` is one blocked f64 product over
//! all steps. Parameter gradients are reduced in batch order, so results do not depend on
//! the number of threads.

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, Axis};
use rayon::prelude::*;

use super::host_forward::{
    Act, RateDims, RateForward, RateParams, ReluAct, SigmoidAct, TanhAct, batches_per_chunk, gemm,
    split, with_act,
};

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

/// Runs the adjoint recurrence backwards in time (see the module docs). `fwd` must come from
/// [`forward`](super::host_forward::forward) with `keep`; `g_y` is `∂L/∂y` `[B, T, N]`.
pub fn backward(
    dims: RateDims,
    p: &RateParams<'_>,
    fwd: &RateForward,
    x0: &[f32],
    g_y: &[f32],
) -> RateGrads {
    let RateDims { b, t, n, .. } = dims;
    assert!(
        fwd.x.len() == b * t * n && fwd.d.len() == b * t * n,
        "the Rate backward needs the states kept by the forward"
    );
    let mut g_in = vec![0.0f32; b * t * n];
    let mut g_x0 = vec![0.0f32; b * n];
    // H(x[t-1] − θ) `[B, T, N]`, the source of the recurrent drive at t (for ∂L/∂W_rec).
    let mut h_prev = if p.w_rec.is_some() {
        vec![0.0f32; b * t * n]
    } else {
        Vec::new()
    };
    let bpc = batches_per_chunk(b);
    let parts = b.div_ceil(bpc);
    let chunks: Vec<_> = split(&mut g_in, bpc * t * n, parts)
        .into_iter()
        .zip(split(&mut g_x0, bpc * n, parts))
        .zip(split(&mut h_prev, bpc * t * n, parts))
        .collect();
    // Per-batch partial sums `[3N]` (a, bias, θ), reduced in batch order afterwards, so the
    // result does not depend on the chunking.
    let partials: Vec<Vec<f64>> = chunks
        .into_par_iter()
        .enumerate()
        .flat_map_iter(|(c, ((gi, gx0), hp))| {
            with_act!(
                dims.act,
                backward_chunk(dims, c * bpc, p, fwd, x0, g_y, gi, gx0, hp)
            )
        })
        .collect();
    let mut acc = vec![0.0f64; 3 * n];
    for part in &partials {
        for (a, v) in acc.iter_mut().zip(part) {
            *a += v;
        }
    }
    let g_w = match p.w_rec {
        Some(_) => w_rec_grad(dims, &h_prev, &g_in),
        None => Vec::new(),
    };
    let f32s = |v: &[f64]| v.iter().map(|&v| v as f32).collect::<Vec<f32>>();
    RateGrads {
        a: f32s(&acc[..n]),
        bias: f32s(&acc[n..2 * n]),
        thr: f32s(&acc[2 * n..]),
        w_rec: g_w,
        x0: g_x0,
        input: g_in,
    }
}

/// The adjoint over one chunk of batches `b0..b0 + bc`; returns the per-batch partial sums
/// `[3N]` of `∂L/∂a`, `∂L/∂bias`, `∂L/∂θ`, and fills the chunk's input and initial-state
/// gradients and (with recurrence) `H(x[t-1] − θ)`.
#[allow(clippy::too_many_arguments)]
fn backward_chunk<A: Act>(
    dims: RateDims,
    b0: usize,
    p: &RateParams<'_>,
    fwd: &RateForward,
    x0: &[f32],
    g_y: &[f32],
    gi: &mut [f32],
    gx0: &mut [f32],
    hp: &mut [f32],
) -> Vec<Vec<f64>> {
    let RateDims { t, n, .. } = dims;
    let bc = gx0.len() / n;
    let mut parts = vec![vec![0.0f64; 3 * n]; bc];
    // gd[t+1] and gx[t+1] of the step after the current one, and W_rec · gd[t+1].
    let mut gd_next = vec![0.0f64; bc * n];
    let mut gd = vec![0.0f64; bc * n];
    let mut gx_next = vec![0.0f64; bc * n];
    let mut q = vec![0.0f64; bc * n];
    for step in (0..t).rev() {
        if let Some(w) = p.w_rec {
            gemm(&gd_next, w, true, &mut q, bc, n, n, 0.0);
        }
        for (bl, part) in parts.iter_mut().enumerate() {
            let src = ((b0 + bl) * t + step) * n;
            let dst = (bl * t + step) * n;
            let (g_a, rest) = part.split_at_mut(n);
            let (g_b, g_th) = rest.split_at_mut(n);
            for j in 0..n {
                let k = bl * n + j;
                let (h, dh) = A::eval(f64::from(fwd.x[src + j]) - p.thr[j]);
                if !hp.is_empty() && step + 1 < t {
                    hp[dst + n + j] = h as f32;
                }
                let gz = dh * (f64::from(g_y[src + j]) + q[k]);
                let gx = gz + (1.0 - p.a[j]) * gx_next[k];
                g_th[j] -= gz;
                g_a[j] += gx * f64::from(fwd.d[src + j]);
                let gdj = p.a[j] * gx;
                g_b[j] += gdj;
                gi[dst + j] = gdj as f32;
                gd[k] = gdj;
                gx_next[k] = gx;
            }
        }
        std::mem::swap(&mut gd_next, &mut gd);
    }
    // The initial state: its activation drove r[0], and it decays into x[0].
    if let Some(w) = p.w_rec {
        gemm(&gd_next, w, true, &mut q, bc, n, n, 0.0);
    }
    for (bl, part) in parts.iter_mut().enumerate() {
        for j in 0..n {
            let k = bl * n + j;
            let (h, dh) = A::eval(f64::from(x0[(b0 + bl) * n + j]) - p.thr[j]);
            if !hp.is_empty() && t > 0 {
                hp[bl * t * n + j] = h as f32;
            }
            let gz = dh * q[k];
            part[2 * n + j] -= gz;
            gx0[k] = (gz + (1.0 - p.a[j]) * gx_next[k]) as f32;
        }
    }
    parts
}

/// `∂L/∂W_rec = Σ_{b,t} H(x[b,t-1] − θ)ᵀ gd[b,t]` `[N, N]` from `h_prev` and the input
/// gradient `gd` (both `[B·T, N]`), as f64 matrix products over blocks of rows. Columns are
/// split into fixed-width blocks computed in parallel (deterministic: no thread-dependent
/// summation order).
fn w_rec_grad(dims: RateDims, h_prev: &[f32], gd: &[f32]) -> Vec<f32> {
    let RateDims { b, t, n, .. } = dims;
    const COLS: usize = 64;
    let rows = b * t;
    // About 1 MiB of f64 per converted block.
    let block = (131_072 / n).max(16);
    let mut g = ndarray::Array2::<f64>::zeros((n, n));
    let mut hb = vec![0.0f64; block * n];
    let mut gb = vec![0.0f64; block * n];
    for r0 in (0..rows).step_by(block) {
        let m = (rows - r0).min(block);
        let (hs, gs) = (&h_prev[r0 * n..(r0 + m) * n], &gd[r0 * n..(r0 + m) * n]);
        hb[..m * n]
            .par_iter_mut()
            .zip(hs)
            .for_each(|(o, &v)| *o = f64::from(v));
        gb[..m * n]
            .par_iter_mut()
            .zip(gs)
            .for_each(|(o, &v)| *o = f64::from(v));
        let hv = ArrayView2::from_shape((m, n), &hb[..m * n]).expect("h block");
        let gv = ArrayView2::from_shape((m, n), &gb[..m * n]).expect("g block");
        let col_blocks: Vec<_> = g.axis_chunks_iter_mut(Axis(1), COLS).collect();
        col_blocks
            .into_par_iter()
            .enumerate()
            .for_each(|(cb, mut gc)| {
                let c0 = cb * COLS;
                let c1 = (c0 + COLS).min(n);
                let gcols = gv.slice(ndarray::s![.., c0..c1]);
                general_mat_mul(1.0, &hv.t(), &gcols, 1.0, &mut gc);
            });
    }
    g.iter().map(|&v| v as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::activation::Activation;
    use crate::nn::kernels::rate::host_forward::forward;
    use crate::nn::kernels::rate::host_forward::tests::{params, setup};

    /// The scalar loss `Σ c·y` in f64 straight from the definition, for finite differences.
    fn loss(d: RateDims, input: &[f64], pv: &[f64], noise: &[f32], x0: &[f64], c: &[f64]) -> f64 {
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
    fn results_do_not_depend_on_the_thread_count() {
        // N = 37 is no multiple of any SIMD tile; B = 5 chunks unevenly.
        let (b, t, n) = (5, 9, 37);
        let d = RateDims {
            b,
            t,
            n,
            act: Activation::Sigmoid,
        };
        let wave = |len: usize, f: usize, scale: f32| -> Vec<f32> {
            (0..len)
                .map(|k| ((k * f % 101) as f32 / 50.0 - 1.0) * scale)
                .collect()
        };
        let input = wave(b * t * n, 37, 1.0);
        let noise = wave(b * t * n, 13, 0.1);
        let x0 = wave(b * n, 7, 0.5);
        let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
        let (a, bias, thr) = (
            wide(wave(n, 3, 0.05))
                .iter()
                .map(|v| v.abs() + 0.01)
                .collect::<Vec<_>>(),
            wide(wave(n, 5, 0.3)),
            wide(wave(n, 11, 0.2)),
        );
        let w = wide(wave(n * n, 17, 0.3));
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let p = RateParams {
                    a: &a,
                    bias: &bias,
                    thr: &thr,
                    w_rec: Some(&w),
                };
                let f = forward(d, &input, &p, Some(&noise), &x0, true, true);
                let g = backward(d, &p, &f, &x0, &input);
                (f.y, f.x, f.rec, g.input, g.a, g.bias, g.thr, g.w_rec, g.x0)
            })
        };
        let one = run(1);
        for threads in [2, 3, 5] {
            assert!(run(threads) == one, "{threads} threads");
        }
    }

    #[test]
    fn w_rec_gradient_over_blocks_matches_a_direct_sum() {
        // N = 70: two column blocks (64 + 6); B·T = 2000 rows: two row blocks (1872 + 128).
        let (b, t, n) = (2, 1000, 70);
        let d = RateDims {
            b,
            t,
            n,
            act: Activation::Relu,
        };
        let h: Vec<f32> = (0..b * t * n)
            .map(|k| ((k * 7919 % 1000) as f32) / 1000.0)
            .collect();
        let g: Vec<f32> = (0..b * t * n)
            .map(|k| ((k * 104_729 % 977) as f32) / 977.0 - 0.5)
            .collect();
        let got = w_rec_grad(d, &h, &g);
        for j in [0, 13, 63, 64, 69] {
            for k in [0, 5, 63, 64, 69] {
                let want: f64 = (0..b * t)
                    .map(|r| f64::from(h[r * n + j]) * f64::from(g[r * n + k]))
                    .sum();
                let err = (f64::from(got[j * n + k]) - want).abs();
                assert!(
                    err <= 1e-6 * want.abs().max(1.0),
                    "[{j}, {k}]: {} vs {want}",
                    got[j * n + k]
                );
            }
        }
    }
}
