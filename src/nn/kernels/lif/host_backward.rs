//! The adjoint of the LIF recurrence on host memory ([`super::host_forward`] has the
//! equations): the backward runs the recurrence in reverse from what the forward kept.
//!
//! It takes `∂L/∂S[t]` (and optionally `∂L/∂V[t]`, for losses on the membrane, and
//! `∂L/∂I[t]`, for losses on the synaptic current) and returns gradients for `x`, `alpha`,
//! `beta`, `thr`, `bias` and `w_rec`, with the surrogate's `∂S/∂U`, `∂S/∂θ`. Batches are
//! independent and run in parallel; their parameter gradients are reduced in batch order.

use super::host_forward::{LifDims, LifForward, LifParams};
use super::simd;
use crate::nn::kernels::host::par_fill;
use crate::nn::kernels::simd::{add, dot, prefetch, simd_dispatch};
use crate::nn::surrogate::Surrogate;

/// Gradients returned by [`backward`].
#[derive(Clone, Debug, Default)]
pub struct LifGrads {
    /// `[B, T, N·S]`.
    pub x: Vec<f32>,
    /// `[N]`.
    pub alpha: Vec<f32>,
    /// `[N·S]`.
    pub beta: Vec<f32>,
    /// `[N]`.
    pub thr: Vec<f32>,
    /// `[N]`.
    pub bias: Vec<f32>,
    /// `[N, N·S]` (empty without recurrence).
    pub w_rec: Vec<f32>,
}

impl LifGrads {
    /// Zero parameter gradients (and no input gradient yet).
    fn zero_params(n: usize, ns: usize, has_rec: bool) -> Self {
        LifGrads {
            x: Vec::new(),
            alpha: vec![0.0; n],
            beta: vec![0.0; ns],
            thr: vec![0.0; n],
            bias: vec![0.0; n],
            w_rec: if has_rec {
                vec![0.0; n * ns]
            } else {
                Vec::new()
            },
        }
    }
}

/// Runs the adjoint recurrence backwards in time. `spikes` is the forward's spike raster
/// `[B, T, N]` (the forward result's own, or the output tensor's buffer); `g_spikes` is
/// `∂L/∂S` `[B, T, N]`;
/// `g_vmem`, if given, is `∂L/∂V` for the post-reset membrane `[B, T, N]`; `g_isyn`, if
/// given, is `∂L/∂I` for the post-decay synaptic current `[B, T, N·S]`.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    d: LifDims,
    p: &LifParams<'_>,
    fwd: &LifForward,
    spikes: &[f32],
    v0: &[f32],
    s0: &[f32],
    g_spikes: &[f32],
    g_vmem: Option<&[f32]>,
    g_isyn: Option<&[f32]>,
) -> LifGrads {
    let (b, t, n, ns) = (d.b, d.t, d.n, d.ns());
    assert_eq!(spikes.len(), b * t * n, "lif backward: spike raster size");
    let ctx = BwdCtx {
        d,
        p,
        fwd,
        spikes,
        v0,
        s0,
        g_spikes,
        g_vmem,
        g_isyn,
        alpha: p.alpha.iter().map(|&a| a as f32).collect(),
        beta: p.beta.iter().map(|&b| b as f32).collect(),
        inv_thr: p.thr.iter().map(|&t| 1.0 / t).collect(),
        thr_lo: match d.surrogate {
            Surrogate::StepPwl { window } => p.thr.iter().map(|&t| t - window).collect(),
            _ => Vec::new(),
        },
        fast: matches!(d.surrogate, Surrogate::StepPwl { .. })
            && d.s == 1
            && g_isyn.is_none()
            && simd::available(),
    };
    // The input gradient is written in full, step by step, so it needs no clearing pass;
    // each batch also returns its partial parameter gradients, reduced afterwards.
    let (gx, partials) = par_fill(b * t * ns, t * ns, |bi, gx_b| {
        backward_batch_fast(&ctx, bi, gx_b)
    });
    let mut out = LifGrads::zero_params(n, ns, p.w_rec.is_some());
    for g in &partials {
        add(&mut out.alpha, &g.alpha);
        add(&mut out.beta, &g.beta);
        add(&mut out.thr, &g.thr);
        add(&mut out.bias, &g.bias);
        add(&mut out.w_rec, &g.w_rec);
    }
    out.x = gx;
    out
}

/// What every batch of the backward shares.
struct BwdCtx<'a> {
    d: LifDims,
    p: &'a LifParams<'a>,
    fwd: &'a LifForward,
    /// The forward's spike raster `[B, T, N]` (wherever it is kept).
    spikes: &'a [f32],
    v0: &'a [f32],
    s0: &'a [f32],
    g_spikes: &'a [f32],
    g_vmem: Option<&'a [f32]>,
    g_isyn: Option<&'a [f32]>,
    /// The decays in f32 (the adjoints run in f32).
    alpha: Vec<f32>,
    beta: Vec<f32>,
    /// `1/θ` per neuron (the surrogates' slopes divide by θ).
    inv_thr: Vec<f32>,
    /// `θ − window` per neuron (StepPWL only).
    thr_lo: Vec<f32>,
    /// Whether the steps run in [`simd::backward_step`] (one synapse per neuron,
    /// StepPWL, no synaptic-current loss, AVX2).
    fast: bool,
}

simd_dispatch!(fn backward_batch_fast = backward_batch(ctx: &BwdCtx<'_>, bi: usize, gx_b: &mut [f32]) -> LifGrads);

/// The adjoint recurrence of one batch element, specialised for the common surrogates (the
/// surrogate is evaluated for every neuron and step).
#[inline(always)]
fn backward_batch(ctx: &BwdCtx<'_>, bi: usize, gx_b: &mut [f32]) -> LifGrads {
    let max = ctx.d.max_spikes;
    match ctx.d.surrogate {
        Surrogate::StepPwl { window } => {
            backward_batch_with(ctx, bi, gx_b, move |u, th, inv_th| {
                // Branch-free (a select, then products), so the neuron loop can vectorise.
                let on = if u >= th - window { inv_th } else { 0.0 };
                (on, -u * on * inv_th)
            })
        }
        sg => backward_batch_with(ctx, bi, gx_b, move |u, th, _| sg.grads(u, th, max)),
    }
}

#[inline(always)]
fn backward_batch_with(
    ctx: &BwdCtx<'_>,
    bi: usize,
    gx_b: &mut [f32],
    surrogate: impl Fn(f32, f32, f32) -> (f32, f32),
) -> LifGrads {
    let BwdCtx {
        d,
        p,
        fwd,
        spikes,
        v0,
        s0,
        g_spikes,
        g_vmem,
        g_isyn,
        ..
    } = *ctx;
    let (alpha, beta) = (&ctx.alpha[..], &ctx.beta[..]);
    let (t, n, ns, syn) = (d.t, d.n, d.ns(), d.s);
    let carry = if d.carry { 1.0f32 } else { 0.0 };
    let mut g = LifGrads::zero_params(n, ns, p.w_rec.is_some());
    let u = &fwd.u[bi * t * n..(bi + 1) * t * n];
    let s = &spikes[bi * t * n..(bi + 1) * t * n];
    let a = &fwd.a[bi * t * ns..(bi + 1) * t * ns];
    let zeros_ns = vec![0.0f32; ns];
    let mut gu_next = vec![0.0f32; n];
    let mut gu = vec![0.0f32; n];
    let mut v_prev = vec![0.0f32; n];
    let mut gs_buf = vec![0.0f32; n];
    let mut gv = vec![0.0f32; n];
    for step in (0..t).rev() {
        // The loop walks every sequence backwards, step by step: fetch the rows a few steps
        // ahead so they arrive from memory before they are needed.
        if step >= PREFETCH_STEPS {
            let ahead = step - PREFETCH_STEPS;
            prefetch(&u[ahead * n..(ahead + 1) * n]);
            prefetch(&s[ahead * n..(ahead + 1) * n]);
            prefetch(&a[ahead * ns..(ahead + 1) * ns]);
            prefetch(&g_spikes[(bi * t + ahead) * n..(bi * t + ahead + 1) * n]);
        }
        let ut = &u[step * n..(step + 1) * n];
        let st = &s[step * n..(step + 1) * n];
        let gs_out = &g_spikes[(bi * t + step) * n..(bi * t + step + 1) * n];
        // This step's ∂L/∂A is written straight into the input gradient; the next step's
        // (already written) is read from there.
        let (head, tail) = gx_b.split_at_mut((step + 1) * ns);
        let ga = &mut head[step * ns..];
        let ga_next: &[f32] = if step + 1 < t { &tail[..ns] } else { &zeros_ns };
        // ∂L/∂S[t]: the output, plus the recurrent path into A[t+1].
        let gs: &[f32] = match p.w_rec {
            Some(w) => {
                for (j, g) in gs_buf.iter_mut().enumerate() {
                    // With StepPWL (the fast path), ∂L/∂S[t] only enters through the
                    // surrogate, which is zero below θ − window: the recurrent dot product
                    // (N·S multiply-adds per neuron and step) is skipped there.
                    *g = if ctx.fast && ut[j] < ctx.thr_lo[j] {
                        gs_out[j]
                    } else {
                        gs_out[j] + dot(&w[j * ns..(j + 1) * ns], ga_next)
                    };
                }
                &gs_buf
            }
            None => gs_out,
        };
        let at = &a[step * ns..(step + 1) * ns];
        if ctx.fast {
            let (up, sp): (&[f32], &[f32]) = if step == 0 {
                (&v0[bi * n..(bi + 1) * n], &zeros_ns[..n])
            } else {
                (&u[(step - 1) * n..step * n], &s[(step - 1) * n..step * n])
            };
            let gvm = g_vmem.map(|gvm| &gvm[(bi * t + step) * n..(bi * t + step + 1) * n]);
            // `gu_next` becomes ∂L/∂U[t] in place.
            simd::backward_step(
                n,
                &simd::StepRows {
                    ut,
                    st,
                    gs,
                    gvm,
                    up,
                    sp,
                    at,
                    ga_next,
                    alpha,
                    beta,
                    thr: p.thr,
                    inv_thr: &ctx.inv_thr,
                    thr_lo: &ctx.thr_lo,
                    carry,
                },
                simd::StepGrads {
                    gu: &mut gu_next,
                    ga: &mut *ga,
                    gthr: &mut g.thr,
                    gbias: &mut g.bias,
                    galpha: &mut g.alpha,
                    gbeta: &mut g.beta,
                },
            );
        } else {
            // V[t-1] (alpha multiplies it into U[t]).
            if step == 0 {
                v_prev.copy_from_slice(&v0[bi * n..(bi + 1) * n]);
            } else {
                let (up, sp) = (&u[(step - 1) * n..step * n], &s[(step - 1) * n..step * n]);
                for (((vp, &uu), &ss), &th) in v_prev.iter_mut().zip(up).zip(sp).zip(p.thr) {
                    *vp = uu - th * ss;
                }
            }
            // ∂L/∂V[t]: through U[t+1] = alpha·V[t] + …, plus a direct membrane loss.
            for ((g, &al), &gn) in gv.iter_mut().zip(alpha).zip(&gu_next) {
                *g = al * gn;
            }
            if let Some(gvm) = g_vmem {
                for (g, &e) in gv
                    .iter_mut()
                    .zip(&gvm[(bi * t + step) * n..(bi * t + step + 1) * n])
                {
                    *g += e;
                }
            }
            // Through the spike function and the reset.
            neuron_adjoint(
                NeuronAdjoint {
                    gu: &mut gu,
                    gthr: &mut g.thr,
                    gbias: &mut g.bias,
                    galpha: &mut g.alpha,
                },
                gs,
                &gv,
                ut,
                st,
                p.thr,
                &ctx.inv_thr,
                &v_prev,
                &surrogate,
            );
            // I[t] feeds A[t+1] (coefficient 1, with the carry) and U[t] (summed over synapses).
            let gis = g_isyn.map(|gi| &gi[(bi * t + step) * ns..(bi * t + step + 1) * ns]);
            if syn == 1 && gis.is_none() {
                synapse_adjoint(ga, &mut g.beta, ga_next, &gu, beta, at, carry);
            } else {
                for (j, &guj) in gu.iter().enumerate() {
                    for k in j * syn..(j + 1) * syn {
                        let mut gi = carry * ga_next[k] + guj;
                        if let Some(gis) = gis {
                            gi += gis[k];
                        }
                        ga[k] = beta[k] * gi;
                        g.beta[k] += gi * at[k];
                    }
                }
            }
            std::mem::swap(&mut gu_next, &mut gu);
        }
        if p.w_rec.is_some() {
            // A[t] includes S[t-1]·W_rec.
            let s_prev: &[f32] = if step == 0 {
                &s0[bi * n..(bi + 1) * n]
            } else {
                &s[(step - 1) * n..step * n]
            };
            for (j, &sj) in s_prev.iter().enumerate() {
                if sj != 0.0 {
                    let row = &mut g.w_rec[j * ns..(j + 1) * ns];
                    for (r, &gk) in row.iter_mut().zip(ga.iter()) {
                        *r += sj * gk;
                    }
                }
            }
        }
    }
    g
}

/// The adjoint outputs of [`neuron_adjoint`].
struct NeuronAdjoint<'a> {
    gu: &'a mut [f32],
    gthr: &'a mut [f32],
    gbias: &'a mut [f32],
    galpha: &'a mut [f32],
}

/// `∂L/∂U[t]` for every neuron, and the threshold, bias and decay gradients of the step.
/// Separate slices as arguments (no aliasing), so the loop vectorises.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn neuron_adjoint(
    out: NeuronAdjoint<'_>,
    gs: &[f32],
    gv: &[f32],
    ut: &[f32],
    st: &[f32],
    thr: &[f32],
    inv_thr: &[f32],
    v_prev: &[f32],
    surrogate: &impl Fn(f32, f32, f32) -> (f32, f32),
) {
    let n = out.gu.len();
    let NeuronAdjoint {
        gu,
        gthr,
        gbias,
        galpha,
    } = out;
    // Eight lanes at a time as fixed-size arrays (no bounds checks, so the block vectorises),
    // then the rest one by one.
    let main = n - n % 8;
    let arr = |x: &[f32], c: usize| -> [f32; 8] { x[c..c + 8].try_into().expect("8 lanes") };
    for c in (0..main).step_by(8) {
        let (gs, gv, ut, st) = (arr(gs, c), arr(gv, c), arr(ut, c), arr(st, c));
        let (thr, inv, vp) = (arr(thr, c), arr(inv_thr, c), arr(v_prev, c));
        let mut guo = [0.0f32; 8];
        let (mut dthr, mut dbias, mut dalpha) = ([0.0f32; 8], [0.0f32; 8], [0.0f32; 8]);
        for l in 0..8 {
            let (du, dth) = surrogate(ut[l], thr[l], inv[l]);
            let through_s = gs[l] - thr[l] * gv[l];
            let guj = gv[l] + through_s * du;
            guo[l] = guj;
            dthr[l] = through_s * dth - gv[l] * st[l];
            dbias[l] = guj;
            dalpha[l] = guj * vp[l];
        }
        gu[c..c + 8].copy_from_slice(&guo);
        for l in 0..8 {
            gthr[c + l] += dthr[l];
            gbias[c + l] += dbias[l];
            galpha[c + l] += dalpha[l];
        }
    }
    for j in main..n {
        let (du, dth) = surrogate(ut[j], thr[j], inv_thr[j]);
        let through_s = gs[j] - thr[j] * gv[j];
        let guj = gv[j] + through_s * du;
        gu[j] = guj;
        gthr[j] += through_s * dth - gv[j] * st[j];
        gbias[j] += guj;
        galpha[j] += guj * v_prev[j];
    }
}

/// One synapse per neuron: `∂L/∂A[t] = β·(carry·∂L/∂A[t+1] + ∂L/∂U[t])` and the decay
/// gradient. Separate slices as arguments (no aliasing), so the loop vectorises.
#[inline(always)]
fn synapse_adjoint(
    ga: &mut [f32],
    gbeta: &mut [f32],
    ga_next: &[f32],
    gu: &[f32],
    beta: &[f32],
    at: &[f32],
    carry: f32,
) {
    let n = ga.len();
    let (gbeta, ga_next, gu, beta, at) = (
        &mut gbeta[..n],
        &ga_next[..n],
        &gu[..n],
        &beta[..n],
        &at[..n],
    );
    // Eight lanes at a time (fixed-size inner loops vectorise reliably), then the rest.
    let main = n - n % 8;
    for c in (0..main).step_by(8) {
        let (ga, gbeta) = (&mut ga[c..c + 8], &mut gbeta[c..c + 8]);
        let (gan, gu, beta, at) = (
            &ga_next[c..c + 8],
            &gu[c..c + 8],
            &beta[c..c + 8],
            &at[c..c + 8],
        );
        for l in 0..8 {
            let gi = carry * gan[l] + gu[l];
            ga[l] = beta[l] * gi;
            gbeta[l] += gi * at[l];
        }
    }
    for k in main..n {
        let gi = carry * ga_next[k] + gu[k];
        ga[k] = beta[k] * gi;
        gbeta[k] += gi * at[k];
    }
}

/// How many steps ahead the backward prefetches its rows.
const PREFETCH_STEPS: usize = 2;
