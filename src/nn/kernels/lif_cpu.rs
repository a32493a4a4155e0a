//! The LIF recurrence over a whole sequence on host memory: a forward pass that keeps what
//! the backward needs, and the hand-written backward (the adjoint recurrence run in reverse).
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
//! The backward takes `∂L/∂S[t]` (and optionally `∂L/∂V[t]`, for losses on the membrane)
//! and returns gradients for `x`, `alpha`, `beta`, `thr`, `bias` and `w_rec`, with the
//! surrogate's `∂S/∂U`, `∂S/∂θ`. Batches are independent and run in parallel.

use rayon::prelude::*;

use super::lif_simd;
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
    fn ns(&self) -> usize {
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
            let (u, (a, ())) = super::filled_by(lu, |u| super::filled_by(la, |a| run(u, a)));
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
        None => super::filled_by(b * t * n, |sp| with_ua(&mut |u, a| run(sp, u, a))),
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

super::simd_dispatch!(fn forward_batch_fast = forward_batch(ctx: &FwdCtx<'_>, task: FwdTask<'_>));

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
            && lif_simd::available(),
    };
    // The input gradient is written in full, step by step, so it needs no clearing pass;
    // each batch also returns its partial parameter gradients, reduced afterwards.
    let (gx, partials) = super::par_fill(b * t * ns, t * ns, |bi, gx_b| {
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
    /// Whether the steps run in [`lif_simd::backward_step`] (one synapse per neuron,
    /// StepPWL, no synaptic-current loss, AVX2).
    fast: bool,
}

super::simd_dispatch!(fn backward_batch_fast = backward_batch(ctx: &BwdCtx<'_>, bi: usize, gx_b: &mut [f32]) -> LifGrads);

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
            lif_simd::backward_step(
                n,
                &lif_simd::StepRows {
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
                lif_simd::StepGrads {
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

/// Asks the CPU to bring `row` into the cache (a hint; no effect on results).
#[inline(always)]
fn prefetch(row: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in row.chunks(16) {
        // SAFETY: a prefetch of a valid address; SSE is part of the x86-64 baseline.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// Dot product with eight independent accumulators, so the compiler can vectorise it (a
/// single running sum forces strict left-to-right float addition).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ca, ra) = a.split_at(a.len() - a.len() % 8);
    let (cb, rb) = b.split_at(ca.len());
    for (x, y) in ca.chunks_exact(8).zip(cb.chunks_exact(8)) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

fn add(acc: &mut [f32], x: &[f32]) {
    for (a, b) in acc.iter_mut().zip(x) {
        *a += b;
    }
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
