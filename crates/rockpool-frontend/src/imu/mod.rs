//! The XyloIMU (`syns63300`) interface: what turns a 3-axis accelerometer signal, sampled at
//! 200 Hz, into the spike counts a Xylo IMU core sees. Bit-exact with Rockpool 3.1.0.
//!
//! The chain ([`ImuIfSim`], Rockpool's `IMUIFSim`) is
//! [`RotationRemoval`] (subspace covariance tracking, sample-and-hold and a quantised Jacobi SVD
//! that rotates the signal into its principal axes; skipped with `bypass_jsvd`) →
//! [`FilterBank`] (15 quantised first-order Butterworth band-pass filters, 5 per axis) →
//! a spike encoder ([`ScaleSpikeEncoder`] or [`IafSpikeEncoder`]). Integers in, integers out:
//! `(T, 3)` samples below `2^15` in magnitude become `(T, 15)` spike counts (0..=15, or 0/1 for
//! the IAF encoder), one row per 5 ms input step. [`Quantizer`] turns a float signal into the
//! integers the chain takes.
//!
//! Each block is also a [`Block`] of its own, built by [`build`] from Rockpool's constructor
//! arguments under Rockpool's names.

mod encoder;
mod filterbank;
mod jsvd;
mod quantizer;
mod rotation;
mod sim;

pub use encoder::{IafSpikeEncoder, ScaleSpikeEncoder, SpikeEncoder};
pub use filterbank::{BandPassFilter, DEFAULT_FILTER_BANDS, FilterBank};
pub use jsvd::{Jsvd, JsvdResult};
pub use quantizer::Quantizer;
pub use rotation::{RotationRemoval, SubSpace};
pub use sim::{ImuIfConfig, ImuIfSim};

use ndarray::Array2;
use serde_json::Value;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

/// The front-end modules of this family, the full front end first.
pub const MODULES: &[&str] = &[
    "IMUIFSim",
    "Quantizer",
    "RotationRemoval",
    "FilterBank",
    "ScaleSpikeEncoder",
    "IAFSpikeEncoder",
];

/// The fixed computation rate of the XyloIMU interface in Hz (Rockpool's `CLOCK_RATE`).
pub const CLOCK_RATE: f64 = 200.0;

/// Input samples must lie in `[-(2^15 - 1), 2^15 - 1]` (Rockpool's 15-bit range check).
pub const MAX_INPUT: i64 = (1 << 15) - 1;

/// Builds `name` from Rockpool constructor arguments; `None` if the name is not one of [`MODULES`].
pub fn build(name: &str, params: &Params) -> Option<Result<Box<dyn Block>>> {
    fn boxed<B: Block + 'static>(b: Result<B>) -> Result<Box<dyn Block>> {
        b.map(|b| Box::new(b) as Box<dyn Block>)
    }
    Some(match name {
        "IMUIFSim" => boxed(ImuIfSim::from_params(params)),
        "Quantizer" => boxed(Quantizer::from_params(params)),
        "RotationRemoval" => boxed(RotationRemoval::from_params(params)),
        "FilterBank" => boxed(FilterBank::from_params(params)),
        "ScaleSpikeEncoder" => boxed(ScaleSpikeEncoder::from_params(params)),
        "IAFSpikeEncoder" => boxed(IafSpikeEncoder::from_params(params)),
        _ => return None,
    })
}

/// Reads Rockpool's `shape` argument: an integer `n` (taken as `int_shape(n)`) or a list
/// `[size_in, size_out]`; `default` when absent.
pub(crate) fn shape_param(
    params: &Params,
    module: &str,
    default: (usize, usize),
    int_shape: Option<fn(usize) -> (usize, usize)>,
) -> Result<(usize, usize)> {
    let bad = |msg: String| param_error(module, "shape", msg);
    let as_size = |v: &Value| {
        v.as_u64()
            .filter(|&n| (1..=1 << 20).contains(&n))
            .map(|n| n as usize)
    };
    match params.get("shape") {
        None => Ok(default),
        Some(Value::Array(a)) if a.len() == 2 => match (as_size(&a[0]), as_size(&a[1])) {
            (Some(i), Some(o)) => Ok((i, o)),
            _ => Err(bad(format!("expected two positive integers, got {a:?}"))),
        },
        Some(v) => match (as_size(v), int_shape) {
            (Some(n), Some(f)) => Ok(f(n)),
            _ => Err(bad(format!(
                "expected [size_in, size_out]{}, got {v}",
                if int_shape.is_some() {
                    " or a positive integer"
                } else {
                    ""
                }
            ))),
        },
    }
}

/// Per-channel integer arguments: a scalar repeated over `n` channels, or a list of `n`.
pub(crate) fn per_channel(
    params: &Params,
    module: &str,
    name: &str,
    default: i64,
    n: usize,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Vec<i64>> {
    let values = match params.i64_list(module, name)? {
        None => vec![default; n],
        Some(v) if v.len() == 1 && !matches!(params.get(name), Some(Value::Array(_))) => {
            vec![v[0]; n]
        }
        Some(v) => v,
    };
    if values.len() != n {
        return Err(param_error(
            module,
            name,
            format!("expected one value per channel ({n}), got {}", values.len()),
        ));
    }
    if let Some(bad) = values.iter().find(|v| !range.contains(v)) {
        return Err(param_error(
            module,
            name,
            format!("{bad} is outside {}..={}", range.start(), range.end()),
        ));
    }
    Ok(values)
}

/// The integer samples of `input` (`(T, channels)`), checked against the block's channel count;
/// floats must be whole numbers (quantise them with [`Quantizer`] first).
pub(crate) fn int_input(
    module: &str,
    input: &Signal,
    channels: usize,
    sample_rate: Option<f64>,
    rate: f64,
) -> Result<Array2<i64>> {
    check_rate(module, sample_rate, rate)?;
    let (t, c) = input.shape();
    if c != channels {
        return Err(input_error(
            module,
            format!("expected {channels} channels, got shape ({t}, {c})"),
        ));
    }
    input.to_i64().ok_or_else(|| {
        input_error(
            module,
            "expected integer samples; quantise float signals with `Quantizer` first",
        )
    })
}

/// Refuses a sample rate other than the block's own: the IMU interface does not resample.
pub(crate) fn check_rate(module: &str, sample_rate: Option<f64>, rate: f64) -> Result<()> {
    match sample_rate {
        Some(fs) if fs != rate => Err(input_error(
            module,
            format!(
                "input sampled at {fs} Hz, but {module} runs at {rate} Hz and does not resample"
            ),
        )),
        _ => Ok(()),
    }
}

/// Refuses an empty signal or samples outside `±(2^15 - 1)` (Rockpool raises `ValueError`).
pub(crate) fn check_range(module: &str, x: &Array2<i64>) -> Result<()> {
    if x.is_empty() {
        return Err(input_error(module, "the signal is empty"));
    }
    if let Some(((t, c), v)) = x.indexed_iter().find(|(_, v)| v.abs() > MAX_INPUT) {
        return Err(input_error(
            module,
            format!(
                "sample {v} at (t={t}, channel={c}) is out of range: |x| must be at most 2^15 - 1 = {MAX_INPUT}"
            ),
        ));
    }
    Ok(())
}
