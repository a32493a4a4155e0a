//! The input quantiser of the IMU interface (Rockpool's `transform.Quantizer`): a float signal
//! becomes integers `q = int(scale · x · 2^(num_bits − 1))`, computed in float64 in that order
//! and truncated toward zero, one element at a time.

use ndarray::Array2;

use super::{CLOCK_RATE, check_rate, shape_param};
use crate::error::{Error, input_error, param_error};
use crate::{Block, Params, Result, Signal};

const NAME: &str = "Quantizer";

/// Float `(T, C)` → integer `(T, C)`: `int(scale · x · 2^(num_bits − 1))`, truncating toward
/// zero. With the defaults (`scale = 1`, `num_bits = 16`) a signal in `(-1, 1)` (full scale of
/// the accelerometer) maps to `|q| < 2^15`, the range the interface takes.
#[derive(Debug, Clone)]
pub struct Quantizer {
    /// Factor applied before quantisation (Rockpool's `scale`, default 1.0).
    pub scale: f64,
    /// Bits of the quantised signal, sign included (Rockpool's `num_bits`, default 16).
    pub num_bits: i64,
    channels: usize,
}

impl Quantizer {
    /// A quantiser for `channels` channels.
    pub fn new(scale: f64, num_bits: i64, channels: usize) -> Result<Self> {
        if !scale.is_finite() {
            return Err(param_error(NAME, "scale", "must be finite"));
        }
        // Python's `float * 2**(num_bits-1)` raises OverflowError beyond float64's range.
        if !(-1000..=1023).contains(&(num_bits - 1)) {
            return Err(param_error(
                NAME,
                "num_bits",
                format!("{num_bits} makes 2^(num_bits-1) leave the float64 range"),
            ));
        }
        Ok(Self {
            scale,
            num_bits,
            channels,
        })
    }

    /// Builds from Rockpool's constructor arguments `shape` (default `(3, 3)`), `scale`,
    /// `num_bits`.
    pub fn from_params(params: &Params) -> Result<Self> {
        let (size_in, _) = shape_param(params, NAME, (3, 3), Some(|n| (n, n)))?;
        let scale = params.f64(NAME, "scale", 1.0)?;
        let num_bits = params.i64(NAME, "num_bits", 16)?;
        params.finish(NAME)?;
        Self::new(scale, num_bits, size_in)
    }

    /// Quantises `x` (`(T, C)`, any units): see the type's documentation. Errors on a
    /// non-finite sample or a result outside `i64`.
    pub fn quantize(&self, x: &Array2<f64>) -> Result<Array2<i64>> {
        let factor = 2f64.powi((self.num_bits - 1) as i32);
        let mut out = Array2::zeros(x.dim());
        for ((idx, &v), o) in x.indexed_iter().zip(out.iter_mut()) {
            let q = (self.scale * v * factor).trunc();
            if !q.is_finite() {
                return Err(input_error(
                    NAME,
                    format!(
                        "sample {v} at (t={}, channel={}) is not finite",
                        idx.0, idx.1
                    ),
                ));
            }
            // i64::MAX as f64 is 2^63, the first magnitude that does not fit.
            if q.abs() >= i64::MAX as f64 {
                return Err(Error::Overflow {
                    module: NAME.into(),
                    message: format!("quantised value {q} of sample {v} does not fit 64 bits"),
                });
            }
            *o = q as i64;
        }
        Ok(out)
    }
}

impl Block for Quantizer {
    fn name(&self) -> &str {
        NAME
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        check_rate(NAME, sample_rate, CLOCK_RATE)?;
        let (t, c) = input.shape();
        if c != self.channels {
            return Err(input_error(
                NAME,
                format!("expected {} channels, got shape ({t}, {c})", self.channels),
            ));
        }
        self.quantize(&input.to_f64()).map(Signal::Int)
    }

    fn input_rate(&self) -> f64 {
        CLOCK_RATE
    }

    fn output_dt(&self) -> f64 {
        1.0 / CLOCK_RATE
    }

    fn output_channels(&self) -> usize {
        self.channels
    }

    fn reset(&mut self) {}
}
