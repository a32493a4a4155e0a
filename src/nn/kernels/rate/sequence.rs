//! The entry point of the fused Rate operation: [`rate_sequence`] takes its tensors as a
//! [`RateSequenceInput`] and its options as a [`RateSequenceOptions`], dispatches to the
//! backend's [`RateBackend::rate_seq`] and names the outputs ([`RateSequence`]).

use burn::backend::Dispatch;
use burn::tensor::Tensor;

use super::config::{RateOpConfig, RateSequenceOptions};
use super::op::RateBackend;

/// The tensors of one [`rate_sequence`] call. Input, state, bias and threshold share one
/// unit (Rockpool's: arbitrary). Gradients flow to `input`, `a`, `bias`, `threshold`, `w_rec`
/// and `x0`; not to `noise`.
#[derive(Clone, Debug)]
pub struct RateSequenceInput {
    /// Input `[B, T, N]`.
    pub input: Tensor<3>,
    /// The Euler factor `a = dt/τ` `[N]` (dimensionless; τ already clipped by the caller).
    pub a: Tensor<1>,
    /// Bias added to the drive every step `[N]`.
    pub bias: Tensor<1>,
    /// Threshold `θ` `[N]`: the output is `H(x − θ)`.
    pub threshold: Tensor<1>,
    /// Recurrent weights `[N, N]` (row = source neuron), or `None` without recurrence.
    pub w_rec: Option<Tensor<2>>,
    /// Noise added to the drive every step `[B, T, N]`, or `None`.
    pub noise: Option<Tensor<3>>,
    /// Initial state `[B, N]`.
    pub x0: Tensor<2>,
}

/// Outputs of [`rate_sequence`].
#[derive(Clone, Debug)]
pub struct RateSequence {
    /// Output `y = H(x − θ)` `[B, T, N]` (differentiable).
    pub y: Tensor<3>,
    /// With `record_states`: the state `x` and the recurrent input `r` `[B, T, N]` each
    /// (zeros without recurrence). No gradient flows through them.
    pub records: Option<(Tensor<3>, Tensor<3>)>,
    /// Final state `[B, N]` (no gradient).
    pub x_last: Tensor<2>,
}

/// Runs the fused Rate recurrence over a whole sequence (the equations are in
/// [`super::host_forward`]) as one operation with a hand-written backward.
pub fn rate_sequence(inputs: RateSequenceInput, options: RateSequenceOptions) -> RateSequence {
    let RateSequenceInput {
        input,
        a,
        bias,
        threshold,
        w_rec,
        noise,
        x0,
    } = inputs;
    let device = input.device();
    let cfg = RateOpConfig {
        options,
        has_rec: w_rec.is_some(),
        has_noise: noise.is_some(),
    };
    let w_rec = w_rec.unwrap_or_else(|| Tensor::zeros([1, 1], &device));
    let noise = noise.unwrap_or_else(|| Tensor::zeros([1, 1, 1], &device));
    let (y, x, rec, x_last) = <Dispatch as RateBackend>::rate_seq(
        input.into_dispatch(),
        a.into_dispatch(),
        bias.into_dispatch(),
        threshold.into_dispatch(),
        w_rec.into_dispatch(),
        noise.into_dispatch(),
        x0.into_dispatch(),
        cfg,
    );
    RateSequence {
        y: Tensor::from_dispatch(y),
        records: options
            .record_states
            .then(|| (Tensor::from_dispatch(x), Tensor::from_dispatch(rec))),
        x_last: Tensor::from_dispatch(x_last),
    }
}
