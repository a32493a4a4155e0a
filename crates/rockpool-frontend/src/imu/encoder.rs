//! The spike encoders of the IMU interface: filter outputs `(T, C)` → spike counts `(T, C)`.
//!
//! * [`ScaleSpikeEncoder`] (Rockpool's `ScaleSpikeEncoder`): `min(|y| >> s_c, 15)` per channel.
//! * [`IafSpikeEncoder`] (Rockpool's `IAFSpikeEncoder`): `S(t) = Σ_{n ≤ t} |y(n)|`, spike at `t`
//!   iff `⌊S(t)/θ_c⌋ > ⌊S(t−1)/θ_c⌋`: at most one spike per step, and further threshold
//!   crossings in the same step are lost (the count comes from the cumulative sum, no carry).
//!   The sum restarts at 0 on every call.

use ndarray::Array2;

use super::{CLOCK_RATE, int_input, per_channel, shape_param};
use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

/// Largest spike count per step (`2^NUM_BITS_SPIKE − 1`).
const MAX_COUNT: u64 = 15;

/// Either spike encoder, as [`super::ImuIfSim`] picks it (`select_iaf_output`).
#[derive(Debug, Clone)]
pub enum SpikeEncoder {
    /// Scale-and-truncate encoding: counts 0..=15.
    Scale(ScaleSpikeEncoder),
    /// Integrate-and-fire encoding: 0 or 1 per step.
    Iaf(IafSpikeEncoder),
}

impl SpikeEncoder {
    /// Encodes `y` (`(T, C)`); returns `(T, C)`.
    pub fn encode(&self, y: &Array2<i64>) -> Result<Array2<i64>> {
        match self {
            SpikeEncoder::Scale(e) => e.encode(y),
            SpikeEncoder::Iaf(e) => e.encode(y),
        }
    }
}

fn encoder_shape(params: &Params, module: &str) -> Result<usize> {
    let (i, o) = shape_param(params, module, (15, 15), Some(|n| (n, n)))?;
    if i != o {
        return Err(param_error(
            module,
            "shape",
            format!("input and output sizes must be equal, got ({i}, {o})"),
        ));
    }
    Ok(o)
}

fn check_channels(module: &str, y: &Array2<i64>, n: usize) -> Result<()> {
    if y.ncols() != n {
        return Err(input_error(
            module,
            format!("expected {n} channels, got shape {:?}", y.dim()),
        ));
    }
    Ok(())
}

/// Rockpool's `ScaleSpikeEncoder`: `min(|y| >> num_scale_bits[c], 15)`.
#[derive(Debug, Clone)]
pub struct ScaleSpikeEncoder {
    num_scale_bits: Vec<u32>,
}

impl ScaleSpikeEncoder {
    const NAME: &'static str = "ScaleSpikeEncoder";

    /// One right shift per channel, each in 0..=31.
    pub fn new(num_scale_bits: Vec<u32>) -> Result<Self> {
        if let Some(b) = num_scale_bits.iter().find(|&&b| b > 31) {
            return Err(param_error(
                Self::NAME,
                "num_scale_bits",
                format!("{b} is outside 0..=31"),
            ));
        }
        Ok(Self { num_scale_bits })
    }

    /// Builds from Rockpool's constructor arguments `shape` (default `(15, 15)`) and
    /// `num_scale_bits` (an integer for every channel or one per channel; default 5).
    pub fn from_params(params: &Params) -> Result<Self> {
        let n = encoder_shape(params, Self::NAME)?;
        let bits = per_channel(params, Self::NAME, "num_scale_bits", 5, n, 0..=31)?;
        params.finish(Self::NAME)?;
        Self::new(bits.into_iter().map(|b| b as u32).collect())
    }

    /// Encodes `y` (`(T, C)`); returns counts `(T, C)` in 0..=15.
    pub fn encode(&self, y: &Array2<i64>) -> Result<Array2<i64>> {
        check_channels(Self::NAME, y, self.num_scale_bits.len())?;
        let mut out = y.clone();
        for mut row in out.outer_iter_mut() {
            for (v, &s) in row.iter_mut().zip(&self.num_scale_bits) {
                *v = (v.unsigned_abs() >> s).min(MAX_COUNT) as i64;
            }
        }
        Ok(out)
    }
}

/// Rockpool's `IAFSpikeEncoder`: see the module documentation.
#[doc(alias = "IAFSpikeEncoder")]
#[derive(Debug, Clone)]
pub struct IafSpikeEncoder {
    threshold: Vec<i64>,
}

impl IafSpikeEncoder {
    const NAME: &'static str = "IAFSpikeEncoder";

    /// One threshold per channel, each in `1..=2^31 − 1` (Rockpool accepts 0, then divides by
    /// zero).
    pub fn new(threshold: Vec<i64>) -> Result<Self> {
        if let Some(t) = threshold
            .iter()
            .find(|&&t| !(1..=(1 << 31) - 1).contains(&t))
        {
            return Err(param_error(
                Self::NAME,
                "threshold",
                format!("{t} is outside 1..=2^31-1"),
            ));
        }
        Ok(Self { threshold })
    }

    /// Builds from Rockpool's constructor arguments `shape` (default `(15, 15)`) and `threshold`
    /// (an integer for every channel or one per channel; default 1024).
    pub fn from_params(params: &Params) -> Result<Self> {
        let n = encoder_shape(params, Self::NAME)?;
        let th = per_channel(params, Self::NAME, "threshold", 1024, n, 1..=(1 << 31) - 1)?;
        params.finish(Self::NAME)?;
        Self::new(th)
    }

    /// Encodes `y` (`(T, C)`); returns spikes `(T, C)` in {0, 1}.
    pub fn encode(&self, y: &Array2<i64>) -> Result<Array2<i64>> {
        check_channels(Self::NAME, y, self.threshold.len())?;
        let mut out = Array2::zeros(y.dim());
        for (c, &th) in self.threshold.iter().enumerate() {
            let th = th as u64;
            let (mut sum, mut count) = (0u64, 0u64);
            for (v, o) in y.column(c).iter().zip(out.column_mut(c).iter_mut()) {
                sum = sum.checked_add(v.unsigned_abs()).ok_or_else(|| {
                    input_error(Self::NAME, "the cumulative input exceeds 64 bits")
                })?;
                let now = sum / th;
                *o = i64::from(now > count);
                count = now;
            }
        }
        Ok(out)
    }
}

macro_rules! encoder_block {
    ($t:ty, $field:ident) => {
        impl Block for $t {
            fn name(&self) -> &str {
                Self::NAME
            }

            fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
                let n = self.$field.len();
                let y = int_input(Self::NAME, input, n, sample_rate, CLOCK_RATE)?;
                self.encode(&y).map(Signal::Int)
            }

            fn input_rate(&self) -> f64 {
                CLOCK_RATE
            }

            fn output_dt(&self) -> f64 {
                1.0 / CLOCK_RATE
            }

            fn output_channels(&self) -> usize {
                self.$field.len()
            }

            fn reset(&mut self) {}
        }
    };
}

encoder_block!(ScaleSpikeEncoder, num_scale_bits);
encoder_block!(IafSpikeEncoder, threshold);
