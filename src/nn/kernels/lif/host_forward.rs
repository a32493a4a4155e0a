//! The LIF recurrence over a whole sequence on host memory: the forward pass, which keeps
//! what the backward ([`super::host_backward`]) needs, and the records derived from it.
//!
//! Shapes (row-major): input current `x` `[B, T, N·S]` (neuron `j`, synapse `s` at `j·S + s`),
//! `alpha` `[N]` (membrane decay), `beta` `[N·S]` (synaptic decay) — both in f64, see
//! [`LifParams`] — `thr` `[N]`, `bias` `[N]`,
//! recurrent weights `w_rec` `[N, N·S]`, optional membrane noise `[B, T, N]`, initial state
//! `v0`, `s0` `[B, N]`, `i0` `[B, N·S]`. One step, in Rockpool's order:
//!
//! ```text
//! A[t] = I[t-1] + x[t] + S[t-1]·W_rec          (pre-decay synaptic current, saved)
//! I[t] = beta ⊙ A[t]
//! U[t] = alpha ⊙ V[t-1] + Σ_s I[t] + bias + noise[t]   (pre-spike membrane, saved)
//! S[t] = min(max_spikes, floor(U/θ)) if U ≥ θ else 0
//! V[t] = U[t] − θ ⊙ S[t]
//! ```
//!
//! Batches are independent and run in parallel.

use rayon::prelude::*;

use super::simd_forward;
use crate::nn::kernels::host::filled_by;
use crate::nn::kernels::simd::simd_dispatch;
use crate::nn::surrogate::Surrogate;

/// Sizes and options of one LIF sequence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifDims {
    /// Batch size.
    pub b: usize,
    /// Time steps.
    pub t: usize,
    /// Neurons.
    pub n: usize,
    /// Synapses per neuron.
    pub s: usize,
    /// Spike cap per step.
    pub max_spikes: f32,
    /// Surrogate used by the backward.
    pub surrogate: Surrogate,
    /// Whether the synaptic current carries over between steps (`A = I[t-1] + x + …`, LIF);
    /// without it the input enters the membrane directly (`A = x + …`, a neuron without
    /// synapses, with `beta = 1`).
    pub carry: bool,
}

impl LifDims {
    /// Synaptic currents `N·S`.
    pub(super) fn ns(&self) -> usize {
        self.n * self.s
    }
}

/// Parameters (host copies), shapes as in the module docs. The decays are f64: a decay near 1
/// rounded to f32 (relative error ~6e-8) changes a slow neuron's steady state by a relative
/// `6e-8/(1−α)` per synaptic stage, which is visible against Rockpool's f64 numbers.
#[derive(Clone, Debug)]
pub struct LifParams<'a> {
    /// `[N]`.
    pub alpha: &'a [f64],
    /// `[N·S]`.
    pub beta: &'a [f64],
    /// `[N]`.
    pub thr: &'a [f32],
    /// `[N]`.
    pub bias: &'a [f32],
    /// `[N, N·S]` or `None`.
    pub w_rec: Option<&'a [f32]>,
}

/// Everything the forward produces. `u` and `a` (with `s` and the initial state) are what the
/// backward needs; `v`, `i` records are derived from them on request.
#[derive(Clone, Debug, Default)]
pub struct LifForward {
    /// Spike counts `[B, T, N]`.
    pub spikes: Vec<f32>,
    /// Pre-spike membrane `U` `[B, T, N]` (only the last step per batch unless kept).
    pub u: Vec<f32>,
    /// Pre-decay synaptic current `A` `[B, T, N·S]` (only the last step unless kept).
    pub a: Vec<f32>,
    /// Recurrent input `S[t-1]·W_rec` `[B, T, N·S]` (empty unless recorded and recurrent).
    pub irec: Vec<f32>,
    /// Final membrane `[B, N]`.
    pub v_last: Vec<f32>,
    /// Final synaptic current `[B, N·S]`.
    pub i_last: Vec<f32>,
    /// Final spikes `[B, N]`.
    pub s_last: Vec<f32>,
}

/// Runs the forward recurrence. An owned input with one synapse per neuron (`N·S = N`) is
/// overwritten by the spike raster (each step's input is read before its spikes are written),
/// which saves allocating and page-faulting a second sequence-sized buffer.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    d: LifDims,
    x: std::borrow::Cow<'_, [f32]>,
    p: &LifParams<'_>,
    noise: Option<&[f32]>,
    v0: &[f32],
    i0: &[f32],
    s0: &[f32],
    record_irec: bool,
    keep: bool,
) -> LifForward {
    let (b, t, n, ns) = (d.b, d.t, d.n, d.ns());
    // Without `keep` (inference), U and A are only scratch for the current step: no
    // sequence-sized buffers are allocated or written.
    let steps_kept = if keep { t } else { 1 };
    let (x, owned) = match x {
        std::borrow::Cow::Owned(buf) if ns == n => (None, Some(buf)),
        x => (Some(x), None),
    };
    let mut irec = if record_irec && p.w_rec.is_some() {
        vec![0.0; b * t * ns]
    } else {
        Vec::new()
    };
    let (mut v_last, mut i_last, mut s_last) =
        (vec![0.0; b * n], vec![0.0; b * ns], vec![0.0; b * n]);
    let irec_on = !irec.is_empty();
    // One synapse per neuron: each step is one vector pass (`simd_forward`), which takes
    // the bias and threshold in f64 and the one-spike bound of each threshold.
    let fast = (d.s == 1 && !d.max_spikes.is_nan() && simd_forward::available()).then(|| {
        let f64s = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
        let thr = f64s(p.thr);
        let thr_hi = thr
            .iter()
            .map(|&th| simd_forward::one_spike_bound(th))
            .collect();
        FastRows {
            bias: f64s(p.bias),
            thr,
            thr_hi,
        }
    });
    let ctx = FwdCtx {
        d,
        x: x.as_deref(),
        p,
        noise,
        v0,
        i0,
        s0,
        keep,
        irec_on,
        fast,
    };
    // Every batch writes every row of its spikes, U and A (all kept steps), so the
    // sequence-sized buffers start uninitialised (no clearing pass).
    let mut run = |spikes: &mut [f32], u: &mut [f32], a: &mut [f32]| {
        // Split every output by batch so each batch runs on its own thread.
        let mut irec_chunks: Vec<&mut [f32]> = if irec_on {
            irec.chunks_mut(t * ns).collect()
        } else {
            (0..b).map(|_| &mut [][..]).collect()
        };
        spikes
            .par_chunks_mut(t * n)
            .zip(u.par_chunks_mut(steps_kept * n))
            .zip(a.par_chunks_mut(steps_kept * ns))
            .zip(v_last.par_chunks_mut(n))
            .zip(i_last.par_chunks_mut(ns))
            .zip(s_last.par_chunks_mut(n))
            .zip(irec_chunks.par_iter_mut())
            .enumerate()
            .for_each(|(bi, ((((((sp, u), a), vl), il), sl), ir))| {
                forward_batch_fast(
                    &ctx,
                    FwdTask {
                        bi,
                        sp,
                        u,
                        a,
                        vl,
                        il,
                        sl,
                        ir,
                    },
                )
            });
    };
    let with_ua = |run: &mut dyn FnMut(&mut [f32], &mut [f32])| -> (Vec<f32>, Vec<f32>) {
        let (lu, la) = (b * steps_kept * n, b * steps_kept * ns);
        if keep && t > 0 {
            let (u, (a, ())) = filled_by(lu, |u| filled_by(la, |a| run(u, a)));
            (u, a)
        } else {
            // Scratch rows only (one step per batch).
            let (mut u, mut a) = (vec![0.0; lu], vec![0.0; la]);
            run(&mut u, &mut a);
            (u, a)
        }
    };
    let (spikes, (u, a)) = match owned {
        // The input buffer becomes the raster, in place.
        Some(mut buf) => {
            let ua = with_ua(&mut |u, a| run(&mut buf, u, a));
            (buf, ua)
        }
        None => filled_by(b * t * n, |sp| with_ua(&mut |u, a| run(sp, u, a))),
    };
    LifForward {
        spikes,
        u,
        a,
        irec,
        v_last,
        i_last,
        s_last,
    }
}

/// What every batch of the forward shares.
struct FwdCtx<'a> {
    d: LifDims,
    x: Option<&'a [f32]>,
    p: &'a LifParams<'a>,
    noise: Option<&'a [f32]>,
    v0: &'a [f32],
    i0: &'a [f32],
    s0: &'a [f32],
    keep: bool,
    irec_on: bool,
    /// The rows of the vector step, where it runs.
    fast: Option<FastRows>,
}

/// Per-neuron rows of [`simd_forward::forward_step`] (`[N]` each, f64).
struct FastRows {
    bias: Vec<f64>,
    thr: Vec<f64>,
    thr_hi: Vec<f64>,
}

/// One batch's output slices.
struct FwdTask<'a> {
    bi: usize,
    sp: &'a mut [f32],
    u: &'a mut [f32],
    a: &'a mut [f32],
    vl: &'a mut [f32],
    il: &'a mut [f32],
    sl: &'a mut [f32],
    ir: &'a mut [f32],
}

simd_dispatch!(fn forward_batch_fast = forward_batch(ctx: &FwdCtx<'_>, task: FwdTask<'_>));

/// The recurrence of one batch element.
#[inline(always)]
fn forward_batch(ctx: &FwdCtx<'_>, task: FwdTask<'_>) {
    let FwdCtx {
        d,
        x,
        p,
        noise,
        v0,
        i0,
        s0,
        keep,
        irec_on,
        ref fast,
    } = *ctx;
    let FwdTask {
        bi,
        sp,
        u,
        a,
        vl,
        il,
        sl,
        ir,
    } = task;
    let (t, n, ns) = (d.t, d.n, d.ns());
    // The state is carried in f64: the recurrence integrates over many steps, and f32
    // rounding would otherwise build up (Rockpool's numpy reference runs in f64).
    let mut v: Vec<f64> = v0[bi * n..(bi + 1) * n]
        .iter()
        .map(|&x| f64::from(x))
        .collect();
    let mut i: Vec<f64> = i0[bi * ns..(bi + 1) * ns]
        .iter()
        .map(|&x| f64::from(x))
        .collect();
    // Stays zero without recurrence, so the synaptic update below has no branch.
    let mut rec = vec![0.0f32; ns];
    let mut u64 = vec![0.0f64; n];
    let carry = if d.carry { 1.0 } else { 0.0 };
    for step in 0..t {
        if let Some(w) = p.w_rec {
            // The previous step's spikes (already written to the raster).
            let s_prev: &[f32] = if step == 0 {
                &s0[bi * n..(bi + 1) * n]
            } else {
                &sp[(step - 1) * n..step * n]
            };
            rec.iter_mut().for_each(|r| *r = 0.0);
            for (j, &sj) in s_prev.iter().enumerate() {
                if sj != 0.0 {
                    let row = &w[j * ns..(j + 1) * ns];
                    for (r, &wk) in rec.iter_mut().zip(row) {
                        *r += sj * wk;
                    }
                }
            }
            if irec_on {
                ir[step * ns..(step + 1) * ns].copy_from_slice(&rec);
            }
        }
        let slot = if keep { step } else { 0 };
        if let Some(fr) = fast {
            let st = &mut sp[step * n..(step + 1) * n];
            let s_ptr = st.as_mut_ptr();
            let x_ptr = match x {
                Some(x) => x[(bi * t + step) * n..(bi * t + step + 1) * n].as_ptr(),
                None => s_ptr.cast_const(),
            };
            let rows = simd_forward::FwdRows {
                beta: p.beta,
                alpha: p.alpha,
                bias: &fr.bias,
                thr: &fr.thr,
                thr_hi: &fr.thr_hi,
                rec: &rec,
                noise: noise.map(|nz| &nz[(bi * t + step) * n..(bi * t + step + 1) * n]),
                carry,
                max_spikes: f64::from(d.max_spikes),
            };
            let state = simd_forward::FwdState {
                i: &mut i,
                v: &mut v,
                a: keep.then_some(&mut a[slot * n..(slot + 1) * n]),
                u: keep.then_some(&mut u[slot * n..(slot + 1) * n]),
                x: x_ptr,
                s: s_ptr,
            };
            // SAFETY: `x_ptr` is this step's input row (`n` values, read-only here) or the
            // spike row itself, and `s_ptr` the spike row (`n` values), borrowed mutably
            // above; nothing else touches them during the call.
            unsafe { simd_forward::forward_step(n, &rows, state) };
            continue;
        }
        let at = &mut a[slot * ns..(slot + 1) * ns];
        // In place, this step's row of the raster still holds the input until the spikes
        // are written below.
        let xt: &[f32] = match x {
            Some(x) => &x[(bi * t + step) * ns..(bi * t + step + 1) * ns],
            None => &sp[step * n..(step + 1) * n],
        };
        // Synapses: A = I (carried) + x + rec, I = β·A (straight loops that vectorise). A is
        // only stored when kept (inference needs neither A nor U afterwards).
        if keep {
            for ((((ik, &xk), &rk), ak), &bk) in i
                .iter_mut()
                .zip(xt)
                .zip(&rec)
                .zip(at.iter_mut())
                .zip(p.beta)
            {
                let av = carry * *ik + f64::from(xk) + f64::from(rk);
                *ak = av as f32;
                *ik = bk * av;
            }
        } else {
            for (((ik, &xk), &rk), &bk) in i.iter_mut().zip(xt).zip(&rec).zip(p.beta) {
                *ik = bk * (carry * *ik + f64::from(xk) + f64::from(rk));
            }
        }
        // Membrane: U = α·V + Σ_s I + bias (+ noise).
        if d.s == 1 {
            for ((((uj, &vj), &al), &ij), &bj) in
                u64.iter_mut().zip(&v).zip(p.alpha).zip(&i).zip(p.bias)
            {
                *uj = al * vj + ij + f64::from(bj);
            }
        } else {
            for (j, uj) in u64.iter_mut().enumerate() {
                let isum: f64 = i[j * d.s..(j + 1) * d.s].iter().sum();
                *uj = p.alpha[j] * v[j] + isum + f64::from(p.bias[j]);
            }
        }
        if let Some(nz) = noise {
            let nt = &nz[(bi * t + step) * n..(bi * t + step + 1) * n];
            for (uj, &e) in u64.iter_mut().zip(nt) {
                *uj += f64::from(e);
            }
        }
        // Spikes and subtractive reset.
        let ut = &mut u[slot * n..(slot + 1) * n];
        let st = &mut sp[step * n..(step + 1) * n];
        let max = f64::from(d.max_spikes);
        let spike = |uj: f64, th: f64| {
            if uj >= th {
                (uj / th).floor().min(max)
            } else {
                0.0
            }
        };
        if keep {
            for ((((&uj, uo), so), vj), &th) in u64
                .iter()
                .zip(ut.iter_mut())
                .zip(st.iter_mut())
                .zip(v.iter_mut())
                .zip(p.thr)
            {
                let th = f64::from(th);
                let sj = spike(uj, th);
                *uo = uj as f32;
                *so = sj as f32;
                *vj = uj - th * sj;
            }
        } else {
            for (((&uj, so), vj), &th) in u64.iter().zip(st.iter_mut()).zip(v.iter_mut()).zip(p.thr)
            {
                let th = f64::from(th);
                let sj = spike(uj, th);
                *so = sj as f32;
                *vj = uj - th * sj;
            }
        }
    }
    for (dst, &src) in vl.iter_mut().zip(&v) {
        *dst = src as f32;
    }
    for (dst, &src) in il.iter_mut().zip(&i) {
        *dst = src as f32;
    }
    sl.copy_from_slice(if t == 0 {
        &s0[bi * n..(bi + 1) * n]
    } else {
        &sp[(t - 1) * n..t * n]
    });
}

/// Post-reset membrane `V = U − θ·S` `[B, T, N]` from the pre-spike membrane `u` and the
/// spikes of a forward result.
pub fn vmem(d: LifDims, thr: &[f32], u: &[f32], spikes: &[f32]) -> Vec<f32> {
    u.iter()
        .zip(spikes)
        .enumerate()
        .map(|(idx, (u, s))| u - thr[idx % d.n] * s)
        .collect()
}

/// Post-decay synaptic current `I = beta ⊙ A` `[B, T, N·S]` from a forward result.
pub fn isyn(d: LifDims, beta: &[f64], fwd: &LifForward) -> Vec<f32> {
    let ns = d.ns();
    fwd.a
        .iter()
        .enumerate()
        .map(|(idx, &a)| (f64::from(a) * beta[idx % ns]) as f32)
        .collect()
}
