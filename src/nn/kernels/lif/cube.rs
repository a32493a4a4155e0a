//! The fused LIF recurrence as CubeCL kernels, for the GPU backends (`wgpu`, `cuda`).
//!
//! Same equations and layouts as [`super::host_forward`] (see its module docs), in f32 on the
//! device: one kernel runs the whole forward sequence, another the adjoint recurrence in
//! reverse, so a layer costs two launches per training step whatever the sequence length.
//!
//! Work split: each batch element is one row of cubes (`CUBE_POS_Y`), each unit owns one or
//! more neurons and carries their state through time. Without recurrence the neurons are
//! independent, and the cubes along x cover them one unit per neuron. With recurrence every
//! step needs the previous step's spikes of the whole layer, so one cube holds a whole batch
//! element, its units stride over the neurons, and a storage barrier separates the steps.
//!
//! The running state (`V`, `I`, and the backward's `∂L/∂U`) lives in the state outputs and a
//! scratch buffer rather than in registers, because a unit may own several neurons; the
//! per-batch parameter gradients are written as `[B, ·]` partials and summed afterwards, and
//! the recurrent weight gradient is one matrix product `S[t-1]ᵀ·∂L/∂A` after the kernel.

// The `#[cube]` expansion names the `cubecl` crate.
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::tensor::CubeTensor;

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::Shape;

use super::config::LifOpConfig;
use crate::nn::kernels::cube::{empty, launch_layout, pack, prepared, unpack, zeros};
use crate::nn::surrogate::Surrogate;

/// Compile-time options of one kernel variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Flags {
    /// Synaptic current carries over.
    carry: bool,
    /// Recurrent weights in use.
    rec: bool,
    /// Membrane noise in use.
    noise: bool,
    /// Write the `vmem`, `isyn`, `irec` records.
    record: bool,
    /// First output is `[spikes, vmem, isyn]` along the last axis.
    traces: bool,
    /// Keep `U` and `A` for the backward.
    keep: bool,
    /// Surrogate kind (0 StepPWL, 1 periodic exponential, 2 fast sigmoid, 3 sigmoid, 4 arctan).
    surrogate: u32,
}

/// The surrogate kind and its shape parameter (window or slope).
fn surrogate_code(s: Surrogate) -> (u32, f32) {
    match s {
        Surrogate::StepPwl { window } => (0, window),
        Surrogate::PeriodicExponential { window } => (1, window),
        Surrogate::FastSigmoid { slope } => (2, slope),
        Surrogate::Sigmoid { slope } => (3, slope),
        Surrogate::Arctan { slope } => (4, slope),
    }
}

/// `(∂S/∂U, ∂S/∂θ)` of the surrogate at membrane `u`, threshold `th` (as
/// [`Surrogate::grads`]).
#[cube]
fn surrogate_grads(
    u: f32,
    th: f32,
    shape: f32,
    max_spikes: f32,
    #[comptime] kind: u32,
) -> (f32, f32) {
    if comptime![kind == 0] {
        let mut du = 0.0f32;
        if u >= th - shape {
            du = 1.0f32 / th;
        }
        (du, -u * du / th)
    } else if comptime![kind == 1] {
        let v = u - th / 2.0f32;
        let mut p = v;
        if u >= th {
            let k = f32::min(f32::floor(v / th), max_spikes - 1.0f32);
            p = v - k * th;
        }
        let pdf = f32::exp(-f32::abs(p - th / 2.0f32) / shape) / th;
        (pdf, -pdf * u / th)
    } else if comptime![kind == 2] {
        let q = 1.0f32 + shape * f32::abs(u - th);
        let d = 1.0f32 / (q * q);
        (d, -d)
    } else if comptime![kind == 3] {
        let s = 1.0f32 / (1.0f32 + f32::exp(-shape * (u - th)));
        let d = shape * s * (1.0f32 - s);
        (d, -d)
    } else {
        let z = 1.570_796_4f32 * shape * (u - th);
        let d = (shape / 2.0f32) / (1.0f32 + z * z);
        (d, -d)
    }
}

/// Offsets into the packed buffers (WebGPU caps the storage buffers of one kernel, at 8 by
/// default and 16 on some adapters, so inputs and outputs travel packed, flat):
///
/// - `par`: `leak_mem` `[N]`, `leak_syn` `[N·S]`, `thr` `[N]`, `bias` `[N]`, `w_rec` `[N, N·S]`;
/// - `init`: `v0` `[B, N]`, `i0` `[B, N·S]`, `s0` `[B, N]`, `noise` `[B, T, N]`;
/// - `recs`: `vmem` `[B, T, N]`, `isyn` `[B, T, N·S]`, `irec` `[B, T, N·S]`;
/// - `state`: `v_last` `[B, N]`, `i_last` `[B, N·S]`, `s_last` `[B, N]`;
/// - `ua`: `U` `[B, T, N]`, `A` `[B, T, N·S]`;
/// - `gpar` (per batch row of `4N + N·S`): `∂α`, `∂θ`, `∂bias`, `∂β`, then scratch `∂L/∂U`.
#[derive(Clone, Copy, Debug)]
struct Packing {
    b: usize,
    t: usize,
    n: usize,
    ns: usize,
}

impl Packing {
    fn par(&self, rec: bool) -> [usize; 5] {
        let (n, ns) = (self.n, self.ns);
        [n, ns, n, n, if rec { n * ns } else { 0 }]
    }
    fn init(&self, noise: bool) -> [usize; 4] {
        let (b, t, n, ns) = (self.b, self.t, self.n, self.ns);
        [b * n, b * ns, b * n, if noise { b * t * n } else { 0 }]
    }
    fn recs(&self) -> [usize; 3] {
        let (bt, n, ns) = (self.b * self.t, self.n, self.ns);
        [bt * n, bt * ns, bt * ns]
    }
    fn state(&self) -> [usize; 3] {
        let (b, n, ns) = (self.b, self.n, self.ns);
        [b * n, b * ns, b * n]
    }
    fn ua(&self) -> [usize; 2] {
        let (bt, n, ns) = (self.b * self.t, self.n, self.ns);
        [bt * n, bt * ns]
    }
}

/// The forward recurrence (see the module docs for the work split and [`Packing`] for the
/// buffers). `first` is `[B, T, W]` with `W = N` (spikes) or `2N + N·S` (spikes, vmem, isyn);
/// the state buffer carries `V`, `I` between steps.
#[cube(launch)]
// A compile-time condition cannot join a runtime one in one `if`.
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
fn lif_forward_kernel(
    x: &Tensor<f32>,
    par: &Tensor<f32>,
    init: &Tensor<f32>,
    first: &mut Tensor<f32>,
    recs: &mut Tensor<f32>,
    state: &mut Tensor<f32>,
    ua: &mut Tensor<f32>,
    b_len: u32,
    t_len: u32,
    n_neurons: u32,
    n_syn: u32,
    max_spikes: f32,
    #[comptime] flags: Flags,
) {
    let b = CUBE_POS_Y as usize;
    let bs = b_len as usize;
    let t_len = t_len as usize;
    let n = n_neurons as usize;
    let syn = n_syn as usize;
    let ns = n * syn;
    let mut w = n;
    if comptime![flags.traces] {
        w = 2 * n + ns;
    }
    // Offsets (see `Packing`).
    let (p_lsyn, p_thr, p_bias, p_w) = (n, n + ns, 2 * n + ns, 3 * n + ns);
    let (o_i0, o_s0, o_noise) = (bs * n, bs * n + bs * ns, 2 * bs * n + bs * ns);
    let (o_isyn, o_irec) = (bs * t_len * n, bs * t_len * (n + ns));
    let (o_i, o_s) = (bs * n, bs * (n + ns));
    let o_a = bs * t_len * n;
    let start = (CUBE_POS_X * CUBE_DIM_X + UNIT_POS_X) as usize;
    let stride = (CUBE_COUNT_X * CUBE_DIM_X) as usize;
    let mut carry = 0.0f32;
    if comptime![flags.carry] {
        carry = 1.0f32;
    }

    let mut j = start;
    while j < n {
        state[b * n + j] = init[b * n + j];
        for s in 0..syn {
            state[o_i + b * ns + j * syn + s] = init[o_i0 + b * ns + j * syn + s];
        }
        j += stride;
    }
    // Without recurrence a unit owns at most one neuron (`start`): its membrane stays in a
    // register; with recurrence it lives in the state buffer.
    let mut v_reg = 0.0f32;
    if start < n {
        v_reg = init[b * n + start];
    }

    for step in 0..t_len {
        let row = b * t_len + step;
        if comptime![flags.rec] {
            // The previous step's spikes of every unit of the cube are written.
            sync_storage();
        }
        let mut j = start;
        while j < n {
            let mut isum = 0.0f32;
            for s in 0..syn {
                let k = j * syn + s;
                let mut r = 0.0f32;
                if comptime![flags.rec] {
                    for m in 0..n {
                        let sm = if step == 0 {
                            init[o_s0 + b * n + m]
                        } else {
                            first[(row - 1) * w + m]
                        };
                        if sm != 0.0f32 {
                            r += sm * par[p_w + m * ns + k];
                        }
                    }
                }
                if comptime![flags.record] {
                    recs[o_irec + row * ns + k] = r;
                }
                let av = carry * state[o_i + b * ns + k] + x[row * ns + k] + r;
                if comptime![flags.keep] {
                    ua[o_a + row * ns + k] = av;
                }
                let iv = (1.0f32 - par[p_lsyn + k]) * av;
                state[o_i + b * ns + k] = iv;
                if comptime![flags.record] {
                    recs[o_isyn + row * ns + k] = iv;
                }
                if comptime![flags.traces] {
                    first[row * w + 2 * n + k] = iv;
                }
                isum += iv;
            }
            let mut v_prev = v_reg;
            if comptime![flags.rec] {
                v_prev = state[b * n + j];
            }
            let mut u = (1.0f32 - par[j]) * v_prev + isum + par[p_bias + j];
            if comptime![flags.noise] {
                u += init[o_noise + row * n + j];
            }
            let th = par[p_thr + j];
            let mut sj = 0.0f32;
            if u >= th {
                sj = f32::min(f32::floor(u / th), max_spikes);
            }
            let v = u - th * sj;
            if comptime![flags.rec] {
                state[b * n + j] = v;
            } else {
                v_reg = v;
            }
            first[row * w + j] = sj;
            if comptime![flags.keep] {
                ua[row * n + j] = u;
            }
            if comptime![flags.record] {
                recs[row * n + j] = v;
            }
            if comptime![flags.traces] {
                first[row * w + n + j] = v;
            }
            j += stride;
        }
    }

    if comptime![!flags.rec] {
        if start < n {
            state[b * n + start] = v_reg;
        }
    }
    let mut j = start;
    while j < n {
        if t_len == 0 {
            state[o_s + b * n + j] = init[o_s0 + b * n + j];
        } else {
            state[o_s + b * n + j] = first[((b + 1) * t_len - 1) * w + j];
        }
        j += stride;
    }
}

/// The adjoint recurrence, backwards in time (see the module docs, and [`Packing`] for the
/// buffers). `g_first` is `∂L/∂first` `[B, T, W]`; `gx` `[B, T, N·S]` receives `∂L/∂A`
/// (= `∂L/∂x`); `gpar` receives the per-batch partial gradients (with respect to the decays).
#[cube(launch)]
// A compile-time condition cannot join a runtime one in one `if`.
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
fn lif_backward_kernel(
    par: &Tensor<f32>,
    v0: &Tensor<f32>,
    first: &Tensor<f32>,
    ua: &Tensor<f32>,
    g_first: &Tensor<f32>,
    gx: &mut Tensor<f32>,
    gpar: &mut Tensor<f32>,
    b_len: u32,
    t_len: u32,
    n_neurons: u32,
    n_syn: u32,
    max_spikes: f32,
    shape: f32,
    #[comptime] flags: Flags,
) {
    let b = CUBE_POS_Y as usize;
    let bs = b_len as usize;
    let t_len = t_len as usize;
    let n = n_neurons as usize;
    let syn = n_syn as usize;
    let ns = n * syn;
    let mut w = n;
    if comptime![flags.traces] {
        w = 2 * n + ns;
    }
    let (p_lsyn, p_thr, p_w) = (n, n + ns, 3 * n + ns);
    let o_a = bs * t_len * n;
    // This batch's row of partial gradients.
    let g0 = b * (4 * n + ns);
    let (g_thr, g_bias, g_beta, g_u) = (g0 + n, g0 + 2 * n, g0 + 3 * n, g0 + 3 * n + ns);
    let start = (CUBE_POS_X * CUBE_DIM_X + UNIT_POS_X) as usize;
    let stride = (CUBE_COUNT_X * CUBE_DIM_X) as usize;
    let mut carry = 0.0f32;
    if comptime![flags.carry] {
        carry = 1.0f32;
    }

    let mut j = start;
    while j < n {
        gpar[g0 + j] = 0.0f32;
        gpar[g_thr + j] = 0.0f32;
        gpar[g_bias + j] = 0.0f32;
        gpar[g_u + j] = 0.0f32;
        for s in 0..syn {
            gpar[g_beta + j * syn + s] = 0.0f32;
        }
        j += stride;
    }

    // Without recurrence a unit owns at most one neuron (`start`): ∂L/∂U[t+1] and the
    // parameter sums stay in registers; with recurrence they live in `gpar`.
    let mut gu_reg = 0.0f32;
    let mut galpha_reg = 0.0f32;
    let mut gthr_reg = 0.0f32;
    let mut gbias_reg = 0.0f32;

    for rev in 0..t_len {
        let step = t_len - 1 - rev;
        let row = b * t_len + step;
        let last = step + 1 == t_len;
        if comptime![flags.rec] {
            // The next step's ∂L/∂A of every unit of the cube is written.
            sync_storage();
        }
        let mut j = start;
        while j < n {
            let u = ua[row * n + j];
            let th = par[p_thr + j];
            let alpha = 1.0f32 - par[j];
            // ∂L/∂S[t]: the output, plus the recurrent path into A[t+1].
            let mut gs = g_first[row * w + j];
            if comptime![flags.rec] {
                if !last {
                    let mut dot = 0.0f32;
                    for k in 0..ns {
                        dot += par[p_w + j * ns + k] * gx[(row + 1) * ns + k];
                    }
                    gs += dot;
                }
            }
            // V[t-1], which alpha multiplies into U[t].
            let v_prev = if step == 0 {
                v0[b * n + j]
            } else {
                ua[(row - 1) * n + j] - th * first[(row - 1) * w + j]
            };
            // ∂L/∂V[t]: through U[t+1], plus a direct membrane loss.
            let mut gu_next = gu_reg;
            if comptime![flags.rec] {
                gu_next = gpar[g_u + j];
            }
            let mut gv = alpha * gu_next;
            if comptime![flags.traces] {
                gv += g_first[row * w + n + j];
            }
            let (du, dth) = surrogate_grads(u, th, shape, max_spikes, flags.surrogate);
            let through_s = gs - th * gv;
            let guj = gv + through_s * du;
            let dthr = through_s * dth - gv * first[row * w + j];
            if comptime![flags.rec] {
                gpar[g_thr + j] += dthr;
                gpar[g_bias + j] += guj;
                gpar[g0 + j] += guj * v_prev;
                gpar[g_u + j] = guj;
            } else {
                gthr_reg += dthr;
                gbias_reg += guj;
                galpha_reg += guj * v_prev;
                gu_reg = guj;
            }
            // I[t] feeds A[t+1] (with the carry) and U[t].
            for s in 0..syn {
                let k = j * syn + s;
                let mut gi = guj;
                if !last {
                    gi += carry * gx[(row + 1) * ns + k];
                }
                if comptime![flags.traces] {
                    gi += g_first[row * w + 2 * n + k];
                }
                gx[row * ns + k] = (1.0f32 - par[p_lsyn + k]) * gi;
                gpar[g_beta + k] += gi * ua[o_a + row * ns + k];
            }
            j += stride;
        }
    }
    if comptime![!flags.rec] {
        if start < n {
            gpar[g0 + start] = galpha_reg;
            gpar[g_thr + start] = gthr_reg;
            gpar[g_bias + start] = gbias_reg;
        }
    }
}

/// The packed parameters `[leak_mem, leak_syn, thr, bias, w_rec]`.
fn pack_par(p: Packing, par: [CubeTensor; 5], rec: bool) -> CubeTensor {
    pack(par.into_iter().zip(p.par(rec)).collect())
}

/// The forward's outputs on the device: `first`, `vmem`, `isyn`, `irec`, `v_last`, `i_last`,
/// `s_last`, then the packed `[U, A]` (see [`Packing`]; a `[1]` placeholder unless kept).
pub(super) type Forward = [CubeTensor; 8];

/// Runs the forward kernel. `keep`: keep `U` and `A` for the backward.
pub(super) fn forward(inputs: [CubeTensor; 10], cfg: LifOpConfig, keep: bool) -> Forward {
    let names = [
        "x", "leak_mem", "leak_syn", "thr", "bias", "w_rec", "noise", "v0", "i0", "s0",
    ];
    let mut it = inputs.into_iter().zip(names).map(|(t, w)| prepared(t, w));
    let mut next = || it.next().expect("ten inputs");
    let [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0] =
        std::array::from_fn(|_| next());
    let [b, t, ns] = x.shape().dims::<3>();
    let n = ns / cfg.options.n_syn;
    let p = Packing { b, t, n, ns };
    let w = if cfg.options.differentiable_traces {
        2 * n + ns
    } else {
        n
    };
    let par = pack_par(p, [leak_mem, leak_syn, thr, bias, w_rec], cfg.has_rec);
    let init = pack(
        [v0, i0, s0, noise]
            .into_iter()
            .zip(p.init(cfg.has_noise))
            .collect(),
    );
    let first = empty(&x, b * t * w);
    let recs = empty(
        &x,
        if cfg.options.record_states {
            p.recs().iter().sum()
        } else {
            1
        },
    );
    let state = empty(&x, p.state().iter().sum());
    let ua = empty(&x, if keep { p.ua().iter().sum() } else { 1 });
    if b * n > 0 {
        let (count, dim) = launch_layout(&x, b, n, cfg.has_rec);
        let client = x.client.clone();
        lif_forward_kernel::launch(
            &client,
            count,
            dim,
            x.into_tensor_arg(),
            par.into_tensor_arg(),
            init.into_tensor_arg(),
            first.clone().into_tensor_arg(),
            recs.clone().into_tensor_arg(),
            state.clone().into_tensor_arg(),
            ua.clone().into_tensor_arg(),
            b as u32,
            t as u32,
            n as u32,
            cfg.options.n_syn as u32,
            cfg.options.max_spikes,
            flags(cfg, keep),
        );
    }
    let first = CubeBackend::float_reshape(first, Shape::from(vec![b, t, w]));
    let [vmem, isyn, irec]: [CubeTensor; 3] = if cfg.options.record_states {
        let parts = unpack(recs, vec![vec![b, t, n], vec![b, t, ns], vec![b, t, ns]]);
        parts.try_into().expect("three records")
    } else {
        std::array::from_fn(|_| zeros(&first, vec![1, 1, 1]))
    };
    let [v_last, i_last, s_last]: [CubeTensor; 3] =
        unpack(state, vec![vec![b, n], vec![b, ns], vec![b, n]])
            .try_into()
            .expect("three states");
    [first, vmem, isyn, irec, v_last, i_last, s_last, ua]
}

fn flags(cfg: LifOpConfig, keep: bool) -> Flags {
    Flags {
        carry: cfg.options.carry_synaptic_current,
        rec: cfg.has_rec,
        noise: cfg.has_noise,
        record: cfg.options.record_states,
        traces: cfg.options.differentiable_traces,
        keep,
        surrogate: surrogate_code(cfg.options.surrogate).0,
    }
}

/// Gradients of the adjoint: `x` `[B, T, N·S]`, `leak_mem` `[N]`, `leak_syn` `[N·S]`, `thr`
/// `[N]`, `bias` `[N]`, `w_rec` `[N, N·S]` (`[1, 1]` zeros without recurrence).
pub(super) type Grads = [CubeTensor; 6];

/// Runs the adjoint kernel and the reductions. `params` = `leak_mem`, `leak_syn`, `thr`,
/// `w_rec`, `v0`, `s0`; `first` and the packed `ua` from [`forward`] (kept); `g_first` is
/// `∂L/∂first`.
pub(super) fn backward(
    params: [CubeTensor; 6],
    first: CubeTensor,
    ua: CubeTensor,
    g_first: CubeTensor,
    cfg: LifOpConfig,
) -> Grads {
    let names = ["leak_mem", "leak_syn", "thr", "w_rec", "v0", "s0"];
    let mut it = params.into_iter().zip(names).map(|(t, w)| prepared(t, w));
    let mut next = || it.next().expect("six parameters");
    let [leak_mem, leak_syn, thr, w_rec, v0, s0] = std::array::from_fn(|_| next());
    let (first, ua, g_first) = (
        prepared(first, "spikes"),
        prepared(ua, "U and A"),
        prepared(g_first, "output gradient"),
    );
    let [b, t, _] = first.shape().dims::<3>();
    let n = leak_mem.shape().num_elements();
    let ns = n * cfg.options.n_syn;
    let p = Packing { b, t, n, ns };
    let bias = zeros(&first, vec![n]);
    let par = pack_par(p, [leak_mem, leak_syn, thr, bias, w_rec], cfg.has_rec);
    let gx = empty(&first, b * t * ns);
    let gpar = empty(&first, b * (4 * n + ns));
    if b * n > 0 {
        let (count, dim) = launch_layout(&first, b, n, cfg.has_rec);
        let client = first.client.clone();
        lif_backward_kernel::launch(
            &client,
            count,
            dim,
            par.into_tensor_arg(),
            v0.into_tensor_arg(),
            first.clone().into_tensor_arg(),
            ua.into_tensor_arg(),
            g_first.into_tensor_arg(),
            gx.clone().into_tensor_arg(),
            gpar.clone().into_tensor_arg(),
            b as u32,
            t as u32,
            n as u32,
            cfg.options.n_syn as u32,
            cfg.options.max_spikes,
            surrogate_code(cfg.options.surrogate).1,
            flags(cfg, true),
        );
    }
    // Sum the per-batch partials; ∂/∂leak = −∂/∂decay.
    let gpar = if b > 0 {
        let rows = CubeBackend::float_reshape(gpar, Shape::from(vec![b, 4 * n + ns]));
        CubeBackend::float_sum_dim(rows, 0)
    } else {
        zeros(&first, vec![4 * n + ns])
    };
    // The scratch `∂L/∂U` at the end of each row is not read back.
    let [galpha, gthr, gbias, gbeta]: [CubeTensor; 4] =
        unpack(gpar, vec![vec![n], vec![n], vec![n], vec![ns]])
            .try_into()
            .expect("four gradients");
    let gx = CubeBackend::float_reshape(gx, Shape::from(vec![b, t, ns]));
    let g_w = if cfg.has_rec && b * t > 0 {
        // ∂L/∂W[m, k] = Σ_{b,t} S[b, t-1, m]·∂L/∂A[b, t, k], with S[b, -1] = s0.
        let spikes =
            CubeBackend::float_slice(first, &[(0..b).into(), (0..t).into(), (0..n).into()]);
        let s0 = CubeBackend::float_reshape(s0, Shape::from(vec![b, 1, n]));
        let prev = if t > 1 {
            let head = CubeBackend::float_slice(
                spikes,
                &[(0..b).into(), (0..t - 1).into(), (0..n).into()],
            );
            CubeBackend::float_cat(vec![s0, head], 1)
        } else {
            s0
        };
        let prev = CubeBackend::float_reshape(prev, Shape::from(vec![b * t, n]));
        let prev_t = CubeBackend::float_swap_dims(prev, 0, 1);
        let ga = CubeBackend::float_reshape(gx.clone(), Shape::from(vec![b * t, ns]));
        CubeBackend::float_matmul(prev_t, ga)
    } else if cfg.has_rec {
        zeros(&gx, vec![n, ns])
    } else {
        zeros(&gx, vec![1, 1])
    };
    [
        gx,
        CubeBackend::float_neg(galpha),
        CubeBackend::float_neg(gbeta),
        gthr,
        gbias,
        g_w,
    ]
}
