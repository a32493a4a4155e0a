//! The fused Rate recurrence as one Burn operation with a hand-written backward: the
//! backend extension [`RateBackend`], its host bodies, its CubeCL bodies, and its autodiff
//! node.
//!
//! One call runs the recurrence of a whole sequence and records a single autodiff node whose
//! backward is the adjoint recurrence. Burn's tape holds one node per layer (instead of about
//! ten per time step), and no tracked sequence is sliced per step, so backpropagation
//! through time costs O(T) (per-step slices of a tracked `[B, T, N]` tensor cost O(T²): each
//! slice's backward allocates a full-size gradient).
//!
//! As for the fused LIF: on the CPU backends the computation runs on host memory
//! ([`super::host_forward`], [`super::host_backward`]: contiguous loops, parallel over the
//! batch); on the CubeCL backends (`wgpu`, `cuda`) it runs as device kernels (`rate::cube`,
//! in f32), forward and adjoint, and the training forward keeps what the backward needs as
//! device tensors.

// The `ndarray` backend is deprecated upstream but still offered behind its feature.
#![cfg_attr(feature = "ndarray", allow(deprecated))]

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, TensorMetadata, backend_extension};
use burn::tensor::TensorData;

use super::config::RateOpConfig;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
use super::fusion as fusion_meta;
use super::host_backward;
use super::host_forward::RateForward;
use super::host_io::{HostInputs, grads_host};
use crate::nn::kernels::host::{on_host, read_host};

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
            host_backward::backward(dims, &host.params(), &fwd, &host.x0, &g_y),
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

/// The device kernels (`rate::cube`).
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
            super::cube::forward([input, a, bias, thr, w_rec, noise, x0], cfg, false);
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
            super::cube::forward([input, a, bias, thr, w_rec, noise, x0], cfg, true);
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
            super::cube::backward([a, bias, thr, w_rec, x0], y, kept, g_y, cfg);
        (gi, ga, gb, gt, gw, gx0)
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
        let g = host_backward::backward(d, &host.params(), &fwd, &host.x0, &g_y);
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
        if !on_host::<B>() {
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
