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

/// The default limit on the elements of one tensor a layer may allocate from its
/// configuration: 2^31 (8 GiB of `f32`). Sizes read from a file or a flag are compared with
/// [`max_elements`] before any memory is reserved, so a typo (`n = 10^12`) is an error, not an
/// abort.
pub const MAX_ELEMENTS: u64 = 1 << 31;

/// The environment variable that raises (or lowers) [`MAX_ELEMENTS`] for a user who needs
/// larger layers: a positive integer, the number of elements.
pub const MAX_ELEMENTS_ENV: &str = "ROCKPOOL_MAX_ELEMENTS";

/// The limit on the elements of one tensor: `ROCKPOOL_MAX_ELEMENTS` if set to a positive
/// integer, else [`MAX_ELEMENTS`].
pub fn max_elements() -> u64 {
    std::env::var(MAX_ELEMENTS_ENV)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(MAX_ELEMENTS)
}

/// Checks that a tensor of shape `dims` (named by `what`, e.g. `"Linear weight"`) stays within
/// [`max_elements`], computing the count with checked arithmetic; returns the count.
pub fn check_elements(what: &str, dims: &[usize]) -> crate::error::Result<usize> {
    let limit = max_elements();
    let shape = dims
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" × ");
    let count = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64));
    match count {
        Some(c) if c <= limit => Ok(c as usize),
        Some(c) => Err(crate::error::Error::value(
            what,
            format!(
                "{shape} = {c} elements is above the limit of {limit} per tensor \
                 (set {MAX_ELEMENTS_ENV} to allow more)"
            ),
        )),
        None => Err(crate::error::Error::value(
            what,
            format!(
                "{shape} elements overflows a 64-bit count, far above the limit of {limit} \
                 per tensor"
            ),
        )),
    }
}

/// Checks the simulation parameters the LIF family and the rate neurons share, naming them
/// `{model}.dt`, …, with the same rules as `set_attributes`
/// ([`check_simulation_value`](crate::module::check::check_simulation_value)): `dt` positive,
/// `noise_std` non-negative and, where the model has one, `max_spikes_per_dt` at least 1, all
/// finite.
pub fn check_simulation(
    model: &str,
    dt: f64,
    noise_std: f64,
    max_spikes_per_dt: Option<f64>,
) -> crate::error::Result<()> {
    use crate::module::check::check_simulation_value;
    check_simulation_value(&format!("{model}.dt"), "dt", &[dt])?;
    check_simulation_value(&format!("{model}.noise_std"), "noise_std", &[noise_std])?;
    if let Some(m) = max_spikes_per_dt {
        check_simulation_value(
            &format!("{model}.max_spikes_per_dt"),
            "max_spikes_per_dt",
            &[m],
        )?;
    }
    Ok(())
}
