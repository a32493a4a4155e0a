//! Between the op's tensors and the host recurrences: [`HostInputs`] reads the inputs of a
//! call into host vectors (parameters in f64 where the recurrence needs them), runs
//! [`super::host_forward`] and shapes its outputs; [`adjoint_host`] and [`grads_host`] do the
//! same for [`super::host_backward`]. The backends' host bodies and the autodiff node of
//! [`super::op`] share them.

use burn::backend::Backend;
use burn::backend::tensor::FloatTensor;

use super::config::LifOpConfig;
use super::host_backward::{self, LifGrads};
use super::host_forward::{self, LifDims, LifForward, LifParams};
use crate::nn::kernels::host::read_host;

/// The decays `1 − leak` in f64. The op takes leaks: for slow neurons they carry the decay's
/// precision that an f32 decay near 1 would lose.
pub(super) fn decays(leak: &[f32]) -> Vec<f64> {
    leak.iter().map(|&l| 1.0 - f64::from(l)).collect()
}

/// Host copies of all inputs, with the sizes.
#[derive(Clone, Debug)]
pub(super) struct HostInputs {
    pub(super) dims: LifDims,
    pub(super) record: bool,
    pub(super) differentiable_traces: bool,
    pub(super) x: Vec<f32>,
    /// `1 − leak_mem` in f64.
    pub(super) alpha: Vec<f64>,
    /// `1 − leak_syn` in f64.
    pub(super) beta: Vec<f64>,
    pub(super) thr: Vec<f32>,
    pub(super) bias: Vec<f32>,
    pub(super) w_rec: Option<Vec<f32>>,
    pub(super) noise: Option<Vec<f32>>,
    pub(super) v0: Vec<f32>,
    pub(super) i0: Vec<f32>,
    pub(super) s0: Vec<f32>,
}

impl HostInputs {
    pub(super) fn read<B: Backend>(t: [FloatTensor<B>; 10], cfg: LifOpConfig) -> Self {
        let [x, leak_mem, leak_syn, thr, bias, w_rec, noise, v0, i0, s0] = t.map(read_host::<B>);
        Self {
            dims: cfg.dims(x.1[0], x.1[1], x.1[2] / cfg.options.n_syn),
            record: cfg.options.record_states,
            differentiable_traces: cfg.options.differentiable_traces,
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

    pub(super) fn params(&self) -> LifParams<'_> {
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
    pub(super) fn forward(&mut self, record_irec: bool, keep: bool) -> LifForward {
        host_forward::forward(
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
    pub(super) fn outputs(
        &self,
        fwd: &LifForward,
        spikes: Vec<f32>,
    ) -> [(Vec<f32>, Vec<usize>); 7] {
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
                    host_forward::vmem(d, &self.thr, &fwd.u, &spikes),
                    vec![d.b, d.t, d.n],
                ),
                (host_forward::isyn(d, &self.beta, fwd), vec![d.b, d.t, ns]),
                (irec, vec![d.b, d.t, ns]),
            )
        } else {
            (placeholder(), placeholder(), placeholder())
        };
        let first = if self.differentiable_traces {
            let v = host_forward::vmem(d, &self.thr, &fwd.u, &spikes);
            let i = host_forward::isyn(d, &self.beta, fwd);
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

/// The host adjoint ([`host_backward::backward`]); with `traces`, `g_first` is
/// `[B, T, 2N + N·S]` (spikes, vmem, isyn) and is split into the three gradients.
#[allow(clippy::too_many_arguments)]
pub(super) fn adjoint_host(
    d: LifDims,
    p: &LifParams<'_>,
    fwd: &LifForward,
    spikes: &[f32],
    v0: &[f32],
    s0: &[f32],
    g_first: &[f32],
    traces: bool,
) -> LifGrads {
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
        host_backward::backward(d, p, fwd, spikes, v0, s0, &gs, Some(&gv), Some(&gi))
    } else {
        host_backward::backward(d, p, fwd, spikes, v0, s0, g_first, None, None)
    }
}

/// The adjoint's gradients as host vectors with shapes, in the order of
/// [`LifBackend::lif_seq_adjoint`](super::LifBackend::lif_seq_adjoint)
/// (`∂/∂leak = −∂/∂decay`; `w_rec` `[1, 1]` zeros without recurrence).
pub(super) fn grads_host(d: LifDims, g: LifGrads) -> [(Vec<f32>, Vec<usize>); 6] {
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
