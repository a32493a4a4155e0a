//! Options of the fused LIF operation: what a caller chooses ([`LifSequenceOptions`]) and what
//! the backends receive ([`LifOpConfig`]: those options, and which optional inputs are real).

use super::host_forward::LifDims;
use crate::nn::surrogate::Surrogate;

/// Options of one [`lif_sequence`](super::lif_sequence) call. `Default` gives a LIF layer
/// with Rockpool's defaults: one synapse per neuron, at most 65536 spikes per step, the
/// StepPWL surrogate, spikes as the only output, the synaptic current carried over; callers
/// name what differs and write `..Default::default()`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifSequenceOptions {
    /// Synapses per neuron `S`: the input has `N·S` channels, neuron `j`'s synapse `s` at
    /// `j·S + s` (default 1).
    pub n_syn: usize,
    /// Most spikes one neuron emits in one step (spikes per step, Rockpool's
    /// `max_spikes_per_dt`; default 65536).
    pub max_spikes: f32,
    /// The surrogate that stands in for `∂S/∂U` and `∂S/∂θ` in the backward (default
    /// StepPWL, window 0.5).
    pub surrogate: Surrogate,
    /// Compute and return the state sequences
    /// [`LifSequence::vmem`](super::LifSequence::vmem), `isyn` and `irec` (no gradient flows
    /// through them). Without it they are `[1, 1, 1]` placeholders and nothing is computed or
    /// copied for them (default false).
    pub record_states: bool,
    /// Also return the membrane `[B, T, N]` and the synaptic current `[B, T, N·S]` as
    /// differentiable outputs ([`LifSequence::traces`](super::LifSequence::traces)), for
    /// losses on the membrane (membrane read-outs) and synaptic filters (default false).
    pub differentiable_traces: bool,
    /// Whether the synaptic current is a state carried over between steps,
    /// `A[t] = I[t-1] + x[t] + S[t-1]·W_rec` (a LIF synapse; default true). Without it each
    /// step's input enters the membrane directly, `A[t] = x[t] + S[t-1]·W_rec`: a neuron
    /// without synapses (give `leak_syn = 0`, so that `I = A`).
    pub carry_synaptic_current: bool,
}

impl Default for LifSequenceOptions {
    fn default() -> Self {
        LifSequenceOptions {
            n_syn: 1,
            max_spikes: 65536.0,
            surrogate: Surrogate::default(),
            record_states: false,
            differentiable_traces: false,
            carry_synaptic_current: true,
        }
    }
}

/// What the fused LIF methods of [`LifBackend`](super::LifBackend) receive: the caller's
/// options, and which of the optional inputs are real (an absent one travels as a
/// placeholder tensor, because a backend method takes a fixed list of tensors).
///
/// With [`LifSequenceOptions::differentiable_traces`] the backends' first output is
/// `[B, T, 2N + N·S]`: spikes, membrane and synaptic current along the last axis, so that one
/// autodiff node carries the gradients of all three. Otherwise it is the spikes `[B, T, N]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LifOpConfig {
    /// The caller's options.
    pub options: LifSequenceOptions,
    /// Whether `w_rec` is used (otherwise it is a `[1, 1]` placeholder).
    pub has_rec: bool,
    /// Whether `noise` is used (otherwise it is a `[1, 1, 1]` placeholder).
    pub has_noise: bool,
}

impl LifOpConfig {
    /// The sizes and options of the host kernels for `b` sequences of `t` steps, `n` neurons.
    pub(super) fn dims(&self, b: usize, t: usize, n: usize) -> LifDims {
        LifDims {
            b,
            t,
            n,
            s: self.options.n_syn,
            max_spikes: self.options.max_spikes,
            surrogate: self.options.surrogate,
            carry: self.options.carry_synaptic_current,
        }
    }
}
