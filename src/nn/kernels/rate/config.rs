//! Options of the fused Rate operation: what a caller chooses ([`RateSequenceOptions`]) and
//! what the backends receive ([`RateOpConfig`]: those options, and which optional inputs are
//! real).

use crate::nn::activation::Activation;

/// Options of one [`rate_sequence`](super::rate_sequence) call. `Default` gives Rockpool's
/// `Rate` defaults (ReLU, no records); callers name what differs and write
/// `..Default::default()`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateSequenceOptions {
    /// The activation `H`, applied to `x − θ` (default ReLU).
    pub activation: Activation,
    /// Compute and return the state `x` and the recurrent input `r` sequences
    /// ([`RateSequence::records`](super::RateSequence::records); no gradient flows through
    /// them). Without it nothing is computed or copied for them (default false).
    pub record_states: bool,
}

/// What the fused Rate methods of [`RateBackend`](super::RateBackend) receive: the caller's
/// options, and which of the optional inputs are real (an absent one travels as a
/// placeholder tensor, because a backend method takes a fixed list of tensors).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateOpConfig {
    /// The caller's options.
    pub options: RateSequenceOptions,
    /// Whether `w_rec` is used (otherwise it is a `[1, 1]` placeholder).
    pub has_rec: bool,
    /// Whether `noise` is used (otherwise it is a `[1, 1, 1]` placeholder).
    pub has_noise: bool,
}
