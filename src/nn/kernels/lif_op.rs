//! The whole LIF recurrence as one Burn operation with a hand-written backward.
//!
//! `lif_sequence` takes the input current of a whole sequence and the layer's decays,
//! thresholds, biases and recurrent weights, runs the recurrence of [`super::lif_cpu`] in one
//! go and records a single autodiff node whose backward is the adjoint recurrence. This keeps
//! Burn's tape at one node per layer (instead of a dozen per time step) and never slices a
//! tracked sequence per step, so backpropagation through time costs O(T).
//!
//! On the CPU backends (flex, ndarray) the computation runs on host memory, where the data
//! already lives ([`super::lif_cpu`]: contiguous loops, parallel over the batch), and the
//! backward keeps its state in host vectors. On the CubeCL backends (`wgpu`, `cuda`) it runs
//! as device kernels (`nn::kernels::lif_cube`, in f32): the training forward keeps `U` and `A` as
//! device tensors and the adjoint is a second kernel, so nothing crosses to the host.

// The `ndarray` backend is deprecated upstream but still offered behind its feature.
#![cfg_attr(feature = "ndarray", allow(deprecated))]

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, TensorMetadata, backend_extension};
use burn::tensor::{Tensor, TensorData};

use super::lif_cpu::{self, LifDims, LifForward, LifParams};
use crate::nn::surrogate::Surrogate;

/// Options of one fused LIF call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifOpConfig {
    /// Synapses per neuron.
    pub n_syn: usize,
    /// Spike cap per step.
    pub max_spikes: f32,
    /// Surrogate for the backward.
    pub surrogate: Surrogate,
    /// Whether `w_rec` is used (otherwise it is a placeholder).
    pub has_rec: bool,
    /// Whether `noise` is used (otherwise it is a placeholder).
    pub has_noise: bool,
    /// Whether to return the `vmem`, `isyn`, `irec` traces (otherwise they are `[1,1,1]`
    /// placeholders, and nothing is computed or copied for them).
    pub record: bool,
    /// Whether the synaptic current carries over between steps (false: no synapse, see
    /// [`LifDims::carry`]).
    pub synaptic_carry: bool,
    /// Whether the first output carries the membrane and synaptic traces too, with gradients:
    /// `[B, T, 2N + N·S]` = spikes, vmem, isyn along the last axis (for membrane read-outs
    /// and synaptic filters). Otherwise it is the spikes `[B, T, N]`.
    pub differentiable_traces: bool,
}

impl LifOpConfig {
    /// The sizes and options of the host kernels for `b` sequences of `t` steps, `n` neurons.
    fn dims(&self, b: usize, t: usize, n: usize) -> LifDims {
        LifDims {
            b,
            t,
            n,
            s: self.n_syn,
            max_spikes: self.max_spikes,
            surrogate: self.surrogate,
            carry: self.synaptic_carry,
        }
    }
}

/// The decays `1 − leak` in f64. The op takes leaks: for slow neurons they carry the decay's
/// precision that an f32 decay near 1 would lose.
fn decays(leak: &[f32]) -> Vec<f64> {
    leak.iter().map(|&l| 1.0 - f64::from(l)).collect()
}

/// Backends that can run the fused LIF sequence. The host backends (flex, ndarray) run
/// [`super::lif_cpu`] on their own buffers; the CubeCL backends (`wgpu`, `cuda`) run the
/// kernels of `nn::kernels::lif_cube` on the device, behind Burn's fusion (each method is one
/// opaque fused operation).
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
        let mut fwd = host.forward(cfg.record, cfg.record || cfg.differentiable_traces);
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
        let mut fwd = host.forward(cfg.record, true);
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
        let spikes = if cfg.differentiable_traces {
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
            cfg.differentiable_traces,
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

/// The device kernels (`nn::kernels::lif_cube`).
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
        let [a, b, c, d, e, f, g, _] = super::lif_cube::forward(
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
        let [a, b, c, d, e, f, g, ua] = super::lif_cube::forward(
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
        let [gx, gm, gs, gt, gb, gw] = super::lif_cube::backward(
            [leak_mem, leak_syn, thr, w_rec, v0, s0],
            first,
            ua,
            g_first,
            cfg,
        );
        (gx, gm, gs, gt, gb, gw)
    }
}

/// Output shapes of the fused operations for Burn's fusion (which records the operation
/// before it runs).
#[cfg(any(feature = "wgpu", feature = "cuda"))]
mod fusion_meta {
    use super::LifOpConfig;
    use burn::backend::fusion::custom::TensorSpec;
    use burn::tensor::Shape;

    type Seven = (
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
    );

    fn spec(like: &TensorSpec, dims: &[usize]) -> TensorSpec {
        TensorSpec::new(Shape::from(dims.to_vec()), like.dtype)
    }

    fn seven(x: &TensorSpec, cfg: &LifOpConfig) -> Seven {
        let (b, t, ns) = (x.shape[0], x.shape[1], x.shape[2]);
        let n = ns / cfg.n_syn;
        let w = if cfg.differentiable_traces {
            2 * n + ns
        } else {
            n
        };
        let rec = |d: &[usize]| {
            if cfg.record {
                spec(x, d)
            } else {
                spec(x, &[1, 1, 1])
            }
        };
        (
            spec(x, &[b, t, w]),
            rec(&[b, t, n]),
            rec(&[b, t, ns]),
            rec(&[b, t, ns]),
            spec(x, &[b, n]),
            spec(x, &[b, ns]),
            spec(x, &[b, n]),
        )
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn forward(
        x: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        cfg: &LifOpConfig,
    ) -> Seven {
        seven(x, cfg)
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    pub(super) fn train(
        x: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        cfg: &LifOpConfig,
    ) -> (
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
    ) {
        let (a, b, c, d, e, f, g) = seven(x, cfg);
        let (bs, t, ns) = (x.shape[0], x.shape[1], x.shape[2]);
        let n = ns / cfg.n_syn;
        (a, b, c, d, e, f, g, spec(x, &[bs * t * (n + ns)]))
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    pub(super) fn adjoint(
        leak_mem: &TensorSpec,
        leak_syn: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        first: &TensorSpec,
        _: &TensorSpec,
        _: &TensorSpec,
        cfg: &LifOpConfig,
    ) -> (
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
        TensorSpec,
    ) {
        let (b, t, n) = (first.shape[0], first.shape[1], leak_mem.shape[0]);
        let ns = n * cfg.n_syn;
        let u = first;
        let w = if cfg.has_rec { vec![n, ns] } else { vec![1, 1] };
        (
            spec(u, &[b, t, ns]),
            spec(leak_mem, &[n]),
            spec(leak_syn, &[ns]),
            spec(u, &[n]),
            spec(u, &[n]),
            spec(u, &w),
        )
    }
}

/// A borrowed view of a tensor's f32 values when the backend keeps them in host memory and
/// can lend them (flex, contiguous f32); `None` otherwise (read a copy with [`read_host`]).
pub(super) fn host_view<B: Backend>(t: &FloatTensor<B>) -> Option<&[f32]> {
    #[cfg(feature = "flex")]
    if let Some(f) = (t as &dyn std::any::Any).downcast_ref::<burn_flex::FlexTensor>() {
        return f.as_slice::<f32>();
    }
    let _ = t;
    None
}

/// A tensor's f32 values: borrowed where the backend lends them ([`host_view`]), else a host
/// copy ([`read_host`]).
pub(super) fn host_values<B: Backend>(t: &FloatTensor<B>) -> std::borrow::Cow<'_, [f32]> {
    match host_view::<B>(t) {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Owned(read_host::<B>(t.clone()).0),
    }
}

/// Runs `f` on a tensor's f32 values: borrowed where the backend lends them
/// ([`host_view`]), else on a host copy ([`read_host`]).
pub(super) fn with_host<B: Backend, R>(t: FloatTensor<B>, f: impl FnOnce(&[f32]) -> R) -> R {
    match host_view::<B>(&t) {
        Some(v) => f(v),
        None => f(&read_host::<B>(t).0),
    }
}

/// A tensor's values and shape on the host (no copy when the backend can hand its buffer over).
pub(super) fn read_host<B: Backend>(t: FloatTensor<B>) -> (Vec<f32>, Vec<usize>) {
    super::retain_host_memory();
    let data = burn::tensor::try_read_sync(B::float_into_data(t))
        .expect("reading a tensor synchronously")
        .expect("tensor data is readable");
    let shape = data.shape().to_vec();
    // Consuming the data avoids a second copy when it is already f32.
    (
        data.try_into_vec_as::<f32>()
            .expect("float data converts to f32"),
        shape,
    )
}

/// Host copies of all inputs, with the sizes.
#[derive(Clone, Debug)]
struct HostInputs {
    dims: LifDims,
    record: bool,
    differentiable_traces: bool,
    x: Vec<f32>,
    /// `1 − leak_mem` in f64.
    alpha: Vec<f64>,
    /// `1 − leak_syn` in f64.
    beta: Vec<f64>,
    thr: Vec<f32>,
    bias: Vec<f32>,
    w_rec: Option<Vec<f32>>,
    noise: Option<Vec<f32>>,
    v0: Vec<f32>,
    i0: Vec<f32>,
    s0: Vec<f32>,
}

impl HostInputs {
    fn read<B: Backend>(t: [FloatTensor<B>; 10], cfg: LifOpConfig) -> Self {
        let [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0] = t.map(read_host::<B>);
        Self {
            dims: cfg.dims(x.1[0], x.1[1], x.1[2] / cfg.n_syn),
            record: cfg.record,
            differentiable_traces: cfg.differentiable_traces,
            x: x.0,
            alpha: decays(&leak_mem.0),
            beta: decays(&leak_syn.0),
            thr: thr.0,
            bias: bias.0,
            w_rec: cfg.has_rec.then_some(w_rec.0),
            noise: cfg.has_noise.then_some(noise.0),
            v0: v0.0,
            i0: i0.0,
            s0: s0.0,
        }
    }

    fn params(&self) -> LifParams<'_> {
        LifParams {
            alpha: &self.alpha,
            beta: &self.beta,
            thr: &self.thr,
            bias: &self.bias,
            w_rec: self.w_rec.as_deref(),
        }
    }

    /// `keep`: keep U and A for the whole sequence (needed by the backward and the traces).
    /// Runs the forward, consuming the input (its buffer may become the spike raster).
    fn forward(&mut self, record_irec: bool, keep: bool) -> LifForward {
        lif_cpu::forward(
            self.dims,
            std::borrow::Cow::Owned(std::mem::take(&mut self.x)),
            &self.params(),
            self.noise.as_deref(),
            &self.v0,
            &self.i0,
            &self.s0,
            record_irec,
            keep,
        )
    }

    /// The seven outputs as host vectors with shapes; `spikes` is the spike raster (moved
    /// out of `fwd`, or a copy when `fwd` is kept for the backward).
    fn outputs(&self, fwd: &LifForward, spikes: Vec<f32>) -> [(Vec<f32>, Vec<usize>); 7] {
        let d = self.dims;
        let ns = d.n * d.s;
        let placeholder = || (vec![0.0], vec![1, 1, 1]);
        let (vmem, isyn, irec) = if self.record {
            let irec = if fwd.irec.is_empty() {
                vec![0.0; d.b * d.t * ns]
            } else {
                fwd.irec.clone()
            };
            (
                (
                    lif_cpu::vmem(d, &self.thr, &fwd.u, &spikes),
                    vec![d.b, d.t, d.n],
                ),
                (lif_cpu::isyn(d, &self.beta, fwd), vec![d.b, d.t, ns]),
                (irec, vec![d.b, d.t, ns]),
            )
        } else {
            (placeholder(), placeholder(), placeholder())
        };
        let first = if self.differentiable_traces {
            let v = lif_cpu::vmem(d, &self.thr, &fwd.u, &spikes);
            let i = lif_cpu::isyn(d, &self.beta, fwd);
            let mut all = Vec::with_capacity(d.b * d.t * (2 * d.n + ns));
            for r in 0..d.b * d.t {
                all.extend_from_slice(&spikes[r * d.n..(r + 1) * d.n]);
                all.extend_from_slice(&v[r * d.n..(r + 1) * d.n]);
                all.extend_from_slice(&i[r * ns..(r + 1) * ns]);
            }
            (all, vec![d.b, d.t, 2 * d.n + ns])
        } else {
            (spikes, vec![d.b, d.t, d.n])
        };
        [
            first,
            vmem,
            isyn,
            irec,
            (fwd.v_last.clone(), vec![d.b, d.n]),
            (fwd.i_last.clone(), vec![d.b, ns]),
            (fwd.s_last.clone(), vec![d.b, d.n]),
        ]
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

/// The host adjoint ([`lif_cpu::backward`]); with `traces`, `g_first` is `[B, T, 2N + N·S]`
/// (spikes, vmem, isyn) and is split into the three gradients.
#[allow(clippy::too_many_arguments)]
fn adjoint_host(
    d: LifDims,
    p: &LifParams<'_>,
    fwd: &LifForward,
    spikes: &[f32],
    v0: &[f32],
    s0: &[f32],
    g_first: &[f32],
    traces: bool,
) -> lif_cpu::LifGrads {
    if traces {
        let (n, ns) = (d.n, d.n * d.s);
        let w = 2 * n + ns;
        let mut gs = Vec::with_capacity(d.b * d.t * n);
        let mut gv = Vec::with_capacity(d.b * d.t * n);
        let mut gi = Vec::with_capacity(d.b * d.t * ns);
        for row in g_first.chunks_exact(w) {
            gs.extend_from_slice(&row[..n]);
            gv.extend_from_slice(&row[n..2 * n]);
            gi.extend_from_slice(&row[2 * n..]);
        }
        lif_cpu::backward(d, p, fwd, spikes, v0, s0, &gs, Some(&gv), Some(&gi))
    } else {
        lif_cpu::backward(d, p, fwd, spikes, v0, s0, g_first, None, None)
    }
}

/// The adjoint's gradients as host vectors with shapes, in the order of
/// [`LifBackend::lif_seq_adjoint`] (`∂/∂leak = −∂/∂decay`; `w_rec` `[1, 1]` zeros without
/// recurrence).
fn grads_host(d: LifDims, g: lif_cpu::LifGrads) -> [(Vec<f32>, Vec<usize>); 6] {
    let ns = d.n * d.s;
    let neg = |v: Vec<f32>| v.into_iter().map(|g| -g).collect::<Vec<f32>>();
    let w = if g.w_rec.is_empty() {
        (vec![0.0], vec![1, 1])
    } else {
        (g.w_rec, vec![d.n, ns])
    };
    [
        (g.x, vec![d.b, d.t, ns]),
        (neg(g.alpha), vec![d.n]),
        (neg(g.beta), vec![ns]),
        (g.thr, vec![d.n]),
        (g.bias, vec![d.n]),
        w,
    ]
}

/// Whether `B` keeps its tensors in host memory (the host kernels run on its buffers, and
/// the backward state stays in host vectors).
pub(super) fn on_host<B: Backend>() -> bool {
    let id = std::any::TypeId::of::<B>();
    #[cfg(feature = "flex")]
    if id == std::any::TypeId::of::<burn::backend::Flex>() {
        return true;
    }
    #[cfg(feature = "ndarray")]
    if id == std::any::TypeId::of::<burn::backend::NdArray>() {
        return true;
    }
    let _ = id;
    false
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
        let mut fwd = host.forward(cfg.record, true);
        // A bare spike output hands its raster over, and the backward reads it back from the
        // output tensor (no 4-byte-per-entry copy); with traces, the output is a new array.
        let share = !cfg.differentiable_traces;
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

/// Outputs of [`lif_sequence`].
#[derive(Clone, Debug)]
pub struct LifSequence {
    /// Spike counts `[B, T, N]` (differentiable through the surrogate).
    pub spikes: Tensor<3>,
    /// With `differentiable_traces`: the membrane `[B, T, N]` and synaptic current
    /// `[B, T, N·S]`, both differentiable.
    pub traces: Option<(Tensor<3>, Tensor<3>)>,
    /// Post-reset membrane `[B, T, N]` (no gradient).
    pub vmem: Tensor<3>,
    /// Post-decay synaptic current `[B, T, N·S]` (no gradient).
    pub isyn: Tensor<3>,
    /// Recurrent input `[B, T, N·S]` (zeros without recurrence; no gradient).
    pub irec: Tensor<3>,
    /// Final membrane `[B, N]`.
    pub v_last: Tensor<2>,
    /// Final synaptic current `[B, N·S]`.
    pub i_last: Tensor<2>,
    /// Final spikes `[B, N]`.
    pub s_last: Tensor<2>,
}

/// Runs the fused LIF recurrence (see the module docs). `x` `[B, T, N·S]`; the leaks
/// `leak_mem = 1 − α`, `thr`, `bias` `[N]`; `leak_syn = 1 − β` `[N·S]`; `w_rec` `[N, N·S]` or `None`; `noise` `[B, T, N]` or `None`;
/// initial `v0`, `s0` `[B, N]` and `i0` `[B, N·S]`. The traces (`vmem`, `isyn`, `irec`) are
/// only computed with `record`; otherwise they are `[1, 1, 1]` placeholders. Without
/// `synaptic_carry` there is no synaptic state: the input enters the membrane directly.
#[allow(clippy::too_many_arguments)]
pub fn lif_sequence(
    x: Tensor<3>,
    leak_mem: Tensor<1>,
    leak_syn: Tensor<1>,
    thr: Tensor<1>,
    bias: Tensor<1>,
    w_rec: Option<Tensor<2>>,
    noise: Option<Tensor<3>>,
    v0: Tensor<2>,
    i0: Tensor<2>,
    s0: Tensor<2>,
    n_syn: usize,
    max_spikes: f32,
    surrogate: Surrogate,
    record: bool,
    differentiable_traces: bool,
    synaptic_carry: bool,
) -> LifSequence {
    let device = x.device();
    let x_ns = x.dims()[2];
    let cfg = LifOpConfig {
        n_syn,
        max_spikes,
        surrogate,
        has_rec: w_rec.is_some(),
        has_noise: noise.is_some(),
        record,
        differentiable_traces,
        synaptic_carry,
    };
    let w_rec = w_rec.unwrap_or_else(|| Tensor::zeros([1, 1], &device));
    let noise = noise.unwrap_or_else(|| Tensor::zeros([1, 1, 1], &device));
    let (s, v, i, r, vl, il, sl) = <Dispatch as LifBackend>::lif_seq(
        x.into_dispatch(),
        leak_mem.into_dispatch(),
        leak_syn.into_dispatch(),
        thr.into_dispatch(),
        bias.into_dispatch(),
        w_rec.into_dispatch(),
        noise.into_dispatch(),
        v0.into_dispatch(),
        i0.into_dispatch(),
        s0.into_dispatch(),
        cfg,
    );
    let first: Tensor<3> = Tensor::from_dispatch(s);
    let (spikes, traces) = if differentiable_traces {
        let [b, t, w] = first.dims();
        let n = (w - x_ns) / 2;
        (
            first.clone().slice([0..b, 0..t, 0..n]),
            Some((
                first.clone().slice([0..b, 0..t, n..2 * n]),
                first.slice([0..b, 0..t, 2 * n..w]),
            )),
        )
    } else {
        (first, None)
    };
    LifSequence {
        spikes,
        traces,
        vmem: Tensor::from_dispatch(v),
        isyn: Tensor::from_dispatch(i),
        irec: Tensor::from_dispatch(r),
        v_last: Tensor::from_dispatch(vl),
        i_last: Tensor::from_dispatch(il),
        s_last: Tensor::from_dispatch(sl),
    }
}
