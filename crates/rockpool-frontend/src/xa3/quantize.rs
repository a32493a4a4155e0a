//! The external input stage of XyloAudio 3: `ResampleAudio` (to 48828.125 Hz, Rockpool's
//! arange/interp rule in [`crate::resample`]) and `AudioQuantizer`,
//! `q = trunc(scale · x · 2^(num_bits−1))` in float64 (Python's `int()`, toward zero).

use ndarray::Array2;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

use super::AUDIO_SAMPLING_RATE;

/// The audio quantiser: `scale` and `num_bits` as Rockpool's `AudioQuantizer`.
#[doc(alias = "AudioQuantizer")]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantizer {
    /// Gain applied before quantisation.
    pub scale: f64,
    /// Bits of the quantised audio (14 on the chip): `|x| < 1` maps into `|q| < 2^(num_bits−1)`.
    pub num_bits: u32,
}

impl Default for Quantizer {
    fn default() -> Self {
        Self {
            scale: 1.0,
            num_bits: 14,
        }
    }
}

impl Quantizer {
    /// Checks `num_bits` (1 to 63) and `scale` (finite).
    pub fn new(module: &str, scale: f64, num_bits: i64) -> Result<Self> {
        if !(1..=63).contains(&num_bits) {
            return Err(param_error(
                module,
                "num_bits",
                format!("must be 1 to 63, got {num_bits}"),
            ));
        }
        if !scale.is_finite() {
            return Err(param_error(module, "scale", "must be finite"));
        }
        Ok(Self {
            scale,
            num_bits: num_bits as u32,
        })
    }

    /// Quantises one sample; `None` if it is not finite or does not fit `i64`.
    #[inline]
    pub fn quantize_one(&self, x: f64) -> Option<i64> {
        let v = (self.scale * x * (1u64 << (self.num_bits - 1)) as f64).trunc();
        (v.is_finite() && v.abs() < 9.2e18).then_some(v as i64)
    }

    /// Quantises `x` into `out` (cleared first). `module` names the caller in errors.
    pub fn quantize_into(&self, module: &str, x: &[f64], out: &mut Vec<i64>) -> Result<()> {
        out.clear();
        out.reserve(x.len());
        for (n, &v) in x.iter().enumerate() {
            match self.quantize_one(v) {
                Some(q) => out.push(q),
                None => {
                    return Err(input_error(
                        module,
                        format!("sample {n} = {v} cannot be quantised to an integer"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `AudioQuantizer` (no resampling) or `ResampleAndQuantize` as a [`Block`]: float audio
/// `(T, C)` → integers `(T', C)`.
#[derive(Debug, Clone)]
pub struct QuantizerBlock {
    quantizer: Quantizer,
    /// The target rate of `ResampleAndQuantize`; `None` for `AudioQuantizer`.
    resample_to: Option<f64>,
}

impl QuantizerBlock {
    /// `AudioQuantizer(scale=1.0, num_bits=14)`.
    pub fn audio_quantizer(params: &Params) -> Result<Self> {
        const M: &str = "AudioQuantizer";
        let scale = params.f64(M, "scale", 1.0)?;
        let num_bits = params.i64(M, "num_bits", 14)?;
        let quantizer = Quantizer::new(M, scale, num_bits)?;
        params.finish(M)?;
        Ok(Self {
            quantizer,
            resample_to: None,
        })
    }

    /// `ResampleAndQuantize(fs=48828.125, scale=1.0, num_bits=14)`.
    pub fn resample_and_quantize(params: &Params) -> Result<Self> {
        const M: &str = "ResampleAndQuantize";
        let fs = params.f64(M, "fs", AUDIO_SAMPLING_RATE)?;
        if fs <= 0.0 {
            return Err(param_error(M, "fs", format!("must be positive, got {fs}")));
        }
        let scale = params.f64(M, "scale", 1.0)?;
        let num_bits = params.i64(M, "num_bits", 14)?;
        let quantizer = Quantizer::new(M, scale, num_bits)?;
        params.finish(M)?;
        Ok(Self {
            quantizer,
            resample_to: Some(fs),
        })
    }
}

impl Block for QuantizerBlock {
    fn name(&self) -> &str {
        if self.resample_to.is_some() {
            "ResampleAndQuantize"
        } else {
            "AudioQuantizer"
        }
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let m = self.name().to_string();
        let x = input.to_f64();
        let (t, c) = x.dim();
        if t == 0 {
            return Err(input_error(&m, "the input has no samples"));
        }
        let mut cols = Vec::with_capacity(c);
        let mut q = Vec::new();
        for col in x.columns() {
            let col: Vec<f64> = col.to_vec();
            let col = match self.resample_to {
                None => {
                    super::check_rate(&m, sample_rate, AUDIO_SAMPLING_RATE)?;
                    col
                }
                Some(fs) => {
                    let fs_in = super::input_rate_or(&m, sample_rate, fs)?;
                    crate::resample::resample_checked(&m, &col, fs_in, fs)?
                }
            };
            self.quantizer.quantize_into(&m, &col, &mut q)?;
            cols.push(q.clone());
        }
        let t_out = cols.first().map_or(0, Vec::len);
        Ok(Signal::Int(Array2::from_shape_fn((t_out, c), |(n, ch)| {
            cols[ch][n]
        })))
    }

    fn input_rate(&self) -> f64 {
        self.resample_to.unwrap_or(AUDIO_SAMPLING_RATE)
    }

    fn output_dt(&self) -> f64 {
        1.0 / self.input_rate()
    }

    fn output_channels(&self) -> usize {
        1
    }

    fn reset(&mut self) {}
}
