//! Between the op's tensors and the host recurrences: [`HostInputs`] reads the inputs of a
//! call into host vectors (parameters in f64), runs [`super::host_forward`] and shapes its
//! outputs; [`grads_host`] shapes the gradients of [`super::host_backward`]. The backends'
//! host bodies and the autodiff node of [`super::op`] share them.

use burn::backend::Backend;
use burn::backend::tensor::FloatTensor;

use super::config::RateOpConfig;
use super::host_backward::RateGrads;
use super::host_forward::{self, RateDims, RateForward, RateParams};
use crate::nn::kernels::host::read_host;

/// Host copies of all inputs, with the sizes; parameters in f64.
#[derive(Clone, Debug)]
pub(super) struct HostInputs {
    pub(super) dims: RateDims,
    pub(super) record: bool,
    pub(super) input: Vec<f32>,
    pub(super) a: Vec<f64>,
    pub(super) bias: Vec<f64>,
    pub(super) thr: Vec<f64>,
    pub(super) w_rec: Option<Vec<f64>>,
    pub(super) noise: Option<Vec<f32>>,
    pub(super) x0: Vec<f32>,
}

impl HostInputs {
    pub(super) fn read<B: Backend>(t: [FloatTensor<B>; 7], cfg: RateOpConfig) -> Self {
        let [input, a, bias, thr, w_rec, noise, x0] = t.map(read_host::<B>);
        let wide = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
        let dims = RateDims {
            b: input.1[0],
            t: input.1[1],
            n: input.1[2],
            act: cfg.options.activation,
        };
        Self {
            dims,
            record: cfg.options.record_states,
            input: input.0,
            a: wide(a.0),
            bias: wide(bias.0),
            thr: wide(thr.0),
            w_rec: cfg.has_rec.then(|| wide(w_rec.0)),
            noise: cfg.has_noise.then_some(noise.0),
            x0: x0.0,
        }
    }

    pub(super) fn params(&self) -> RateParams<'_> {
        RateParams {
            a: &self.a,
            bias: &self.bias,
            thr: &self.thr,
            w_rec: self.w_rec.as_deref(),
        }
    }

    /// `keep`: keep what the backward needs.
    pub(super) fn forward(&self, keep: bool) -> RateForward {
        host_forward::forward(
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
    pub(super) fn outputs(&self, fwd: &mut RateForward, keep: bool) -> [(Vec<f32>, Vec<usize>); 4] {
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

/// The adjoint's gradients as host vectors with shapes, in the order of
/// [`RateBackend::rate_seq_adjoint`](super::RateBackend::rate_seq_adjoint) (`w_rec` `[1, 1]` zeros without recurrence).
pub(super) fn grads_host(d: RateDims, g: RateGrads) -> [(Vec<f32>, Vec<usize>); 6] {
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
