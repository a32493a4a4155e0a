//! The whole Rate recurrence as one Burn operation with a hand-written backward.
//!
//! `rate_sequence` takes the input of a whole sequence and the layer's factor `a = dt/τ`,
//! biases, thresholds and recurrent weights, runs the recurrence of [`super::rate_cpu`] in one
//! go and records a single autodiff node whose backward is the adjoint recurrence. Burn's tape
//! holds one node per layer (instead of about ten per time step), and no tracked sequence is
//! sliced per step, so backpropagation through time costs O(T) (per-step slices of a tracked
//! `[B, T, N]` tensor cost O(T²): each slice's backward allocates a full-size gradient).
//!
//! Like the fused LIF ([`super::lif_op`]): on the CPU backends the computation runs on host
//! memory (contiguous loops, parallel over the batch); on the CubeCL backends (`wgpu`, `cuda`)
//! it runs as device kernels (`nn::kernels::rate_cube`, in f32), forward and adjoint, and the
//! training forward keeps what the backward needs as device tensors.

// The `ndarray` backend is deprecated upstream but still offered behind its feature.
#![cfg_attr(feature = "ndarray", allow(deprecated))]

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::lif_op::read_host;
use super::rate_cpu::{self, RateDims, RateForward, RateParams};
use crate::nn::rate::Activation;

/// Options of one fused Rate call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateOpConfig {
    /// Activation `H`.
    pub act: Activation,
    /// Whether `w_rec` is used (otherwise it is a placeholder).
    pub has_rec: bool,
    /// Whether `noise` is used (otherwise it is a placeholder).
    pub has_noise: bool,
    /// Whether to return the `x` and `rec_input` traces (otherwise they are `[1, 1, 1]`
    /// placeholders, and nothing is computed or copied for them).
    pub record: bool,
}

/// Backends that can run the fused Rate sequence (host kernels on flex and ndarray, CubeCL
/// kernels on `wgpu` and `cuda`, each method one opaque operation for Burn's fusion).
#[backend_extension(
    Autodiff,
    Flex: cfg(feature = "flex"),
    NdArray: cfg(feature = "ndarray"),
    Cube: cfg(any(feature = "wgpu", feature = "cuda")),
    Fusion: cfg(any(feature = "wgpu", feature = "cuda"))
)]
pub trait RateBackend: Backend {
    /// Runs the recurrence. Returns `(y [B,T,N], x [B,T,N], rec_input [B,T,N],
    /// x_last [B,N])`; only `y` carries gradients.
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = fusion_meta::forward)]
    fn rate_seq(
        input: FloatTensor<Self>,
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = input.device();
        let host = HostInputs::read::<Self>([input, a, bias, thr, w_rec, noise, x0], cfg);
        let mut fwd = host.forward(false);
        let [y, x, r, xl] = host
            .outputs(&mut fwd, false)
            .map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        (y, x, r, xl)
    }

    /// The forward for training on a device backend: the outputs of [`Self::rate_seq`], then
    /// what the backward needs, the states `x` and increments `d` `[B,T,N]` each, flattened
    /// and concatenated (`[2·B·T·N]`). (This default, on the host, serves any backend
    /// without its own.)
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = fusion_meta::train)]
    fn rate_seq_train(
        input: FloatTensor<Self>,
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = input.device();
        let host = HostInputs::read::<Self>([input, a, bias, thr, w_rec, noise, x0], cfg);
        let mut fwd = host.forward(true);
        let [y, x, r, xl] = host
            .outputs(&mut fwd, true)
            .map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        let mut kept = std::mem::take(&mut fwd.x);
        kept.extend_from_slice(&fwd.d);
        let len = kept.len();
        let kept = Self::float_from_data(TensorData::new(kept, [len]), &device);
        (y, x, r, xl, kept)
    }

    /// The adjoint recurrence for [`Self::rate_seq_train`]: from the parameters, `x0`, the
    /// output `y`, the packed states and `∂L/∂y`, returns `(∂input [B,T,N], ∂a [N],
    /// ∂bias [N], ∂thr [N], ∂w_rec [N,N], ∂x0 [B,N])` (`∂w_rec` is `[1,1]` zeros without
    /// recurrence).
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = fusion_meta::adjoint)]
    fn rate_seq_adjoint(
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        y: FloatTensor<Self>,
        kept: FloatTensor<Self>,
        g_y: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = y.device();
        let noise = Self::float_zeros([1, 1, 1].into(), &device, burn::tensor::FloatDType::F32);
        let mut host = HostInputs::read::<Self>([y.clone(), a, bias, thr, w_rec, noise, x0], cfg);
        host.input = Vec::new();
        let (mut x, _) = read_host::<Self>(kept);
        let d = x.split_off(x.len() / 2);
        let fwd = RateForward {
            x,
            d,
            ..Default::default()
        };
        let (g_y, _) = read_host::<Self>(g_y);
        let dims = host.dims;
        let [gi, ga, gb, gt, gw, gx0] = grads_host(
            dims,
            rate_cpu::backward(dims, &host.params(), &fwd, &host.x0, &g_y),
        )
        .map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        (gi, ga, gb, gt, gw, gx0)
    }
}

#[cfg(feature = "flex")]
impl RateBackend for burn::backend::Flex {}
#[cfg(feature = "ndarray")]
#[allow(deprecated)]
impl RateBackend for burn::backend::NdArray {}

/// The device kernels (`nn::kernels::rate_cube`).
#[cfg(any(feature = "wgpu", feature = "cuda"))]
impl RateBackend for burn_cubecl::CubeBackend {
    fn rate_seq(
        input: FloatTensor<Self>,
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let [y, x, r, xl, _] =
            super::rate_cube::forward([input, a, bias, thr, w_rec, noise, x0], cfg, false);
        (y, x, r, xl)
    }

    fn rate_seq_train(
        input: FloatTensor<Self>,
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let [y, x, r, xl, kept] =
            super::rate_cube::forward([input, a, bias, thr, w_rec, noise, x0], cfg, true);
        (y, x, r, xl, kept)
    }

    fn rate_seq_adjoint(
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        y: FloatTensor<Self>,
        kept: FloatTensor<Self>,
        g_y: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let [gi, ga, gb, gt, gw, gx0] =
            super::rate_cube::backward([a, bias, thr, w_rec, x0], y, kept, g_y, cfg);
        (gi, ga, gb, gt, gw, gx0)
    }
}

/// Output shapes of the fused operations for Burn's fusion.
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod fusion_meta {
    use super::RateOpConfig;
    use burn::backend::fusion::custom::TensorSpec;
    use burn::tensor::Shape;

    fn spec(like: &TensorSpec, dims: &[usize]) -> TensorSpec {
        TensorSpec::new(Shape::from(dims.to_vec()), like.dtype)
    }

    type Four = (TensorSpec, TensorSpec, TensorSpec, TensorSpec);

    fn four(input: &TensorSpec, cfg: &RateOpConfig) -> Four {
        let (b, t, n) = (input.shape[0], input.shape[1], input.shape[2]);
        let rec = if cfg.record {
            vec![b, t, n]
        } else {
            vec![1, 1, 1]
        };
        (
            spec(input, &[b, t, n]),
            spec(input, &rec),
            spec(input, &rec),
            spec(input, &[b, n]),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn forward(
        input: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        cfg: &RateOpConfig,
    ) -> Four {
        four(input, cfg)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn train(
        input: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        cfg: &RateOpConfig,
    ) -> (TensorSpec, TensorSpec, TensorSpec, TensorSpec, TensorSpec) {
        let (y, x, r, xl) = four(input, cfg);
        let len = 2 * input.shape.num_elements();
        (y, x, r, xl, spec(input, &[len]))
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    pub(super) fn adjoint(
        a: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        x0: &TensorSpec,
        y: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        cfg: &RateOpConfig,
    ) -> (
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
    ) {
        let n = a.shape[0];
        let w = if cfg.has_rec { vec![n, n] } else { vec![1, 1] };
        (
            y.clone(),
            spec(a, &[n]),
            spec(a, &[n]),
            spec(a, &[n]),
            spec(a, &w),
            x0.clone(),
        )
    }
}

/// Host copies of all inputs, with the sizes; parameters in f64.
#[derive(Clone, Debug)]
struct HostInputs {
    dims: RateDims,
    record: bool,
    input: Vec<f32>,
    a: Vec<f64>,
    bias: Vec<f64>,
    thr: Vec<f64>,
    w_rec: Option<Vec<f64>>,
    noise: Option<Vec<f32>>,
    x0: Vec<f32>,
}

impl HostInputs {
    fn read<B: Backend>(t: [FloatTensor<B>; 7], cfg: RateOpConfig) -> Self {
        let [input, a, bias, thr, w_rec, noise, x0] = t.map(read_host::<B>);
        let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
        let dims = RateDims {
            b: input.1[0],
            t: input.1[1],
            n: input.1[2],
            act: cfg.act,
        };
        Self {
            dims,
            record: cfg.record,
            input: input.0,
            a: wide(a.0),
            bias: wide(bias.0),
            thr: wide(thr.0),
            w_rec: cfg.has_rec.then(|| wide(w_rec.0)),
            noise: cfg.has_noise.then_some(noise.0),
            x0: x0.0,
        }
    }

    fn params(&self) -> RateParams<'_> {
        RateParams {
            a: &self.a,
            bias: &self.bias,
            thr: &self.thr,
            w_rec: self.w_rec.as_deref(),
        }
    }

    /// `keep`: keep what the backward needs.
    fn forward(&self, keep: bool) -> RateForward {
        rate_cpu::forward(
            self.dims,
            &self.input,
            &self.params(),
            self.noise.as_deref(),
            &self.x0,
            keep,
            self.record,
        )
    }

    /// The four outputs as host vectors with shapes, moved out of `fwd` (the state `x` is
    /// copied when `keep`: the backward still needs it).
    fn outputs(&self, fwd: &mut RateForward, keep: bool) -> [(Vec<f32>, Vec<usize>); 4] {
        let RateDims { b, t, n, .. } = self.dims;
        let seq = vec![b, t, n];
        let placeholder = || (vec![0.0], vec![1, 1, 1]);
        let (x, rec) = if self.record {
            let rec = if fwd.rec.is_empty() {
                vec![0.0; b * t * n]
            } else {
                std::mem::take(&mut fwd.rec)
            };
            let x = if keep {
                fwd.x.clone()
            } else {
                std::mem::take(&mut fwd.x)
            };
            ((x, seq.clone()), (rec, seq.clone()))
        } else {
            (placeholder(), placeholder())
        };
        [
            (std::mem::take(&mut fwd.y), seq),
            x,
            rec,
            (std::mem::take(&mut fwd.x_last), vec![b, n]),
        ]
    }
}

#[derive(Debug)]
struct RateSeqBackward;

impl<B: Backend> Backward<B, 6> for RateSeqBackward {
    type State = (HostInputs, Arc<RateForward>);

    fn backward(self, ops: Ops<Self::State, 6>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [n_in, n_a, n_bias, n_thr, n_w, n_x0] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let device = grad.device();
        let (g_y, _) = read_host::<B>(grad);
        let (host, fwd) = ops.state;
        let d = host.dims;
        let g = rate_cpu::backward(d, &host.params(), &fwd, &host.x0, &g_y);
        for (node, (v, shape)) in [n_in, n_a, n_bias, n_thr, n_w, n_x0]
            .into_iter()
            .zip(grads_host(d, g))
        {
            if let Some(node) = node {
                let t = B::float_from_data(TensorData::new(v, shape), &device);
                grads.register::<B>(node.id, t);
            }
        }
    }
}

/// The adjoint's gradients as host vectors with shapes, in the order of
/// [`RateBackend::rate_seq_adjoint`] (`w_rec` `[1, 1]` zeros without recurrence).
fn grads_host(d: RateDims, g: rate_cpu::RateGrads) -> [(Vec<f32>, Vec<usize>); 6] {
    let RateDims { b, t, n, .. } = d;
    let w = if g.w_rec.is_empty() {
        (vec![0.0], vec![1, 1])
    } else {
        (g.w_rec, vec![n, n])
    };
    [
        (g.input, vec![b, t, n]),
        (g.a, vec![n]),
        (g.bias, vec![n]),
        (g.thr, vec![n]),
        w,
        (g.x0, vec![b, n]),
    ]
}

/// The backward of the device path: the adjoint runs on the inner backend
/// ([`RateBackend::rate_seq_adjoint`]) from the device tensors the forward kept.
#[derive(Debug)]
struct RateDeviceBackward;

impl<B: RateBackend> Backward<B, 6> for RateDeviceBackward {
    /// `a`, `bias`, `thr`, `w_rec`, `x0`, the output `y`, the packed states.
    type State = ([FloatTensor<B>; 7], RateOpConfig);

    fn backward(self, ops: Ops<Self::State, 6>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let ([a, bias, thr, w_rec, x0, y, kept], cfg) = ops.state;
        let (gi, ga, gb, gt, gw, gx0) =
            B::rate_seq_adjoint(a, bias, thr, w_rec, x0, y, kept, grad, cfg);
        for (node, g) in ops.parents.into_iter().zip([gi, ga, gb, gt, gw, gx0]) {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

impl<B: RateBackend, C: CheckpointStrategy> RateBackend for Autodiff<B, C> {
    fn rate_seq(
        input: FloatTensor<Self>,
        a: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        x0: FloatTensor<Self>,
        cfg: RateOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = input.primitive().device();
        let nodes = [
            input.node(),
            a.node(),
            bias.node(),
            thr.node(),
            w_rec.node(),
            x0.node(),
        ];
        if !super::lif_op::on_host::<B>() {
            // Device backends: the states stay on the device, the adjoint runs there too.
            let [input, a, bias, thr, w_rec, noise, x0] =
                [input, a, bias, thr, w_rec, noise, x0].map(|t| t.into_primitive());
            let (y, x, rec, x_last) = match RateDeviceBackward
                .prepare::<C>(nodes)
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let (y, x, rec, x_last, kept) = B::rate_seq_train(
                        input,
                        a.clone(),
                        bias.clone(),
                        thr.clone(),
                        w_rec.clone(),
                        noise,
                        x0.clone(),
                        cfg,
                    );
                    let state = [a, bias, thr, w_rec, x0, y.clone(), kept];
                    (prep.finish((state, cfg), y), x, rec, x_last)
                }
                OpsKind::UnTracked(prep) => {
                    // Nothing needs a gradient: nothing is kept for a backward.
                    let (y, x, rec, x_last) =
                        B::rate_seq(input, a, bias, thr, w_rec, noise, x0, cfg);
                    (prep.finish(y), x, rec, x_last)
                }
            };
            let [x, rec, x_last] =
                [x, rec, x_last].map(<Self as burn::backend::AutodiffBackend>::from_inner);
            return (y, x, rec, x_last);
        }
        let host = HostInputs::read::<B>(
            [
                input.into_primitive(),
                a.into_primitive(),
                bias.into_primitive(),
                thr.into_primitive(),
                w_rec.into_primitive(),
                noise.into_primitive(),
                x0.into_primitive(),
            ],
            cfg,
        );
        // The records and the final state carry no gradient: plain (untracked) tensors.
        let finish = |fwd: &mut RateForward, keep: bool| {
            let [y, rest @ ..] = host.outputs(fwd, keep);
            let y = B::float_from_data(TensorData::new(y.0, y.1), &device);
            let [x, rec, x_last] =
                rest.map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
            (y, x, rec, x_last)
        };
        match RateSeqBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let mut fwd = host.forward(true);
                let (y, x, rec, x_last) = finish(&mut fwd, true);
                // The backward needs the parameters, x0 and the kept states, not the input.
                let mut host = host;
                host.input = Vec::new();
                host.noise = None;
                (prep.finish((host, Arc::new(fwd)), y), x, rec, x_last)
            }
            OpsKind::UnTracked(prep) => {
                // Nothing needs a gradient: skip keeping the sequence for a backward.
                let mut fwd = host.forward(false);
                let (y, x, rec, x_last) = finish(&mut fwd, false);
                (prep.finish(y), x, rec, x_last)
            }
        }
    }
}

/// Outputs of [`rate_sequence`].
#[derive(Clone, Debug)]
pub struct RateSequence {
    /// Output `y = H(x − θ)` `[B, T, N]` (differentiable).
    pub y: Tensor<3>,
    /// With `record`: the state `x` and the recurrent input `r` `[B, T, N]` each (zeros
    /// without recurrence). No gradient flows through them.
    pub records: Option<(Tensor<3>, Tensor<3>)>,
    /// Final state `[B, N]` (no gradient).
    pub x_last: Tensor<2>,
}

/// Runs the fused Rate recurrence (see the module docs). `input` `[B, T, N]`; `a = dt/τ`
/// (dimensionless, τ already clipped), `bias`, `thr` `[N]`; `w_rec` `[N, N]` (row = source
/// neuron) or `None`; `noise` `[B, T, N]` (added to the drive, no gradient) or `None`; initial
/// state `x0` `[B, N]`. Gradients flow to `input`, `a`, `bias`, `thr`, `w_rec` and `x0`.
#[allow(clippy::too_many_arguments)]
pub fn rate_sequence(
    input: Tensor<3>,
    a: Tensor<1>,
    bias: Tensor<1>,
    thr: Tensor<1>,
    w_rec: Option<Tensor<2>>,
    noise: Option<Tensor<3>>,
    x0: Tensor<2>,
    act: Activation,
    record: bool,
) -> RateSequence {
    let device = input.device();
    let cfg = RateOpConfig {
        act,
        has_rec: w_rec.is_some(),
        has_noise: noise.is_some(),
        record,
    };
    let w_rec = w_rec.unwrap_or_else(|| Tensor::zeros([1, 1], &device));
    let noise = noise.unwrap_or_else(|| Tensor::zeros([1, 1, 1], &device));
    let (y, x, rec, x_last) = <Dispatch as RateBackend>::rate_seq(
        input.into_dispatch(),
        a.into_dispatch(),
        bias.into_dispatch(),
        thr.into_dispatch(),
        w_rec.into_dispatch(),
        noise.into_dispatch(),
        x0.into_dispatch(),
        cfg,
    );
    RateSequence {
        y: Tensor::from_dispatch(y),
        records: record.then(|| (Tensor::from_dispatch(x), Tensor::from_dispatch(rec))),
        x_last: Tensor::from_dispatch(x_last),
    }
}
