//! The fused Rate recurrence as CubeCL kernels, for the GPU backends (`wgpu`, `cuda`).
//!
//! Same equations and layouts as [`super::host_forward`] (see its module docs), in f32 on the
//! device, with the launch layout of `kernels::cube`: each batch element is one row of cubes,
//! each unit carries one or more neurons through time; with recurrence one cube holds a whole
//! batch element and a storage barrier separates the steps. `∂L/∂W_rec` is one matrix product
//! after the adjoint kernel.

// The `#[cube]` expansion names the `cubecl` crate.
use burn_cubecl::CubeBackend;
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::prelude::*;
use burn_cubecl::tensor::CubeTensor;

use burn::backend::TensorMetadata;
use burn::backend::ops::FloatTensorOps;
use burn::tensor::Shape;

use super::config::RateOpConfig;
use crate::nn::activation::Activation;
use crate::nn::kernels::cube::{empty, launch_layout, pack, prepared, unpack, zeros};

/// Compile-time options of one kernel variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Flags {
    /// Recurrent weights in use.
    rec: bool,
    /// Noise in use.
    noise: bool,
    /// Write the `x` and `rec_input` records.
    record: bool,
    /// Keep `x` and `d` for the backward.
    keep: bool,
    /// Activation (0 ReLU, 1 tanh, 2 sigmoid `(tanh + 1)/2`).
    act: u32,
}

fn flags(cfg: RateOpConfig, keep: bool) -> Flags {
    Flags {
        rec: cfg.has_rec,
        noise: cfg.has_noise,
        record: cfg.options.record_states,
        keep,
        act: match cfg.options.activation {
            Activation::Relu => 0,
            Activation::Tanh => 1,
            Activation::Sigmoid => 2,
        },
    }
}

/// `(H(z), H'(z))` (as [`Activation::value`], [`Activation::derivative`]).
#[cube]
fn activation(z: f32, #[comptime] act: u32) -> (f32, f32) {
    if comptime![act == 0] {
        let mut h = 0.0f32;
        let mut d = 0.0f32;
        if z > 0.0f32 {
            h = z;
            d = 1.0f32;
        }
        (h, d)
    } else if comptime![act == 1] {
        let th = f32::tanh(z);
        (th, 1.0f32 - th * th)
    } else {
        let th = f32::tanh(z);
        ((th + 1.0f32) * 0.5f32, (1.0f32 - th * th) * 0.5f32)
    }
}

/// The forward recurrence. Packed buffers: `par` = `a` `[N]`, `bias` `[N]`, `thr` `[N]`,
/// `w_rec` `[N, N]`; `init` = `x0` `[B, N]`, `noise` `[B, T, N]`; `recs` = `x`, `r`
/// `[B, T, N]` each; `kept` = `x`, `d` `[B, T, N]` each. `x_last` carries the state.
#[cube(launch)]
// A compile-time condition cannot join a runtime one in one `if`.
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
fn rate_forward_kernel(
    input: &Tensor<f32>,
    par: &Tensor<f32>,
    init: &Tensor<f32>,
    y: &mut Tensor<f32>,
    recs: &mut Tensor<f32>,
    x_last: &mut Tensor<f32>,
    kept: &mut Tensor<f32>,
    b_len: u32,
    t_len: u32,
    n_neurons: u32,
    #[comptime] flags: Flags,
) {
    let b = CUBE_POS_Y as usize;
    let bs = b_len as usize;
    let t_len = t_len as usize;
    let n = n_neurons as usize;
    let (p_bias, p_thr, p_w) = (n, 2 * n, 3 * n);
    let seq = bs * t_len * n;
    let start = (CUBE_POS_X * CUBE_DIM_X + UNIT_POS_X) as usize;
    let stride = (CUBE_COUNT_X * CUBE_DIM_X) as usize;

    let mut j = start;
    while j < n {
        x_last[b * n + j] = init[b * n + j];
        j += stride;
    }
    // Without recurrence a unit owns at most one neuron (`start`): its state stays in a
    // register; with recurrence it lives in `x_last`.
    let mut x_reg = 0.0f32;
    if start < n {
        x_reg = init[b * n + start];
    }
    for step in 0..t_len {
        let row = b * t_len + step;
        if comptime![flags.rec] {
            // The previous step's outputs of every unit of the cube are written.
            sync_storage();
        }
        let mut j = start;
        while j < n {
            let mut r = 0.0f32;
            if comptime![flags.rec] {
                for m in 0..n {
                    let h = if step == 0 {
                        activation(init[b * n + m] - par[p_thr + m], flags.act).0
                    } else {
                        y[(row - 1) * n + m]
                    };
                    r += h * par[p_w + m * n + j];
                }
            }
            let mut drive = input[row * n + j] + par[p_bias + j] + r;
            if comptime![flags.noise] {
                drive += init[bs * n + row * n + j];
            }
            let mut xp = x_reg;
            if comptime![flags.rec] {
                xp = x_last[b * n + j];
            }
            let d = drive - xp;
            let x = xp + par[j] * d;
            if comptime![flags.rec] {
                x_last[b * n + j] = x;
            } else {
                x_reg = x;
            }
            y[row * n + j] = activation(x - par[p_thr + j], flags.act).0;
            if comptime![flags.keep] {
                kept[row * n + j] = x;
                kept[seq + row * n + j] = d;
            }
            if comptime![flags.record] {
                recs[row * n + j] = x;
                recs[seq + row * n + j] = r;
            }
            j += stride;
        }
    }
    if comptime![!flags.rec] {
        if start < n {
            x_last[b * n + start] = x_reg;
        }
    }
}

/// The adjoint recurrence (see [`super::host_backward`]). `g_in` `[B, T, N]` receives `∂L/∂i`
/// (= `gd`); `gpar` the per-batch partials, rows of `4N`: `∂a`, `∂bias`, `∂θ`, scratch
/// `gx[t+1]`; `x0out` = `∂L/∂x0` `[B, N]`, then `H(x0 − θ)` `[B, N]` (for `∂L/∂W_rec`).
#[cube(launch)]
// A compile-time condition cannot join a runtime one in one `if`.
#[allow(clippy::too_many_arguments, clippy::collapsible_if)]
fn rate_backward_kernel(
    par: &Tensor<f32>,
    init: &Tensor<f32>,
    kept: &Tensor<f32>,
    g_y: &Tensor<f32>,
    g_in: &mut Tensor<f32>,
    gpar: &mut Tensor<f32>,
    x0out: &mut Tensor<f32>,
    b_len: u32,
    t_len: u32,
    n_neurons: u32,
    #[comptime] flags: Flags,
) {
    let b = CUBE_POS_Y as usize;
    let bs = b_len as usize;
    let t_len = t_len as usize;
    let n = n_neurons as usize;
    let (p_thr, p_w) = (2 * n, 3 * n);
    let seq = bs * t_len * n;
    let g0 = b * 4 * n;
    let (g_bias, g_thr, g_x) = (g0 + n, g0 + 2 * n, g0 + 3 * n);
    let start = (CUBE_POS_X * CUBE_DIM_X + UNIT_POS_X) as usize;
    let stride = (CUBE_COUNT_X * CUBE_DIM_X) as usize;

    let mut j = start;
    while j < n {
        gpar[g0 + j] = 0.0f32;
        gpar[g_bias + j] = 0.0f32;
        gpar[g_thr + j] = 0.0f32;
        gpar[g_x + j] = 0.0f32;
        j += stride;
    }
    // Without recurrence a unit owns at most one neuron (`start`): gx[t+1] and the parameter
    // sums stay in registers; with recurrence they live in `gpar`.
    let mut gx_reg = 0.0f32;
    let mut ga_reg = 0.0f32;
    let mut gbias_reg = 0.0f32;
    let mut gthr_reg = 0.0f32;
    for rev in 0..t_len {
        let step = t_len - 1 - rev;
        let row = b * t_len + step;
        let last = step + 1 == t_len;
        if comptime![flags.rec] {
            // The next step's ∂L/∂(drive) of every unit of the cube is written.
            sync_storage();
        }
        let mut j = start;
        while j < n {
            let x = kept[row * n + j];
            let hd = activation(x - par[p_thr + j], flags.act).1;
            let mut g = g_y[row * n + j];
            if comptime![flags.rec] {
                if !last {
                    let mut dot = 0.0f32;
                    for k in 0..n {
                        dot += par[p_w + j * n + k] * g_in[(row + 1) * n + k];
                    }
                    g += dot;
                }
            }
            let gz = hd * g;
            let a = par[j];
            let mut gx_next = gx_reg;
            if comptime![flags.rec] {
                gx_next = gpar[g_x + j];
            }
            let gx = gz + (1.0f32 - a) * gx_next;
            let gd = a * gx;
            g_in[row * n + j] = gd;
            let dga = gx * kept[seq + row * n + j];
            if comptime![flags.rec] {
                gpar[g0 + j] += dga;
                gpar[g_bias + j] += gd;
                gpar[g_thr + j] -= gz;
                gpar[g_x + j] = gx;
            } else {
                ga_reg += dga;
                gbias_reg += gd;
                gthr_reg -= gz;
                gx_reg = gx;
            }
            j += stride;
        }
    }
    if comptime![flags.rec] {
        sync_storage();
    } else {
        if start < n {
            gpar[g0 + start] = ga_reg;
            gpar[g_bias + start] = gbias_reg;
            gpar[g_thr + start] = gthr_reg;
            gpar[g_x + start] = gx_reg;
        }
    }
    // The initial state: through the first step's increment and recurrent drive.
    let mut j = start;
    while j < n {
        let (h0, hd0) = activation(init[b * n + j] - par[p_thr + j], flags.act);
        let mut gz0 = 0.0f32;
        if comptime![flags.rec] {
            if t_len > 0 {
                let mut dot = 0.0f32;
                for k in 0..n {
                    dot += par[p_w + j * n + k] * g_in[b * t_len * n + k];
                }
                gz0 = hd0 * dot;
            }
        }
        x0out[b * n + j] = gz0 + (1.0f32 - par[j]) * gpar[g_x + j];
        x0out[bs * n + b * n + j] = h0;
        gpar[g_thr + j] -= gz0;
        j += stride;
    }
}

/// The forward's outputs on the device: `y`, `x`, `rec_input`, `x_last`, then the packed
/// `[x, d]` (a `[1]` placeholder unless kept).
pub(super) type Forward = [CubeTensor; 5];

/// Runs the forward kernel; `inputs` = `input`, `a`, `bias`, `thr`, `w_rec`, `noise`, `x0`.
pub(super) fn forward(inputs: [CubeTensor; 7], cfg: RateOpConfig, keep: bool) -> Forward {
    let names = ["input", "a", "bias", "thr", "w_rec", "noise", "x0"];
    let mut it = inputs.into_iter().zip(names).map(|(t, w)| prepared(t, w));
    let mut next = || it.next().expect("seven inputs");
    let [input, a, bias, thr, w_rec, noise, x0] = std::array::from_fn(|_| next());
    let [b, t, n] = input.shape().dims::<3>();
    let seq = b * t * n;
    let par = pack(vec![
        (a, n),
        (bias, n),
        (thr, n),
        (w_rec, if cfg.has_rec { n * n } else { 0 }),
    ]);
    let init = pack(vec![
        (x0, b * n),
        (noise, if cfg.has_noise { seq } else { 0 }),
    ]);
    let y = empty(&input, seq);
    let recs = empty(
        &input,
        if cfg.options.record_states {
            2 * seq
        } else {
            1
        },
    );
    let x_last = empty(&input, b * n);
    let kept = empty(&input, if keep { 2 * seq } else { 1 });
    if b * n > 0 {
        let (count, dim) = launch_layout(&input, b, n, cfg.has_rec);
        let client = input.client.clone();
        rate_forward_kernel::launch(
            &client,
            count,
            dim,
            input.into_tensor_arg(),
            par.into_tensor_arg(),
            init.into_tensor_arg(),
            y.clone().into_tensor_arg(),
            recs.clone().into_tensor_arg(),
            x_last.clone().into_tensor_arg(),
            kept.clone().into_tensor_arg(),
            b as u32,
            t as u32,
            n as u32,
            flags(cfg, keep),
        );
    }
    let y = CubeBackend::float_reshape(y, Shape::from(vec![b, t, n]));
    let [x, rec]: [CubeTensor; 2] = if cfg.options.record_states {
        unpack(recs, vec![vec![b, t, n], vec![b, t, n]])
            .try_into()
            .expect("two records")
    } else {
        std::array::from_fn(|_| zeros(&y, vec![1, 1, 1]))
    };
    let x_last = CubeBackend::float_reshape(x_last, Shape::from(vec![b, n]));
    [y, x, rec, x_last, kept]
}

/// Gradients: `input` `[B, T, N]`, `a`, `bias`, `thr` `[N]`, `w_rec` `[N, N]` (`[1, 1]`
/// zeros without recurrence), `x0` `[B, N]`.
pub(super) type Grads = [CubeTensor; 6];

/// Runs the adjoint kernel and the reductions. `params` = `a`, `bias`, `thr`, `w_rec`, `x0`;
/// `y` and the packed `kept` from [`forward`]; `g_y` is `∂L/∂y`.
pub(super) fn backward(
    params: [CubeTensor; 5],
    y: CubeTensor,
    kept: CubeTensor,
    g_y: CubeTensor,
    cfg: RateOpConfig,
) -> Grads {
    let names = ["a", "bias", "thr", "w_rec", "x0"];
    let mut it = params.into_iter().zip(names).map(|(t, w)| prepared(t, w));
    let mut next = || it.next().expect("five parameters");
    let [a, bias, thr, w_rec, x0] = std::array::from_fn(|_| next());
    let (y, kept, g_y) = (
        prepared(y, "y"),
        prepared(kept, "kept states"),
        prepared(g_y, "output gradient"),
    );
    let [b, t, n] = y.shape().dims::<3>();
    let par = pack(vec![
        (a, n),
        (bias, n),
        (thr, n),
        (w_rec, if cfg.has_rec { n * n } else { 0 }),
    ]);
    let g_in = empty(&y, b * t * n);
    let gpar = empty(&y, b * 4 * n);
    let x0out = empty(&y, 2 * b * n);
    if b * n > 0 {
        let (count, dim) = launch_layout(&y, b, n, cfg.has_rec);
        let client = y.client.clone();
        rate_backward_kernel::launch(
            &client,
            count,
            dim,
            par.into_tensor_arg(),
            x0.into_tensor_arg(),
            kept.into_tensor_arg(),
            g_y.into_tensor_arg(),
            g_in.clone().into_tensor_arg(),
            gpar.clone().into_tensor_arg(),
            x0out.clone().into_tensor_arg(),
            b as u32,
            t as u32,
            n as u32,
            flags(cfg, true),
        );
    }
    let gpar = if b > 0 {
        let rows = CubeBackend::float_reshape(gpar, Shape::from(vec![b, 4 * n]));
        CubeBackend::float_sum_dim(rows, 0)
    } else {
        zeros(&y, vec![4 * n])
    };
    // The scratch `gx` at the end of each row is not read back.
    let [ga, gbias, gthr]: [CubeTensor; 3] = unpack(gpar, vec![vec![n], vec![n], vec![n]])
        .try_into()
        .expect("three gradients");
    let [gx0, h0]: [CubeTensor; 2] = unpack(x0out, vec![vec![b, n], vec![b, 1, n]])
        .try_into()
        .expect("two initial-state parts");
    let g_in = CubeBackend::float_reshape(g_in, Shape::from(vec![b, t, n]));
    let g_w = if cfg.has_rec && b * t > 0 {
        // ∂L/∂W[m, k] = Σ_{b,t} H(x[b, t-1, m] − θ)·gd[b, t, k], with x[b, -1] = x0.
        let prev = if t > 1 {
            let head =
                CubeBackend::float_slice(y, &[(0..b).into(), (0..t - 1).into(), (0..n).into()]);
            CubeBackend::float_cat(vec![h0, head], 1)
        } else {
            h0
        };
        let prev = CubeBackend::float_reshape(prev, Shape::from(vec![b * t, n]));
        let prev_t = CubeBackend::float_swap_dims(prev, 0, 1);
        let gd = CubeBackend::float_reshape(g_in.clone(), Shape::from(vec![b * t, n]));
        CubeBackend::float_matmul(prev_t, gd)
    } else if cfg.has_rec {
        zeros(&g_in, vec![n, n])
    } else {
        zeros(&g_in, vec![1, 1])
    };
    [g_in, ga, gbias, gthr, g_w, gx0]
}
