//! The Rate recurrence over a whole sequence on host memory: the forward pass, which keeps
//! what the backward ([`super::host_backward`]) needs, and the pieces both share.
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
//! States and parameters are carried in f64 (the recurrence integrates over many steps;
//! Rockpool's numpy reference runs in f64); the sequences are stored in f32.
//!
//! Batches are independent: they run in parallel in one chunk per thread, and within a chunk
//! each step's recurrent product `H·W_rec` is one f64 matrix product over the chunk's
//! batches (`ndarray`'s matrixmultiply, which picks the CPU's SIMD kernels at run time).

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;

use crate::nn::activation::Activation;

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

/// The activation as a type, so that the inner loops are compiled once per activation.
pub(super) trait Act: Sync {
    /// `(H(z), H'(z))`.
    fn eval(z: f64) -> (f64, f64);
}

pub(super) struct ReluAct;
impl Act for ReluAct {
    #[inline(always)]
    fn eval(z: f64) -> (f64, f64) {
        // Derivative 0 at z = 0, as `Activation::derivative` (and Burn's relu) take it.
        if z > 0.0 { (z, 1.0) } else { (0.0, 0.0) }
    }
}

pub(super) struct TanhAct;
impl Act for TanhAct {
    #[inline(always)]
    fn eval(z: f64) -> (f64, f64) {
        let th = z.tanh();
        (th, 1.0 - th * th)
    }
}

pub(super) struct SigmoidAct;
impl Act for SigmoidAct {
    #[inline(always)]
    fn eval(z: f64) -> (f64, f64) {
        let th = z.tanh();
        ((th + 1.0) * 0.5, (1.0 - th * th) * 0.5)
    }
}

/// Calls `$f::<A>(args)` with the activation type `A` of `$act`.
macro_rules! with_act {
    ($act:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match $act {
            $crate::nn::activation::Activation::Relu => $f::<ReluAct>($($arg),*),
            $crate::nn::activation::Activation::Tanh => $f::<TanhAct>($($arg),*),
            $crate::nn::activation::Activation::Sigmoid => $f::<SigmoidAct>($($arg),*),
        }
    };
}
pub(super) use with_act;

/// Batches per parallel chunk: one chunk per thread, so each chunk's recurrent product is
/// one `[B/threads, N]·[N, N]` matrix product per step.
pub(super) fn batches_per_chunk(b: usize) -> usize {
    b.div_ceil(rayon::current_num_threads().max(1)).max(1)
}

/// Splits `v` into chunks of `size`, or gives `parts` empty slices when `v` is empty.
pub(super) fn split(v: &mut [f32], size: usize, parts: usize) -> Vec<&mut [f32]> {
    if v.is_empty() || size == 0 {
        (0..parts).map(|_| <&mut [f32]>::default()).collect()
    } else {
        v.chunks_mut(size).collect()
    }
}

/// `c = a · b` (`beta = 0`) or `c += a · b` (`beta = 1`) for row-major `a` `[m, k]`,
/// `b` `[k, n]`; `b_t`: `b` is given as its transpose `[n, k]`.
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm(
    a: &[f64],
    b: &[f64],
    b_t: bool,
    c: &mut [f64],
    m: usize,
    k: usize,
    n: usize,
    beta: f64,
) {
    let av = ArrayView2::from_shape((m, k), a).expect("gemm: a");
    let mut cv = ArrayViewMut2::from_shape((m, n), c).expect("gemm: c");
    if b_t {
        let bv = ArrayView2::from_shape((n, k), b).expect("gemm: b");
        general_mat_mul(1.0, &av, &bv.t(), beta, &mut cv);
    } else {
        let bv = ArrayView2::from_shape((k, n), b).expect("gemm: b");
        general_mat_mul(1.0, &av, &bv, beta, &mut cv);
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
    let RateDims { b, t, n, .. } = dims;
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
    let bpc = batches_per_chunk(b);
    let parts = b.div_ceil(bpc);
    let chunks: Vec<_> = split(&mut out.y, bpc * t * n, parts)
        .into_iter()
        .zip(split(&mut out.x, bpc * t * n, parts))
        .zip(split(&mut out.d, bpc * t * n, parts))
        .zip(split(&mut out.rec, bpc * t * n, parts))
        .zip(split(&mut out.x_last, bpc * n, parts))
        .map(|((((y, x), d), rec), x_last)| ChunkOut {
            y,
            x,
            d,
            rec,
            x_last,
        })
        .collect();
    chunks.into_par_iter().enumerate().for_each(|(c, out)| {
        with_act!(
            dims.act,
            forward_chunk(dims, c * bpc, input, p, noise, x0, out)
        )
    });
    out
}

/// One chunk's outputs (batches `b0..b0 + bc`); unkept ones are empty.
struct ChunkOut<'a> {
    y: &'a mut [f32],
    x: &'a mut [f32],
    d: &'a mut [f32],
    rec: &'a mut [f32],
    x_last: &'a mut [f32],
}

fn forward_chunk<A: Act>(
    dims: RateDims,
    b0: usize,
    input: &[f32],
    p: &RateParams<'_>,
    noise: Option<&[f32]>,
    x0: &[f32],
    out: ChunkOut<'_>,
) {
    let RateDims { t, n, .. } = dims;
    let bc = out.x_last.len() / n;
    let mut x: Vec<f64> = x0[b0 * n..(b0 + bc) * n]
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    // H(x[t-1] − θ) for the whole chunk, the recurrent drive's source.
    let mut h: Vec<f64> = x
        .chunks(n)
        .flat_map(|xb| xb.iter().zip(p.thr).map(|(&x, &th)| A::eval(x - th).0))
        .collect();
    let mut r = vec![0.0f64; bc * n];
    let mut dr = vec![0.0f64; n];
    for step in 0..t {
        if let Some(w) = p.w_rec {
            gemm(&h, w, false, &mut r, bc, n, n, 0.0);
        }
        for bl in 0..bc {
            let src = ((b0 + bl) * t + step) * n;
            let dst = (bl * t + step) * n;
            let xb = &mut x[bl * n..(bl + 1) * n];
            let rb = &r[bl * n..(bl + 1) * n];
            for (j, drj) in dr.iter_mut().enumerate() {
                *drj = f64::from(input[src + j]) + p.bias[j] + rb[j];
            }
            if let Some(nz) = noise {
                for (drj, &z) in dr.iter_mut().zip(&nz[src..src + n]) {
                    *drj += f64::from(z);
                }
            }
            // dr becomes the increment d = drive − x[t-1].
            for j in 0..n {
                dr[j] -= xb[j];
                xb[j] += p.a[j] * dr[j];
            }
            let hb = &mut h[bl * n..(bl + 1) * n];
            for j in 0..n {
                let v = A::eval(xb[j] - p.thr[j]).0;
                out.y[dst + j] = v as f32;
                hb[j] = v;
            }
            if !out.x.is_empty() {
                for (o, &v) in out.x[dst..dst + n].iter_mut().zip(xb.iter()) {
                    *o = v as f32;
                }
            }
            if !out.d.is_empty() {
                for (o, &v) in out.d[dst..dst + n].iter_mut().zip(&dr) {
                    *o = v as f32;
                }
            }
            if !out.rec.is_empty() {
                for (o, &v) in out.rec[dst..dst + n].iter_mut().zip(rb) {
                    *o = v as f32;
                }
            }
        }
    }
    for (o, &v) in out.x_last.iter_mut().zip(&x) {
        *o = v as f32;
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A small sequence with every path active: recurrence, noise, a non-zero initial state,
    /// a threshold that puts some states below and some above.
    pub(in crate::nn::kernels::rate) fn setup(
        act: Activation,
    ) -> (RateDims, Vec<f32>, Vec<f64>, Vec<f32>, Vec<f64>) {
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

    pub(in crate::nn::kernels::rate) fn params(v: &[f64]) -> RateParams<'_> {
        RateParams {
            a: &v[0..3],
            bias: &v[3..6],
            thr: &v[6..9],
            w_rec: Some(&v[9..18]),
        }
    }

    #[test]
    fn activation_types_match_the_activation() {
        for z in [-2.0, -0.3, 0.0, 1e-9, 0.7, 3.0] {
            for (act, got) in [
                (Activation::Relu, ReluAct::eval(z)),
                (Activation::Tanh, TanhAct::eval(z)),
                (Activation::Sigmoid, SigmoidAct::eval(z)),
            ] {
                assert_eq!(got, (act.value(z), act.derivative(z)), "{act} at {z}");
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
        assert_eq!(
            &with_noise.x[(d.t - 1) * 3..d.t * 3],
            &with_noise.x_last[..3]
        );
    }
}
