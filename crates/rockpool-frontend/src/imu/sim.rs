//! The whole XyloIMU interface (Rockpool's `IMUIFSim`): [`RotationRemoval`] (unless
//! `bypass_jsvd`) → [`FilterBank`] → [`ScaleSpikeEncoder`] or [`IafSpikeEncoder`].
//!
//! Input `(T, 3)` integers, `|x| ≤ 2^15 − 1` (quantise float accelerometer data with
//! [`super::Quantizer`]); output `(T, 15)` spike counts, one row per input step of
//! `1/sampling_freq` seconds (5 ms by default). The covariance state of the rotation removal
//! carries over from one call to the next, as in Rockpool; [`ImuIfSim::reset`] clears it.

use ndarray::Array2;

use super::filterbank::filter_list;
use super::{
    BandPassFilter, FilterBank, IafSpikeEncoder, RotationRemoval, ScaleSpikeEncoder, SpikeEncoder,
    check_rate, int_input, per_channel, shape_param,
};
use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

const NAME: &str = "IMUIFSim";

/// The constructor arguments of [`ImuIfSim`], under Rust names (Rockpool's names in the docs).
#[derive(Debug, Clone, PartialEq)]
pub struct ImuIfConfig {
    /// Input channels (`shape[0]`): 3, or any count with `bypass_jsvd`.
    pub size_in: usize,
    /// `select_iaf_output`: encode with [`IafSpikeEncoder`] instead of [`ScaleSpikeEncoder`].
    pub select_iaf_output: bool,
    /// `bypass_jsvd`: skip the rotation removal.
    pub bypass_jsvd: bool,
    /// `filter_list`: one filter per output channel, `len / size_in` per input channel in order.
    pub filter_list: Vec<BandPassFilter>,
    /// `scale_values`: right shifts of the scale encoder, one per output channel (0..=31).
    pub scale_values: Vec<u32>,
    /// `iaf_threshold_values`: IAF thresholds, one per output channel (`1..=2^31 − 1`).
    pub iaf_threshold_values: Vec<i64>,
    /// `num_avg_bitshift`: covariance averaging window `2^k` samples (0..=31).
    pub num_avg_bitshift: u32,
    /// `SAH_period`: the covariance is sampled and held every this many steps (1..=2047).
    pub sah_period: usize,
    /// `sampling_freq`: the input rate in Hz; the output step is its inverse.
    pub sampling_freq: f64,
}

impl Default for ImuIfConfig {
    fn default() -> Self {
        Self {
            size_in: 3,
            select_iaf_output: false,
            bypass_jsvd: false,
            filter_list: BandPassFilter::defaults(),
            scale_values: vec![5; 15],
            iaf_threshold_values: vec![1024; 15],
            num_avg_bitshift: 4,
            sah_period: 10,
            sampling_freq: super::CLOCK_RATE,
        }
    }
}

impl ImuIfConfig {
    /// Reads Rockpool's constructor arguments: `shape` (`[3, 15]`), `select_iaf_output`,
    /// `bypass_jsvd`, `filter_list` (see [`BandPassFilter::from_json`]), `scale_values`,
    /// `iaf_threshold_values` (an integer for every channel or a list of one per channel),
    /// `num_avg_bitshift`, `SAH_period`, `sampling_freq`. Arguments of the block that is not
    /// built (the unused encoder, the rotation removal when bypassed) are not range-checked,
    /// as in Rockpool.
    pub fn from_params(params: &Params) -> Result<Self> {
        let (size_in, size_out) = shape_param(params, NAME, (3, 15), None)?;
        let select_iaf_output = params.bool(NAME, "select_iaf_output", false)?;
        let bypass_jsvd = params.bool(NAME, "bypass_jsvd", false)?;
        let filters = filter_list(params, NAME, "filter_list")?;
        let filter_list = filters.unwrap_or_else(BandPassFilter::defaults);
        if filter_list.len() != size_out {
            return Err(param_error(
                NAME,
                "filter_list",
                format!(
                    "the number of filters {} does not match the number of output channels {size_out}",
                    filter_list.len()
                ),
            ));
        }
        let (scale_range, iaf_range) = if select_iaf_output {
            (i64::MIN..=i64::MAX, 1..=(1 << 31) - 1)
        } else {
            (0..=31, i64::MIN..=i64::MAX)
        };
        let scale = per_channel(params, NAME, "scale_values", 5, size_out, scale_range)?;
        let thresholds = per_channel(
            params,
            NAME,
            "iaf_threshold_values",
            1024,
            size_out,
            iaf_range,
        )?;
        let (k_range, p_range) = if bypass_jsvd {
            (i64::MIN..=i64::MAX, i64::MIN..=i64::MAX)
        } else {
            (0..=31, 1..=2047)
        };
        let k = params.i64(NAME, "num_avg_bitshift", 4)?;
        let p = params.i64(NAME, "SAH_period", 10)?;
        let sampling_freq = params.f64(NAME, "sampling_freq", super::CLOCK_RATE)?;
        params.finish(NAME)?;
        if !k_range.contains(&k) {
            return Err(param_error(
                NAME,
                "num_avg_bitshift",
                format!("{k} is outside 0..=31"),
            ));
        }
        if !p_range.contains(&p) {
            return Err(param_error(
                NAME,
                "SAH_period",
                format!("{p} is outside 1..=2047"),
            ));
        }
        if sampling_freq <= 0.0 {
            return Err(param_error(
                NAME,
                "sampling_freq",
                format!("{sampling_freq} Hz must be positive"),
            ));
        }
        Ok(Self {
            size_in,
            select_iaf_output,
            bypass_jsvd,
            filter_list,
            scale_values: scale.into_iter().map(|s| s.clamp(0, 31) as u32).collect(),
            iaf_threshold_values: thresholds
                .into_iter()
                .map(|t| t.clamp(1, (1 << 31) - 1))
                .collect(),
            num_avg_bitshift: k.clamp(0, 31) as u32,
            sah_period: p.clamp(1, 2047) as usize,
            sampling_freq,
        })
    }
}

/// Rockpool's `IMUIFSim`: the XyloIMU interface, see the module documentation.
#[doc(alias = "IMUIFSim")]
#[derive(Debug, Clone)]
pub struct ImuIfSim {
    config: ImuIfConfig,
    rotation: Option<RotationRemoval>,
    filterbank: FilterBank,
    encoder: SpikeEncoder,
}

impl ImuIfSim {
    /// Builds the chain; errors on inconsistent sizes or out-of-range settings.
    pub fn new(config: ImuIfConfig) -> Result<Self> {
        let n = config.filter_list.len();
        if !config.bypass_jsvd && config.size_in != 3 {
            return Err(param_error(
                NAME,
                "shape",
                format!(
                    "the rotation removal works on 3 axes, got {} input channels (set bypass_jsvd for other counts)",
                    config.size_in
                ),
            ));
        }
        if !(config.sampling_freq > 0.0 && config.sampling_freq.is_finite()) {
            return Err(param_error(
                NAME,
                "sampling_freq",
                "must be positive and finite",
            ));
        }
        let rotation = (!config.bypass_jsvd)
            .then(|| RotationRemoval::new(config.num_avg_bitshift, config.sah_period))
            .transpose()?;
        let filterbank = FilterBank::new(config.size_in, config.filter_list.clone())?;
        let encoder = if config.select_iaf_output {
            if config.iaf_threshold_values.len() != n {
                return Err(param_error(
                    NAME,
                    "iaf_threshold_values",
                    format!("expected {n} values"),
                ));
            }
            SpikeEncoder::Iaf(IafSpikeEncoder::new(config.iaf_threshold_values.clone())?)
        } else {
            if config.scale_values.len() != n {
                return Err(param_error(
                    NAME,
                    "scale_values",
                    format!("expected {n} values"),
                ));
            }
            SpikeEncoder::Scale(ScaleSpikeEncoder::new(config.scale_values.clone())?)
        };
        Ok(Self {
            config,
            rotation,
            filterbank,
            encoder,
        })
    }

    /// Builds from Rockpool's constructor arguments (see [`ImuIfConfig::from_params`]).
    pub fn from_params(params: &Params) -> Result<Self> {
        Self::new(ImuIfConfig::from_params(params)?)
    }

    /// The configuration.
    pub fn config(&self) -> &ImuIfConfig {
        &self.config
    }

    /// How many JSVD runs of the last call clamped a negative diagonal element (0 when
    /// bypassed).
    pub fn negative_diagonal_clamps(&self) -> usize {
        self.rotation
            .as_ref()
            .map_or(0, RotationRemoval::negative_diagonal_clamps)
    }

    /// Runs the interface on `x` (`(T, size_in)` integers, `|x| ≤ 2^15 − 1`, T ≥ 1); returns
    /// the spikes `(T, n_filters)`.
    pub fn process(&mut self, x: &Array2<i64>) -> Result<Array2<i64>> {
        if x.ncols() != self.config.size_in {
            return Err(input_error(
                NAME,
                format!(
                    "expected {} channels, got shape {:?}",
                    self.config.size_in,
                    x.dim()
                ),
            ));
        }
        let filtered = match &mut self.rotation {
            Some(r) => self.filterbank.process(&r.process(x)?)?,
            None => self.filterbank.process(x)?,
        };
        self.encoder.encode(&filtered)
    }

    /// Clears the covariance state of the rotation removal.
    pub fn reset(&mut self) {
        if let Some(r) = &mut self.rotation {
            r.reset();
        }
    }
}

impl Block for ImuIfSim {
    fn name(&self) -> &str {
        NAME
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        check_rate(NAME, sample_rate, self.config.sampling_freq)?;
        let x = int_input(
            NAME,
            input,
            self.config.size_in,
            None,
            self.config.sampling_freq,
        )?;
        self.process(&x).map(Signal::Int)
    }

    fn input_rate(&self) -> f64 {
        self.config.sampling_freq
    }

    fn output_dt(&self) -> f64 {
        1.0 / self.config.sampling_freq
    }

    fn output_channels(&self) -> usize {
        self.config.filter_list.len()
    }

    fn reset(&mut self) {
        ImuIfSim::reset(self);
    }
}
