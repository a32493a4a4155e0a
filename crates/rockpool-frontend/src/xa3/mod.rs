//! The XyloAudio 3 (`syns65302`) digital audio front end, bit-exact with Rockpool 3.1.0's
//! integer (hardware) path.
//!
//! The chain is an input stage → [`FilterBank`] (`ChipButterworth`, 16 integer band-pass
//! filters) → [`SpikeGen`] (`DivisiveNormalization`) → [`raster`] (`Raster`). Input stages:
//! external audio ([`AfeSimExternal`]: resampling to 48828.125 Hz and a 14-bit
//! [`Quantizer`]) or the PDM microphone ([`AfeSimPdm`]: a float64 delta-sigma modulator at
//! 1.5625 MHz and a polyphase decimation filter, see [`pdm`]). Each block is also a [`Block`]
//! under its Rockpool class name (see [`MODULES`]).
//!
//! Like Rockpool's `evolve`, every call is independent: the filter bank and the spike generator
//! each warm up on their own time-reversed input instead of starting from a zero state.

mod afe;
mod divisive_norm;
mod filterbank;
pub mod pdm;
mod quantize;
mod raster;

pub use afe::{AfeBlock, AfeConfig, AfeSimExternal, AfeSimPdm, SpikeGenMode};
pub use divisive_norm::{DivisiveNormalizationBlock, SpikeGen};
pub use filterbank::{
    B_IN, BLOCK_DIAGRAMS, ChipButterworthBlock, FilterBank, FilterTaps, NUM_FILTERS,
};
pub use quantize::{Quantizer, QuantizerBlock};
pub use raster::{RasterBlock, num_bins, raster};

use serde_json::Value;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

/// The audio sampling rate of the filter bank in Hz (50 MHz / 1024).
pub const AUDIO_SAMPLING_RATE: f64 = 48828.125;

/// The clock of the PDM microphone in Hz (32 × the audio rate).
pub const PDM_SAMPLING_RATE: f64 = 1_562_500.0;

/// The largest spike count per channel and output time step (4 bits).
pub const MAX_SPIKES_INPUT: i64 = 15;

/// The front-end modules of this family, the full front end first.
pub const MODULES: &[&str] = &[
    "AFESimExternal",
    "AFESimPDM",
    "ChipButterworth",
    "DivisiveNormalization",
    "Raster",
    "AudioQuantizer",
    "ResampleAndQuantize",
    "MicrophonePDM",
    "PolyPhaseFIR",
    "PDMADC",
];

/// Builds `name` from Rockpool constructor arguments; `None` if the name is not one of [`MODULES`].
pub fn build(name: &str, params: &Params) -> Option<Result<Box<dyn Block>>> {
    fn boxed<B: Block + 'static>(b: Result<B>) -> Result<Box<dyn Block>> {
        b.map(|b| Box::new(b) as Box<dyn Block>)
    }
    Some(match name {
        "AFESimExternal" => boxed(AfeBlock::external(params)),
        "AFESimPDM" => boxed(AfeBlock::pdm(params)),
        "ChipButterworth" => boxed(ChipButterworthBlock::from_params(params)),
        "DivisiveNormalization" => boxed(DivisiveNormalizationBlock::from_params(params)),
        "Raster" => boxed(RasterBlock::from_params(params)),
        "AudioQuantizer" => boxed(QuantizerBlock::audio_quantizer(params)),
        "ResampleAndQuantize" => boxed(QuantizerBlock::resample_and_quantize(params)),
        "MicrophonePDM" => boxed(pdm::PdmBlock::from_params(
            pdm::PdmStage::Microphone,
            params,
        )),
        "PolyPhaseFIR" => boxed(pdm::PdmBlock::from_params(pdm::PdmStage::Fir, params)),
        "PDMADC" => boxed(pdm::PdmBlock::from_params(pdm::PdmStage::Adc, params)),
        _ => return None,
    })
}

/// Blocks without resampling: `sample_rate` must be absent or equal to `rate`.
pub(crate) fn check_rate(module: &str, sample_rate: Option<f64>, rate: f64) -> Result<()> {
    match sample_rate {
        Some(fs) if fs != rate => Err(input_error(
            module,
            format!("sample rate {fs} Hz; this block runs at {rate} Hz and does not resample"),
        )),
        _ => Ok(()),
    }
}

/// The input rate: `sample_rate` if given (finite, positive), else `default`.
pub(crate) fn input_rate_or(module: &str, sample_rate: Option<f64>, default: f64) -> Result<f64> {
    match sample_rate {
        None => Ok(default),
        Some(fs) if fs.is_finite() && fs > 0.0 => Ok(fs),
        Some(fs) => Err(input_error(module, format!("sample rate {fs} Hz"))),
    }
}

/// Integer audio `(T, 1)` at 48828.125 Hz as a vector.
pub(crate) fn int_audio(
    module: &str,
    input: &Signal,
    sample_rate: Option<f64>,
) -> Result<Vec<i64>> {
    check_rate(module, sample_rate, AUDIO_SAMPLING_RATE)?;
    let (t, c) = input.shape();
    if c != 1 || t == 0 {
        return Err(input_error(
            module,
            format!("expected one channel of integer audio (T, 1) with T ≥ 1, got ({t}, {c})"),
        ));
    }
    let x = input
        .to_i64()
        .ok_or_else(|| input_error(module, "expected integer (quantised) audio"))?;
    Ok(x.into_raw_vec_and_offset().0)
}

/// The channel count of a `shape` argument (`C` or `[C, C]`); `default` when absent.
pub(crate) fn shape_channels(
    module: &str,
    params: &Params,
    default: Option<usize>,
) -> Result<Option<usize>> {
    let Some(v) = params.get("shape") else {
        return Ok(default);
    };
    let bad = || param_error(module, "shape", format!("expected C or [C, C], got {v}"));
    let dims: Vec<u64> = match v {
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_u64().ok_or_else(bad))
            .collect::<Result<_>>()?,
        x => vec![x.as_u64().ok_or_else(bad)?],
    };
    match dims.as_slice() {
        [c] | [c, _] if *c >= 1 && dims.iter().all(|d| d == c) => Ok(Some(*c as usize)),
        _ => Err(bad()),
    }
}
