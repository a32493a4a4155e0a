//! Explicit AVX2 and AVX-512 code for the hottest LIF loops: one fused pass per time step of
//! the adjoint recurrence (one synapse per neuron, the StepPWL surrogate), eight (AVX2) or
//! sixteen (AVX-512, where the CPU has it) neurons per register.
//!
//! LLVM leaves these loops scalar (they read a dozen rows and accumulate into four
//! gradients), so they are written with intrinsics. Only multiplies and adds are used, each
//! in the same order as the scalar formulas in [`super::host_backward`] (no fused
//! multiply-add), so results are bit-identical to the portable path.

/// The rows and gradients of one backward step; every slice holds at least `n` values
/// (checked by [`backward_step`]).
pub(super) struct StepRows<'a> {
    /// `U[t]`, `S[t]`, `∂L/∂S[t]` (including the recurrent path).
    pub ut: &'a [f32],
    pub st: &'a [f32],
    pub gs: &'a [f32],
    /// `∂L/∂V[t]` from a membrane loss, if any.
    pub gvm: Option<&'a [f32]>,
    /// `V[t-1] = up − θ·sp` (at `t = 0`: `v0` and a row of zeros).
    pub up: &'a [f32],
    pub sp: &'a [f32],
    /// `A[t]` and `∂L/∂A[t+1]` (zeros at the last step).
    pub at: &'a [f32],
    pub ga_next: &'a [f32],
    /// Per-neuron constants: decays, threshold, `1/θ`, `θ − window`.
    pub alpha: &'a [f32],
    pub beta: &'a [f32],
    pub thr: &'a [f32],
    pub inv_thr: &'a [f32],
    pub thr_lo: &'a [f32],
    /// 1 when the synaptic current carries over between steps, else 0.
    pub carry: f32,
}

/// Outputs of one step: `gu` holds `∂L/∂U[t+1]` on entry and `∂L/∂U[t]` on return; `ga`
/// receives `∂L/∂A[t]`; the parameter gradients are accumulated.
pub(super) struct StepGrads<'a> {
    pub gu: &'a mut [f32],
    pub ga: &'a mut [f32],
    pub gthr: &'a mut [f32],
    pub gbias: &'a mut [f32],
    pub galpha: &'a mut [f32],
    pub gbeta: &'a mut [f32],
}

/// Whether [`backward_step`] can run here (x86-64 with AVX2).
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One step of the adjoint for `n` neurons (one synapse each, StepPWL):
///
/// ```text
/// gv      = α·gu + gvm
/// on      = 1/θ if U ≥ θ − window else 0
/// through = gS − θ·gv
/// gu      = gv + through·on                  (∂L/∂U[t])
/// gθ     += through·(−U·on/θ) − gv·S
/// gbias  += gu;  gα += gu·V[t-1]
/// gi      = carry·ga_next + gu;  ga = β·gi;  gβ += gi·A
/// ```
///
/// # Panics
/// If a slice is shorter than `n`, or [`available`] is false.
pub(super) fn backward_step(n: usize, r: &StepRows<'_>, g: StepGrads<'_>) {
    let rows = [
        r.ut, r.st, r.gs, r.up, r.sp, r.at, r.ga_next, r.alpha, r.beta, r.thr, r.inv_thr, r.thr_lo,
    ];
    assert!(
        rows.iter().all(|x| x.len() >= n) && r.gvm.is_none_or(|x| x.len() >= n),
        "lif backward step: a row is shorter than {n}"
    );
    assert!(
        g.gu.len() >= n
            && g.ga.len() >= n
            && g.gthr.len() >= n
            && g.gbias.len() >= n
            && g.galpha.len() >= n
            && g.gbeta.len() >= n,
        "lif backward step: a gradient row is shorter than {n}"
    );
    assert!(available(), "lif backward step: AVX2 is not available");
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 is present (asserted), and every slice has at least `n` elements, which
    // is all the kernel reads or writes.
    unsafe {
        if crate::nn::kernels::simd::avx512_available() {
            avx512::step(n, r, g)
        } else {
            avx2::step(n, r, g)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = g;
}

/// The scalar formula for neuron `j` (the tail after the last full register).
#[inline(always)]
fn step_scalar(j: usize, r: &StepRows<'_>, g: &mut StepGrads<'_>) {
    let mut gv = r.alpha[j] * g.gu[j];
    if let Some(gvm) = r.gvm {
        gv += gvm[j];
    }
    let u = r.ut[j];
    let on = if u >= r.thr_lo[j] { r.inv_thr[j] } else { 0.0 };
    let dth = -u * on * r.inv_thr[j];
    let through = r.gs[j] - r.thr[j] * gv;
    let gu = gv + through * on;
    g.gthr[j] += through * dth - gv * r.st[j];
    g.gbias[j] += gu;
    let vp = r.up[j] - r.thr[j] * r.sp[j];
    g.galpha[j] += gu * vp;
    g.gu[j] = gu;
    let gi = r.carry * r.ga_next[j] + gu;
    g.ga[j] = r.beta[j] * gi;
    g.gbeta[j] += gi * r.at[j];
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{StepGrads, StepRows, step_scalar};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn step(n: usize, r: &StepRows<'_>, mut g: StepGrads<'_>) {
        // SAFETY (for every load and store below): `c + 8 <= n` and the caller guarantees
        // that every slice holds at least `n` values.
        unsafe {
            macro_rules! ld {
                ($x:expr, $c:expr) => {
                    _mm256_loadu_ps($x.as_ptr().add($c))
                };
            }
            let sign = _mm256_set1_ps(-0.0);
            let carry = _mm256_set1_ps(r.carry);
            let main = n - n % 8;
            let mut c = 0;
            while c < main {
                let gu_next = ld!(g.gu, c);
                let mut gv = _mm256_mul_ps(ld!(r.alpha, c), gu_next);
                if let Some(gvm) = r.gvm {
                    gv = _mm256_add_ps(gv, ld!(gvm, c));
                }
                let u = ld!(r.ut, c);
                let thr = ld!(r.thr, c);
                let inv = ld!(r.inv_thr, c);
                let on = _mm256_and_ps(_mm256_cmp_ps::<_CMP_GE_OQ>(u, ld!(r.thr_lo, c)), inv);
                let dth = _mm256_mul_ps(_mm256_mul_ps(_mm256_xor_ps(u, sign), on), inv);
                let through = _mm256_sub_ps(ld!(r.gs, c), _mm256_mul_ps(thr, gv));
                let gu = _mm256_add_ps(gv, _mm256_mul_ps(through, on));
                let gthr = _mm256_add_ps(
                    ld!(g.gthr, c),
                    _mm256_sub_ps(_mm256_mul_ps(through, dth), _mm256_mul_ps(gv, ld!(r.st, c))),
                );
                _mm256_storeu_ps(g.gthr.as_mut_ptr().add(c), gthr);
                _mm256_storeu_ps(
                    g.gbias.as_mut_ptr().add(c),
                    _mm256_add_ps(ld!(g.gbias, c), gu),
                );
                let vp = _mm256_sub_ps(ld!(r.up, c), _mm256_mul_ps(thr, ld!(r.sp, c)));
                _mm256_storeu_ps(
                    g.galpha.as_mut_ptr().add(c),
                    _mm256_add_ps(ld!(g.galpha, c), _mm256_mul_ps(gu, vp)),
                );
                _mm256_storeu_ps(g.gu.as_mut_ptr().add(c), gu);
                let gi = _mm256_add_ps(_mm256_mul_ps(carry, ld!(r.ga_next, c)), gu);
                _mm256_storeu_ps(g.ga.as_mut_ptr().add(c), _mm256_mul_ps(ld!(r.beta, c), gi));
                _mm256_storeu_ps(
                    g.gbeta.as_mut_ptr().add(c),
                    _mm256_add_ps(ld!(g.gbeta, c), _mm256_mul_ps(gi, ld!(r.at, c))),
                );
                c += 8;
            }
            for j in main..n {
                step_scalar(j, r, &mut g);
            }
        }
    }
}

/// [`avx2`]'s step with sixteen neurons per register (AVX-512 F), the same operations in the
/// same order.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{StepGrads, StepRows, step_scalar};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn step(n: usize, r: &StepRows<'_>, mut g: StepGrads<'_>) {
        // SAFETY (for every load and store below): `c + 16 <= n` and the caller guarantees
        // that every slice holds at least `n` values.
        unsafe {
            macro_rules! ld {
                ($x:expr, $c:expr) => {
                    _mm512_loadu_ps($x.as_ptr().add($c))
                };
            }
            let sign = _mm512_set1_epi32(i32::MIN);
            let carry = _mm512_set1_ps(r.carry);
            let main = n - n % 16;
            let mut c = 0;
            while c < main {
                let gu_next = ld!(g.gu, c);
                let mut gv = _mm512_mul_ps(ld!(r.alpha, c), gu_next);
                if let Some(gvm) = r.gvm {
                    gv = _mm512_add_ps(gv, ld!(gvm, c));
                }
                let u = ld!(r.ut, c);
                let thr = ld!(r.thr, c);
                let inv = ld!(r.inv_thr, c);
                let on =
                    _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_GE_OQ>(u, ld!(r.thr_lo, c)), inv);
                let neg_u = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(u), sign));
                let dth = _mm512_mul_ps(_mm512_mul_ps(neg_u, on), inv);
                let through = _mm512_sub_ps(ld!(r.gs, c), _mm512_mul_ps(thr, gv));
                let gu = _mm512_add_ps(gv, _mm512_mul_ps(through, on));
                let gthr = _mm512_add_ps(
                    ld!(g.gthr, c),
                    _mm512_sub_ps(_mm512_mul_ps(through, dth), _mm512_mul_ps(gv, ld!(r.st, c))),
                );
                _mm512_storeu_ps(g.gthr.as_mut_ptr().add(c), gthr);
                _mm512_storeu_ps(
                    g.gbias.as_mut_ptr().add(c),
                    _mm512_add_ps(ld!(g.gbias, c), gu),
                );
                let vp = _mm512_sub_ps(ld!(r.up, c), _mm512_mul_ps(thr, ld!(r.sp, c)));
                _mm512_storeu_ps(
                    g.galpha.as_mut_ptr().add(c),
                    _mm512_add_ps(ld!(g.galpha, c), _mm512_mul_ps(gu, vp)),
                );
                _mm512_storeu_ps(g.gu.as_mut_ptr().add(c), gu);
                let gi = _mm512_add_ps(_mm512_mul_ps(carry, ld!(r.ga_next, c)), gu);
                _mm512_storeu_ps(g.ga.as_mut_ptr().add(c), _mm512_mul_ps(ld!(r.beta, c), gi));
                _mm512_storeu_ps(
                    g.gbeta.as_mut_ptr().add(c),
                    _mm512_add_ps(ld!(g.gbeta, c), _mm512_mul_ps(gi, ld!(r.at, c))),
                );
                c += 16;
            }
            for j in main..n {
                step_scalar(j, r, &mut g);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The AVX2 and AVX-512 steps equal the scalar formula bit for bit, for full registers
    /// and a tail, with and without a membrane loss and the synaptic carry, with neurons on
    /// both sides of the surrogate window.
    #[test]
    fn vectorised_step_equals_the_scalar_formula() {
        if !available() {
            return;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let n = 43;
        let mut row =
            |lo: f32, hi: f32| -> Vec<f32> { (0..n).map(|_| rng.random_range(lo..hi)).collect() };
        let (ut, st, gs, gvm, up) = (
            row(-1.0, 2.5),
            row(0.0, 2.0),
            row(-1.0, 1.0),
            row(-1.0, 1.0),
            row(-1.0, 2.0),
        );
        let (sp, at, ga_next) = (row(0.0, 2.0), row(-1.0, 1.0), row(-1.0, 1.0));
        let (alpha, beta, thr) = (row(0.8, 1.0), row(0.8, 1.0), row(0.5, 1.5));
        let inv_thr: Vec<f32> = thr.iter().map(|t| 1.0 / t).collect();
        let thr_lo: Vec<f32> = thr.iter().map(|t| t - 0.5).collect();
        let grads0 = [
            row(-1.0, 1.0),
            row(-1.0, 1.0),
            row(-1.0, 1.0),
            row(-1.0, 1.0),
            row(-1.0, 1.0),
        ];
        for (with_gvm, carry) in [(false, 1.0), (true, 1.0), (true, 0.0)] {
            let r = StepRows {
                ut: &ut,
                st: &st,
                gs: &gs,
                gvm: with_gvm.then_some(&gvm[..]),
                up: &up,
                sp: &sp,
                at: &at,
                ga_next: &ga_next,
                alpha: &alpha,
                beta: &beta,
                thr: &thr,
                inv_thr: &inv_thr,
                thr_lo: &thr_lo,
                carry,
            };
            // 0: the scalar formula; 1: the AVX2 step; 2: the best step for this CPU.
            let run = |how: u8| {
                let [mut gu, mut gthr, mut gbias, mut galpha, mut gbeta] = grads0.clone();
                let mut ga = vec![f32::NAN; n];
                let g = StepGrads {
                    gu: &mut gu,
                    ga: &mut ga,
                    gthr: &mut gthr,
                    gbias: &mut gbias,
                    galpha: &mut galpha,
                    gbeta: &mut gbeta,
                };
                match how {
                    0 => {
                        let mut g = g;
                        for j in 0..n {
                            step_scalar(j, &r, &mut g);
                        }
                    }
                    // SAFETY: AVX2 is present (checked above); every slice holds `n` values.
                    #[cfg(target_arch = "x86_64")]
                    1 => unsafe { avx2::step(n, &r, g) },
                    _ => backward_step(n, &r, g),
                }
                [gu, ga, gthr, gbias, galpha, gbeta]
            };
            let s = run(0);
            for how in [1, 2] {
                let v = run(how);
                for (k, (a, b)) in v.iter().zip(&s).enumerate() {
                    let a: Vec<u32> = a.iter().map(|x| x.to_bits()).collect();
                    let b: Vec<u32> = b.iter().map(|x| x.to_bits()).collect();
                    assert_eq!(
                        a, b,
                        "step {how}, output {k} (gvm {with_gvm}, carry {carry})"
                    );
                }
            }
            assert!(
                ut.iter().zip(&thr_lo).any(|(u, l)| u >= l)
                    && ut.iter().zip(&thr_lo).any(|(u, l)| u < l)
            );
        }
    }
}
