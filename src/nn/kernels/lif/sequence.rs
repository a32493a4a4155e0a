//! The entry point of the fused LIF operation: [`lif_sequence`] takes its tensors as a
//! [`LifSequenceInput`] and its options as a [`LifSequenceOptions`], dispatches to the
//! backend's [`LifBackend::lif_seq`] and names the outputs ([`LifSequence`]).

use burn::backend::Dispatch;
use burn::tensor::Tensor;

use super::config::{LifOpConfig, LifSequenceOptions};
use super::op::LifBackend;

/// The tensors of one [`lif_sequence`] call. Membrane, currents, bias and threshold share
/// one unit (Rockpool's: arbitrary, with the threshold typically 1); the leaks are per time
/// step and dimensionless. Gradients flow to `input`, the leaks, `threshold`, `bias` and
/// `w_rec`; not to `noise` or the initial state.
#[derive(Clone, Debug)]
pub struct LifSequenceInput {
    /// Input current `[B, T, N·S]` (neuron `j`, synapse `s` at channel `j·S + s`).
    pub input: Tensor<3>,
    /// Membrane leak per step `1 − α` `[N]`, with `α` the membrane decay (leaks rather than
    /// decays: for slow neurons a leak keeps the precision that an f32 decay near 1 loses).
    pub leak_mem: Tensor<1>,
    /// Synaptic leak per step `1 − β` `[N·S]`, with `β` the synaptic decay.
    pub leak_syn: Tensor<1>,
    /// Firing threshold `θ` `[N]` (positive).
    pub threshold: Tensor<1>,
    /// Bias current added to the membrane every step `[N]`.
    pub bias: Tensor<1>,
    /// Recurrent weights `[N, N·S]` (row = source neuron), or `None` without recurrence.
    pub w_rec: Option<Tensor<2>>,
    /// Membrane noise added every step `[B, T, N]`, or `None`.
    pub noise: Option<Tensor<3>>,
    /// Initial membrane `[B, N]`.
    pub v0: Tensor<2>,
    /// Initial synaptic current `[B, N·S]`.
    pub i0: Tensor<2>,
    /// Spikes of the step before the first, `[B, N]` (the first recurrent input).
    pub s0: Tensor<2>,
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

/// Runs the fused LIF recurrence over a whole sequence (the equations are in
/// [`super::host_forward`]) as one operation with a hand-written backward. The state
/// sequences (`vmem`, `isyn`, `irec`) are only computed with
/// [`LifSequenceOptions::record_states`]; otherwise they are `[1, 1, 1]` placeholders.
pub fn lif_sequence(inputs: LifSequenceInput, options: LifSequenceOptions) -> LifSequence {
    let LifSequenceInput {
        input,
        leak_mem,
        leak_syn,
        threshold,
        bias,
        w_rec,
        noise,
        v0,
        i0,
        s0,
    } = inputs;
    let device = input.device();
    let x_ns = input.dims()[2];
    let cfg = LifOpConfig {
        options,
        has_rec: w_rec.is_some(),
        has_noise: noise.is_some(),
    };
    let w_rec = w_rec.unwrap_or_else(|| Tensor::zeros([1, 1], &device));
    let noise = noise.unwrap_or_else(|| Tensor::zeros([1, 1, 1], &device));
    let (s, v, i, r, vl, il, sl) = <Dispatch as LifBackend>::lif_seq(
        input.into_dispatch(),
        leak_mem.into_dispatch(),
        leak_syn.into_dispatch(),
        threshold.into_dispatch(),
        bias.into_dispatch(),
        w_rec.into_dispatch(),
        noise.into_dispatch(),
        v0.into_dispatch(),
        i0.into_dispatch(),
        s0.into_dispatch(),
        cfg,
    );
    let first: Tensor<3> = Tensor::from_dispatch(s);
    let (spikes, traces) = if options.differentiable_traces {
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
