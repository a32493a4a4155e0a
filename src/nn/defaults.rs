//! The defaults and limits shared by the neuron models, defined once: Rockpool's default time
//! step and time constants, the spike cap, the floor that keeps trained time constants
//! stable, and the white-noise term every noisy model adds.

use burn::tensor::{Device, Tensor};

/// Default time step `dt`, seconds (Rockpool's 1 ms).
pub const DT: f64 = 1e-3;

/// Default membrane and synaptic time constant of the LIF family, seconds (Rockpool's 20 ms).
pub const TAU_LIF: f64 = 20e-3;

/// Default time constant of [`ExpSyn`](super::ExpSyn), seconds (Rockpool's 10 ms).
pub const TAU_EXP_SYN: f64 = 10e-3;

/// Default time constant of [`Rate`](super::Rate), seconds (Rockpool's 20 ms).
pub const TAU_RATE: f64 = 20e-3;

/// Default spike cap per neuron and time step (Rockpool's `max_spikes_per_dt`, 2^16).
pub const MAX_SPIKES_PER_DT: f64 = 65536.0;

/// Default LIF threshold.
pub const THRESHOLD: f64 = 1.0;

/// Trained time constants are clamped below at this fraction of `dt` (zero gradient beyond):
/// a negative or tiny τ after a large optimiser step would make `exp(−dt/τ)` overflow.
pub const TAU_FLOOR_OF_DT: f64 = 0.1;

/// The smallest time constant the LIF-family models use at time step `dt`, seconds.
pub fn tau_floor(dt: f64) -> f64 {
    dt * TAU_FLOOR_OF_DT
}

/// Noise `σ·√dt·ξ`, `ξ ~ N(0, 1)` drawn afresh, of the given shape; `None` when `σ = 0` so
/// that nothing is drawn or added.
pub fn white_noise<const D: usize>(
    shape: [usize; D],
    noise_std: f64,
    dt: f64,
    device: &Device,
) -> Option<Tensor<D>> {
    (noise_std > 0.0).then(|| {
        Tensor::random(shape, burn::tensor::Distribution::Normal(0.0, 1.0), device)
            * (noise_std * dt.sqrt())
    })
}
