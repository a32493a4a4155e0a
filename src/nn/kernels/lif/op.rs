//! The fused LIF recurrence as one Burn operation with a hand-written backward: the backend
//! extension [`LifBackend`], its host bodies, its CubeCL bodies, and its autodiff node.
//!
//! One call runs the recurrence of a whole sequence and records a single autodiff node whose
//! backward is the adjoint recurrence. This keeps Burn's tape at one node per layer (instead
//! of a dozen per time step) and never slices a tracked sequence per step, so
//! backpropagation through time costs O(T).
//!
//! On the CPU backends (flex, ndarray) the computation runs on host memory, where the data
//! already lives ([`super::host_forward`], [`super::host_backward`]: contiguous loops,
//! parallel over the batch), and the backward keeps its state in host vectors. On the CubeCL
//! backends (`wgpu`, `cuda`) it runs as device kernels (`lif::cube`, in f32): the training
//! forward keeps `U` and `A` as device tensors and the adjoint is a second kernel, so nothing
//! crosses to the host.

// The `ndarray` backend is deprecated upstream but still offered behind its feature.
#![cfg_attr(feature = "ndarray", allow(deprecated))]

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, TensorMetadata, backend_extension};
use burn::tensor::TensorData;

use super::config::LifOpConfig;
#[cfg(any(feature = "wgpu", feature = "cuda"))]
use super::fusion as fusion_meta;
use super::host_forward::{LifForward, LifParams};
use super::host_io::{HostInputs, adjoint_host, decays, grads_host};
use crate::nn::kernels::host::{host_values, on_host, read_host};

/// Backends that can run the fused LIF sequence. The host backends (flex, ndarray) run
/// [`super::host_forward`] and [`super::host_backward`] on their own buffers; the CubeCL
/// backends (`wgpu`, `cuda`) run the kernels of `lif::cube` on the device, behind Burn's
/// fusion (each method is one opaque fused operation).
#[backend_extension(
    Autodiff,
    Flex: cfg(feature = "flex"),
    NdArray: cfg(feature = "ndarray"),
    Cube: cfg(any(feature = "wgpu", feature = "cuda")),
    Fusion: cfg(any(feature = "wgpu", feature = "cuda"))
)]
pub trait LifBackend: Backend {
    /// Runs the recurrence. Returns `(spikes [B,T,N], vmem [B,T,N], isyn [B,T,N·S],
    /// irec [B,T,N·S], v_last [B,N], i_last [B,N·S], s_last [B,N])`; only the spikes carry
    /// gradients. (With `differentiable_traces` the first output is `[B, T, 2N + N·S]`.)
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = fusion_meta::forward)]
    fn lif_seq(
        x: FloatTensor<Self>,
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        i0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = x.device();
        let mut host = HostInputs::read::<Self>(
            [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0],
            cfg,
        );
        let mut fwd = host.forward(
            cfg.options.record_states,
            cfg.options.record_states || cfg.options.differentiable_traces,
        );
        // Nothing needs the forward state afterwards: hand its buffers over.
        let spikes = std::mem::take(&mut fwd.spikes);
        let outs = host.outputs(&fwd, spikes);
        let [a, b, c, d, e, f, g] =
            outs.map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        (a, b, c, d, e, f, g)
    }

    /// The forward for training on a device backend: the outputs of [`Self::lif_seq`], then
    /// what the backward needs, the pre-spike membrane `U` `[B,T,N]` and the pre-decay
    /// synaptic current `A` `[B,T,N·S]`, flattened and concatenated (`[B·T·(N + N·S)]`). (The host backends keep these in host memory
    /// instead; this default, on the host, serves any other backend.)
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = fusion_meta::train)]
    fn lif_seq_train(
        x: FloatTensor<Self>,
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        i0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = x.device();
        let mut host = HostInputs::read::<Self>(
            [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0],
            cfg,
        );
        let mut fwd = host.forward(cfg.options.record_states, true);
        let spikes = std::mem::take(&mut fwd.spikes);
        let [a, b, c, e, f, g, h] = host
            .outputs(&fwd, spikes)
            .map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        let mut ua = std::mem::take(&mut fwd.u);
        ua.extend_from_slice(&fwd.a);
        let len = ua.len();
        let ua = Self::float_from_data(TensorData::new(ua, [len]), &device);
        (a, b, c, e, f, g, h, ua)
    }

    /// The adjoint recurrence for [`Self::lif_seq_train`]: from the parameters, the initial
    /// state, the forward's first output, its packed `U` and `A`, and `∂L/∂first`, returns
    /// `(∂x [B,T,N·S], ∂leak_mem [N], ∂leak_syn [N·S], ∂thr [N], ∂bias [N], ∂w_rec [N,N·S])`
    /// (`∂w_rec` is `[1,1]` zeros without recurrence).
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    #[fusion(meta = fusion_meta::adjoint)]
    fn lif_seq_adjoint(
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        first: FloatTensor<Self>,
        ua: FloatTensor<Self>,
        g_first: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = ua.device();
        let [leak_mem, leak_syn, thr, w_rec, v0, s0, first, ua, g_first] =
            [leak_mem, leak_syn, thr, w_rec, v0, s0, first, ua, g_first].map(read_host::<Self>);
        let (b, t, n) = (first.1[0], first.1[1], leak_mem.0.len());
        let mut u = ua.0;
        let a = u.split_off(b * t * n);
        let d = cfg.dims(b, t, n);
        let (alpha, beta) = (decays(&leak_mem.0), decays(&leak_syn.0));
        let bias = vec![0.0; n];
        let params = LifParams {
            alpha: &alpha,
            beta: &beta,
            thr: &thr.0,
            bias: &bias,
            w_rec: cfg.has_rec.then_some(&w_rec.0[..]),
        };
        let fwd = LifForward {
            u,
            a,
            ..Default::default()
        };
        let spikes = if cfg.options.differentiable_traces {
            let w = first.1[2];
            first
                .0
                .chunks_exact(w)
                .flat_map(|r| &r[..n])
                .copied()
                .collect()
        } else {
            first.0
        };
        let g = adjoint_host(
            d,
            &params,
            &fwd,
            &spikes,
            &v0.0,
            &s0.0,
            &g_first.0,
            cfg.options.differentiable_traces,
        );
        let [gx, gm, gs, gt, gb, gw] = grads_host(d, g)
            .map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        (gx, gm, gs, gt, gb, gw)
    }
}

#[cfg(feature = "flex")]
impl LifBackend for burn::backend::Flex {}
#[cfg(feature = "ndarray")]
#[allow(deprecated)]
impl LifBackend for burn::backend::NdArray {}

/// The device kernels (`lif::cube`).
#[cfg(any(feature = "wgpu", feature = "cuda"))]
impl LifBackend for burn_cubecl::CubeBackend {
    fn lif_seq(
        x: FloatTensor<Self>,
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        i0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let [a, b, c, d, e, f, g, _] = super::cube::forward(
            [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0],
            cfg,
            false,
        );
        (a, b, c, d, e, f, g)
    }

    fn lif_seq_train(
        x: FloatTensor<Self>,
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        i0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let [a, b, c, d, e, f, g, ua] = super::cube::forward(
            [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0],
            cfg,
            true,
        );
        (a, b, c, d, e, f, g, ua)
    }

    fn lif_seq_adjoint(
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        first: FloatTensor<Self>,
        ua: FloatTensor<Self>,
        g_first: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let [gx, gm, gs, gt, gb, gw] = super::cube::backward(
            [leak_mem, leak_syn, thr, w_rec, v0, s0],
            first,
            ua,
            g_first,
            cfg,
        );
        (gx, gm, gs, gt, gb, gw)
    }
}

#[derive(Debug)]
struct LifSeqBackward;

impl<B: Backend> Backward<B, 6> for LifSeqBackward {
    /// The inputs, the forward's kept sequences, and (when the output is the bare spike
    /// raster) the output tensor, whose buffer the backward reads the spikes from.
    type State = (HostInputs, LifForward, Option<FloatTensor<B>>);

    fn backward(self, ops: Ops<Self::State, 6>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [n_x, n_leak_mem, n_leak_syn, n_thr, n_bias, n_w] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let device = grad.device();
        // ∂L/∂spikes: borrowed where the backend lends its buffer, else copied.
        let g_spikes = host_values::<B>(&grad);
        let (host, fwd, kept) = ops.state;
        let d = host.dims;
        // The spikes: borrowed from the output tensor where the backend lends its buffer,
        // else a copy of it, else the forward's own raster.
        let spikes = match kept.as_ref() {
            Some(t) => host_values::<B>(t),
            None => std::borrow::Cow::Borrowed(&fwd.spikes[..]),
        };
        let g = adjoint_host(
            d,
            &host.params(),
            &fwd,
            &spikes,
            &host.v0,
            &host.s0,
            &g_spikes,
            host.differentiable_traces,
        );
        for (node, (v, shape)) in [n_x, n_leak_mem, n_leak_syn, n_thr, n_bias, n_w]
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
/// ([`LifBackend::lif_seq_adjoint`]) from the device tensors the forward kept.
#[derive(Debug)]
struct LifDeviceBackward;

impl<B: LifBackend> Backward<B, 6> for LifDeviceBackward {
    /// `leak_mem`, `leak_syn`, `thr`, `w_rec`, `v0`, `s0`, the first output, packed `U`, `A`.
    type State = ([FloatTensor<B>; 8], LifOpConfig);

    fn backward(self, ops: Ops<Self::State, 6>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<B>(&ops.node);
        let ([leak_mem, leak_syn, thr, w_rec, v0, s0, first, ua], cfg) = ops.state;
        let (gx, gm, gs, gt, gb, gw) =
            B::lif_seq_adjoint(leak_mem, leak_syn, thr, w_rec, v0, s0, first, ua, grad, cfg);
        for (node, g) in ops.parents.into_iter().zip([gx, gm, gs, gt, gb, gw]) {
            if let Some(node) = node {
                grads.register::<B>(node.id, g);
            }
        }
    }
}

impl<B: LifBackend, C: CheckpointStrategy> LifBackend for Autodiff<B, C> {
    fn lif_seq(
        x: FloatTensor<Self>,
        leak_mem: FloatTensor<Self>,
        leak_syn: FloatTensor<Self>,
        thr: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        w_rec: FloatTensor<Self>,
        noise: FloatTensor<Self>,
        v0: FloatTensor<Self>,
        i0: FloatTensor<Self>,
        s0: FloatTensor<Self>,
        cfg: LifOpConfig,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    ) {
        let device = x.primitive().device();
        let nodes = [
            x.node(),
            leak_mem.node(),
            leak_syn.node(),
            thr.node(),
            bias.node(),
            w_rec.node(),
        ];
        if !on_host::<B>() {
            // Device backends: the forward keeps U and A as device tensors and the adjoint
            // runs on the device too.
            let [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0] =
                [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0]
                    .map(|t| t.into_primitive());
            let (first, vmem, isyn, irec, v_last, i_last, s_last) = match LifDeviceBackward
                .prepare::<C>(nodes)
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let (first, vmem, isyn, irec, v_last, i_last, s_last, ua) = B::lif_seq_train(
                        x,
                        leak_mem.clone(),
                        leak_syn.clone(),
                        thr.clone(),
                        bias,
                        w_rec.clone(),
                        noise,
                        v0.clone(),
                        i0,
                        s0.clone(),
                        cfg,
                    );
                    let state = [leak_mem, leak_syn, thr, w_rec, v0, s0, first.clone(), ua];
                    let first = prep.finish((state, cfg), first);
                    (first, vmem, isyn, irec, v_last, i_last, s_last)
                }
                OpsKind::UnTracked(prep) => {
                    // Nothing needs a gradient: nothing is kept for a backward.
                    let (first, vmem, isyn, irec, v_last, i_last, s_last) = B::lif_seq(
                        x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0, cfg,
                    );
                    (prep.finish(first), vmem, isyn, irec, v_last, i_last, s_last)
                }
            };
            let [vmem, isyn, irec, v_last, i_last, s_last] =
                [vmem, isyn, irec, v_last, i_last, s_last]
                    .map(<Self as burn::backend::AutodiffBackend>::from_inner);
            return (first, vmem, isyn, irec, v_last, i_last, s_last);
        }
        let mut host = HostInputs::read::<B>(
            [
                x.into_primitive(),
                leak_mem.into_primitive(),
                leak_syn.into_primitive(),
                thr.into_primitive(),
                bias.into_primitive(),
                w_rec.into_primitive(),
                noise.into_primitive(),
                v0.into_primitive(),
                i0.into_primitive(),
                s0.into_primitive(),
            ],
            cfg,
        );
        let mut fwd = host.forward(cfg.options.record_states, true);
        // A bare spike output hands its raster over, and the backward reads it back from the
        // output tensor (no 4-byte-per-entry copy); with traces, the output is a new array.
        let share = !cfg.options.differentiable_traces;
        let first = if share {
            std::mem::take(&mut fwd.spikes)
        } else {
            fwd.spikes.clone()
        };
        let [spikes, rest @ ..] = host.outputs(&fwd, first);
        let spikes = B::float_from_data(TensorData::new(spikes.0, spikes.1), &device);
        let kept = share.then(|| spikes.clone());
        // The records and final state carry no gradient: plain (untracked) autodiff tensors.
        let [vmem, isyn, irec, v_last, i_last, s_last] =
            rest.map(|(v, shape)| Self::float_from_data(TensorData::new(v, shape), &device));
        let spikes = match LifSeqBackward
            .prepare::<C>(nodes)
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish((host, fwd, kept), spikes),
            OpsKind::UnTracked(prep) => prep.finish(spikes),
        };
        (spikes, vmem, isyn, irec, v_last, i_last, s_last)
    }
}
