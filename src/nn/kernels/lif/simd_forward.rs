//! Explicit AVX2 and AVX-512 code for one step of the LIF forward with one synapse per
//! neuron: the synapse, the membrane, the multi-spike threshold and the reset in one pass
//! over the neurons, four (AVX2) or eight (AVX-512, where the CPU has it) f64 states per
//! register.
//!
//! The portable loops in [`super::host_forward`] make three passes per step and divide
//! `U/θ` for every neuron (the division dominated the step). Here a neuron with
//! `θ ≤ U < 2θ·(1 − 2⁻⁴⁰)` gets `min(1, max_spikes)` without dividing — for `θ > 0` the
//! rounded quotient then lies in `[1, 2)`, so `floor(U/θ)` is exactly 1 — and the division
//! runs only for registers in which some neuron is above that bound (bursts, or a
//! non-positive θ). Every other value is computed by the same f64 multiplies and adds in the
//! same order as the portable formulas (no fused multiply-add): the results are
//! bit-identical.

/// The per-step inputs shared by all neurons; every slice holds at least `n` values
/// (checked by [`forward_step`]).
pub(super) struct FwdRows<'a> {
    /// Synaptic decay `β` `[N]`, membrane decay `α` `[N]`, bias and threshold as f64 `[N]`.
    pub beta: &'a [f64],
    pub alpha: &'a [f64],
    pub bias: &'a [f64],
    pub thr: &'a [f64],
    /// [`one_spike_bound`] of each threshold `[N]`.
    pub thr_hi: &'a [f64],
    /// This step's recurrent input `[N]` (zeros without recurrence).
    pub rec: &'a [f32],
    /// This step's membrane noise `[N]`, if any.
    pub noise: Option<&'a [f32]>,
    /// 1 when the synaptic current carries over between steps, else 0.
    pub carry: f64,
    /// Spike cap per step (not NaN: `f64::min` and the vector minimum treat a NaN cap
    /// differently).
    pub max_spikes: f64,
}

/// Below this membrane (and at or above `θ`), `floor(U/θ)` is exactly 1 when `θ > 0`:
/// `2θ·(1 − 2⁻⁴⁰)`, so `U/θ < 2 − 2⁻³⁹` and its rounding stays below 2. For `θ ≤ 0` the
/// bound is at most `θ` and every spiking neuron takes the division.
pub(super) fn one_spike_bound(thr: f64) -> f64 {
    2.0 * thr * (1.0 - f64::powi(2.0, -40))
}

/// Whether [`forward_step`] can run here (x86-64 with AVX2; the adjoint step's requirement
/// too). With AVX-512 F it runs eight neurons per register rather than four.
pub(super) use super::simd::available;

/// The state and outputs of one step. `x` is this step's input row and `s` its spike row;
/// they may be the same row (the raster is written in place: each register's input is read
/// before its spikes are written), which is why they are pointers.
pub(super) struct FwdState<'a> {
    /// Synaptic current (in: `I[t-1]`, out: `I[t]`) and membrane (in: `V[t-1]`, out: `V[t]`).
    pub i: &'a mut [f64],
    pub v: &'a mut [f64],
    /// Where to store `A[t]` and `U[t]` as f32 (training keeps them for the backward).
    pub a: Option<&'a mut [f32]>,
    pub u: Option<&'a mut [f32]>,
    /// `n` readable input values and `n` writable spike values.
    pub x: *const f32,
    pub s: *mut f32,
}

/// One forward step for `n` neurons:
///
/// ```text
/// A = carry·I + x + rec;   I = β·A
/// U = α·V + I + bias (+ noise)
/// S = min(floor(U/θ), max_spikes) if U ≥ θ else 0
/// V = U − θ·S
/// ```
///
/// # Safety
/// `st.x` must be valid for reading and `st.s` for writing `n` f32 values (the same row, or
/// rows that do not overlap), and nothing else may access them during the call.
///
/// # Panics
/// If a slice is shorter than `n`, or [`available`] is false.
pub(super) unsafe fn forward_step(n: usize, r: &FwdRows<'_>, st: FwdState<'_>) {
    let rows = [r.beta, r.alpha, r.bias, r.thr, r.thr_hi];
    assert!(
        rows.iter().all(|x| x.len() >= n)
            && r.rec.len() >= n
            && r.noise.is_none_or(|x| x.len() >= n)
            && st.i.len() >= n
            && st.v.len() >= n
            && st.a.as_ref().is_none_or(|x| x.len() >= n)
            && st.u.as_ref().is_none_or(|x| x.len() >= n),
        "lif forward step: a row is shorter than {n}"
    );
    assert!(available(), "lif forward step: AVX2 is not available");
    assert!(
        !r.max_spikes.is_nan(),
        "lif forward step: the spike cap is NaN"
    );
    #[cfg(target_arch = "x86_64")]
    // SAFETY: AVX2 (and AVX-512 where taken) is present, every slice has at least `n`
    // elements (asserted), and the caller guarantees `n` values behind `x` and `s`.
    unsafe {
        if crate::nn::kernels::simd::avx512_available() {
            avx512::step(n, r, st)
        } else {
            avx2::step(n, r, st)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut st = st;
        for j in 0..n {
            // SAFETY: as above.
            unsafe { step_scalar(j, r, &mut st) };
        }
    }
}

/// The scalar formula for neuron `j` (the tail after the last full register), exactly the
/// portable forward's.
///
/// # Safety
/// `j < n` for the `n` of [`forward_step`]'s contract.
#[inline(always)]
unsafe fn step_scalar(j: usize, r: &FwdRows<'_>, st: &mut FwdState<'_>) {
    // SAFETY: `j < n` (caller).
    let xj = unsafe { *st.x.add(j) };
    let av = r.carry * st.i[j] + f64::from(xj) + f64::from(r.rec[j]);
    if let Some(a) = st.a.as_deref_mut() {
        a[j] = av as f32;
    }
    st.i[j] = r.beta[j] * av;
    let mut u = r.alpha[j] * st.v[j] + st.i[j] + r.bias[j];
    if let Some(nz) = r.noise {
        u += f64::from(nz[j]);
    }
    let th = r.thr[j];
    let s = if u >= th {
        (u / th).floor().min(r.max_spikes)
    } else {
        0.0
    };
    if let Some(uo) = st.u.as_deref_mut() {
        uo[j] = u as f32;
    }
    // SAFETY: `j < n` (caller); `x[j]` was read above.
    unsafe { *st.s.add(j) = s as f32 };
    st.v[j] = u - th * s;
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{FwdRows, FwdState, step_scalar};
    use std::arch::x86_64::*;

    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn step(n: usize, r: &FwdRows<'_>, mut st: FwdState<'_>) {
        // SAFETY (for every load and store below): `c + 4 <= n` and the caller guarantees
        // that every slice and pointer holds at least `n` values.
        unsafe {
            let carry = _mm256_set1_pd(r.carry);
            let max = _mm256_set1_pd(r.max_spikes);
            let one = _mm256_set1_pd(1.0f64.min(r.max_spikes));
            let main = n - n % 4;
            let mut c = 0;
            while c < main {
                let x = _mm256_cvtps_pd(_mm_loadu_ps(st.x.add(c)));
                let rec = _mm256_cvtps_pd(_mm_loadu_ps(r.rec.as_ptr().add(c)));
                let i_prev = _mm256_loadu_pd(st.i.as_ptr().add(c));
                let av = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(carry, i_prev), x), rec);
                if let Some(a) = st.a.as_deref_mut() {
                    _mm_storeu_ps(a.as_mut_ptr().add(c), _mm256_cvtpd_ps(av));
                }
                let i = _mm256_mul_pd(_mm256_loadu_pd(r.beta.as_ptr().add(c)), av);
                _mm256_storeu_pd(st.i.as_mut_ptr().add(c), i);
                let v_prev = _mm256_loadu_pd(st.v.as_ptr().add(c));
                let mut u = _mm256_add_pd(
                    _mm256_add_pd(
                        _mm256_mul_pd(_mm256_loadu_pd(r.alpha.as_ptr().add(c)), v_prev),
                        i,
                    ),
                    _mm256_loadu_pd(r.bias.as_ptr().add(c)),
                );
                if let Some(nz) = r.noise {
                    u = _mm256_add_pd(u, _mm256_cvtps_pd(_mm_loadu_ps(nz.as_ptr().add(c))));
                }
                let th = _mm256_loadu_pd(r.thr.as_ptr().add(c));
                // The compares are false for NaN, as `>=` is.
                let above = _mm256_cmp_pd::<_CMP_GE_OQ>(u, th);
                let high =
                    _mm256_cmp_pd::<_CMP_GE_OQ>(u, _mm256_loadu_pd(r.thr_hi.as_ptr().add(c)));
                let s = if _mm256_movemask_pd(high) == 0 {
                    // Every spiking neuron here is in [θ, bound): one spike (capped).
                    _mm256_and_pd(above, one)
                } else {
                    let q = _mm256_min_pd(_mm256_floor_pd(_mm256_div_pd(u, th)), max);
                    _mm256_and_pd(above, q)
                };
                if let Some(uo) = st.u.as_deref_mut() {
                    _mm_storeu_ps(uo.as_mut_ptr().add(c), _mm256_cvtpd_ps(u));
                }
                _mm_storeu_ps(st.s.add(c), _mm256_cvtpd_ps(s));
                _mm256_storeu_pd(
                    st.v.as_mut_ptr().add(c),
                    _mm256_sub_pd(u, _mm256_mul_pd(th, s)),
                );
                c += 4;
            }
            for j in main..n {
                step_scalar(j, r, &mut st);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{FwdRows, FwdState, step_scalar};
    use std::arch::x86_64::*;

    /// [`super::avx2::step`] with eight neurons per register.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn step(n: usize, r: &FwdRows<'_>, mut st: FwdState<'_>) {
        // SAFETY (for every load and store below): `c + 8 <= n` and the caller guarantees
        // that every slice and pointer holds at least `n` values.
        unsafe {
            let carry = _mm512_set1_pd(r.carry);
            let max = _mm512_set1_pd(r.max_spikes);
            let one = _mm512_set1_pd(1.0f64.min(r.max_spikes));
            let main = n - n % 8;
            let mut c = 0;
            while c < main {
                let x = _mm512_cvtps_pd(_mm256_loadu_ps(st.x.add(c)));
                let rec = _mm512_cvtps_pd(_mm256_loadu_ps(r.rec.as_ptr().add(c)));
                let i_prev = _mm512_loadu_pd(st.i.as_ptr().add(c));
                let av = _mm512_add_pd(_mm512_add_pd(_mm512_mul_pd(carry, i_prev), x), rec);
                if let Some(a) = st.a.as_deref_mut() {
                    _mm256_storeu_ps(a.as_mut_ptr().add(c), _mm512_cvtpd_ps(av));
                }
                let i = _mm512_mul_pd(_mm512_loadu_pd(r.beta.as_ptr().add(c)), av);
                _mm512_storeu_pd(st.i.as_mut_ptr().add(c), i);
                let v_prev = _mm512_loadu_pd(st.v.as_ptr().add(c));
                let mut u = _mm512_add_pd(
                    _mm512_add_pd(
                        _mm512_mul_pd(_mm512_loadu_pd(r.alpha.as_ptr().add(c)), v_prev),
                        i,
                    ),
                    _mm512_loadu_pd(r.bias.as_ptr().add(c)),
                );
                if let Some(nz) = r.noise {
                    u = _mm512_add_pd(u, _mm512_cvtps_pd(_mm256_loadu_ps(nz.as_ptr().add(c))));
                }
                let th = _mm512_loadu_pd(r.thr.as_ptr().add(c));
                // The compares are false for NaN, as `>=` is.
                let above = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(u, th);
                let high =
                    _mm512_cmp_pd_mask::<_CMP_GE_OQ>(u, _mm512_loadu_pd(r.thr_hi.as_ptr().add(c)));
                let s = if high == 0 {
                    _mm512_maskz_mov_pd(above, one)
                } else {
                    let q = _mm512_roundscale_pd::<{ _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC }>(
                        _mm512_div_pd(u, th),
                    );
                    _mm512_maskz_mov_pd(above, _mm512_min_pd(q, max))
                };
                if let Some(uo) = st.u.as_deref_mut() {
                    _mm256_storeu_ps(uo.as_mut_ptr().add(c), _mm512_cvtpd_ps(u));
                }
                _mm256_storeu_ps(st.s.add(c), _mm512_cvtpd_ps(s));
                _mm512_storeu_pd(
                    st.v.as_mut_ptr().add(c),
                    _mm512_sub_pd(u, _mm512_mul_pd(th, s)),
                );
                c += 8;
            }
            for j in main..n {
                step_scalar(j, r, &mut st);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The AVX2 and AVX-512 steps equal the scalar formula bit for bit: full registers and a
    /// tail, with and without noise, kept rows and carry, in place and not, with neurons
    /// below, at and far above threshold (multi-spike, capped), and non-finite membranes.
    #[test]
    fn vectorised_step_equals_the_scalar_formula() {
        if !available() {
            return;
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let n = 31;
        let mut row =
            |lo: f64, hi: f64| -> Vec<f64> { (0..n).map(|_| rng.random_range(lo..hi)).collect() };
        let (beta, alpha, thr) = (row(0.8, 1.0), row(0.8, 1.0), row(0.5, 1.5));
        let bias = row(-0.2, 0.5);
        let i0 = row(-1.0, 3.0);
        let mut v0 = row(-1.0, 6.0);
        v0[3] = f64::NAN;
        v0[9] = f64::INFINITY;
        let f32row = |v: Vec<f64>| -> Vec<f32> { v.into_iter().map(|x| x as f32).collect() };
        let x = f32row(row(-0.5, 2.0));
        let rec = f32row(row(-0.3, 0.3));
        let noise = f32row(row(-0.1, 0.1));
        for (with_noise, keep, carry, in_place, max) in [
            (false, false, 1.0, false, 65536.0),
            (true, true, 1.0, true, 65536.0),
            (false, true, 0.0, false, 2.0),
            (true, false, 1.0, true, 1.0),
        ] {
            let r = FwdRows {
                beta: &beta,
                alpha: &alpha,
                bias: &bias,
                thr: &thr,
                thr_hi: &thr.iter().map(|&t| one_spike_bound(t)).collect::<Vec<_>>(),
                rec: &rec,
                noise: with_noise.then_some(&noise[..]),
                carry,
                max_spikes: max,
            };
            // 0: the scalar formula; 1: the AVX2 step; 2: the best step for this CPU.
            let run = |how: u8| {
                let (mut i, mut v) = (i0.clone(), v0.clone());
                let (mut a, mut u) = (vec![f32::NAN; n], vec![f32::NAN; n]);
                let mut buf = x.clone();
                let mut s = vec![f32::NAN; n];
                let (xp, sp) = if in_place {
                    (buf.as_ptr(), buf.as_mut_ptr())
                } else {
                    (buf.as_ptr(), s.as_mut_ptr())
                };
                let mut st = FwdState {
                    i: &mut i,
                    v: &mut v,
                    a: keep.then_some(&mut a[..]),
                    u: keep.then_some(&mut u[..]),
                    x: xp,
                    s: sp,
                };
                // SAFETY: `buf` and `s` hold `n` values; no other access during the call.
                unsafe {
                    match how {
                        0 => {
                            for j in 0..n {
                                step_scalar(j, &r, &mut st);
                            }
                        }
                        #[cfg(target_arch = "x86_64")]
                        1 => avx2::step(n, &r, st),
                        _ => forward_step(n, &r, st),
                    }
                }
                let s = if in_place { buf } else { s };
                let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits() as u64).collect::<Vec<_>>();
                let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                [bits64(&i), bits64(&v), bits32(&a), bits32(&u), bits32(&s)]
            };
            let slow = run(0);
            for how in [1, 2] {
                let fast = run(how);
                for (k, (a, b)) in fast.iter().zip(&slow).enumerate() {
                    assert_eq!(
                        a, b,
                        "step {how}, output {k} (noise {with_noise}, keep {keep}, carry {carry})"
                    );
                }
            }
            // Both sides of the threshold, and multi-spike counts, were exercised.
            let s: Vec<f32> = slow[4].iter().map(|&b| f32::from_bits(b as u32)).collect();
            assert!(s.contains(&0.0) && s.iter().any(|&x| x >= 1.0));
            if max > 2.0 {
                assert!(s.iter().any(|&x| x >= 2.0), "{s:?}");
            }
        }
    }

    /// Membranes at the edges of the one-spike shortcut give the quotient's floor exactly:
    /// at θ, just below `2θ`, at `2θ`, at the bound and one step either side of it, for
    /// ordinary, tiny, zero and negative thresholds.
    #[test]
    fn one_spike_shortcut_is_exact_at_its_edges() {
        if !available() {
            return;
        }
        let thresholds = [1.0, 0.3, 0.7, 1e-3, 3.0e7, 0.0, -1.0, 1.5];
        let mut thr = Vec::new();
        let mut v0 = Vec::new();
        for &th in &thresholds {
            let hi = one_spike_bound(th);
            for u in [
                th,
                hi.next_down(),
                hi,
                hi.next_up(),
                (2.0 * th).next_down(),
                2.0 * th,
                th.next_down(),
                3.0 * th,
            ] {
                thr.push(th);
                v0.push(u);
            }
        }
        let n = thr.len();
        let ones = vec![1.0; n];
        let zeros = vec![0.0; n];
        let zeros32 = vec![0.0f32; n];
        // α = 1, no input, no bias, no carry: U = V[t-1] exactly.
        let r = FwdRows {
            beta: &ones,
            alpha: &ones,
            bias: &zeros,
            thr: &thr,
            thr_hi: &thr.iter().map(|&t| one_spike_bound(t)).collect::<Vec<_>>(),
            rec: &zeros32,
            noise: None,
            carry: 0.0,
            max_spikes: 65536.0,
        };
        for wide in [false, true] {
            let mut s = vec![f32::NAN; n];
            let mut v = v0.clone();
            let st = FwdState {
                i: &mut zeros.clone(),
                v: &mut v,
                a: None,
                u: None,
                x: zeros32.as_ptr(),
                s: s.as_mut_ptr(),
            };
            // SAFETY: both rows hold `n` values and are not otherwise accessed; AVX2 is present
            // (checked above).
            unsafe {
                if wide {
                    forward_step(n, &r, st)
                } else {
                    #[cfg(target_arch = "x86_64")]
                    avx2::step(n, &r, st)
                }
            };
            for j in 0..n {
                let (u, th) = (v0[j], thr[j]);
                let want = if u >= th {
                    (u / th).floor().min(65536.0)
                } else {
                    0.0
                };
                assert_eq!(s[j], want as f32, "U = {u:e}, θ = {th:e}");
                assert_eq!(v[j].to_bits(), (u - th * want).to_bits(), "V for U = {u:e}");
            }
            // The shortcut's bound is where the quotient's floor could first reach 2.
            assert_eq!(s[2], 1.0);
            assert!(s.contains(&2.0));
        }
    }
}
