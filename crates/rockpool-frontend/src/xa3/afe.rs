//! The full XyloAudio 3 front ends `AFESimExternal` and `AFESimPDM`: input stage →
//! `ChipButterworth` → `DivisiveNormalization` → `Raster`, as Rockpool's `ModSequential`.
//!
//! * `AFESimExternal`: audio in [−1, 1) at 48828.125 Hz (resampled first when given at another
//!   rate) → `AudioQuantizer` (14 bits).
//! * `AFESimPDM`: audio in [−1, 1] → `PDMADC` (delta-sigma at 1.5625 MHz and the polyphase
//!   decimation filter).
//!
//! Then the filter bank, the spike generator and the raster; the output is `(ceil(T/f), C)`
//! spike counts in `0..=15` at `dt = f / 48828.125` s, with `T` the number of 48828.125 Hz
//! samples and `f = down_sampling_factor`. Each call is independent (no state carries over):
//! the filter bank and the spike generator each warm up on their own time-reversed input.

use ndarray::Array2;

use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal};

use super::divisive_norm::{SpikeGen, broadcast, shifts};
use super::filterbank::FilterBank;
use super::pdm::pdm_adc;
use super::quantize::Quantizer;
use super::{AUDIO_SAMPLING_RATE, MAX_SPIKES_INPUT, PDM_SAMPLING_RATE};

/// How spikes are generated (`spike_gen_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpikeGenMode {
    /// `"divisive_norm"`: adaptive thresholds from `dn_rate_scale_bitshift`,
    /// `dn_low_pass_bitshift` and `dn_EPS`.
    #[default]
    DivisiveNorm,
    /// `"threshold"`: the fixed thresholds `fixed_threshold_vec`.
    Threshold,
}

impl SpikeGenMode {
    /// Parses Rockpool's name (`"divisive_norm"` or `"threshold"`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "divisive_norm" => Some(Self::DivisiveNorm),
            "threshold" => Some(Self::Threshold),
            _ => None,
        }
    }
}

/// The constructor arguments of `AFESimExternal` / `AFESimPDM`, under Rockpool's names, with
/// Rockpool's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AfeConfig {
    /// Filter indices (0..16, unique) in channel order; `None`: all 16.
    pub select_filters: Option<Vec<usize>>,
    /// Adaptive or fixed thresholds.
    pub spike_gen_mode: SpikeGenMode,
    /// `(b1, b2)`, `b1 > b2`: the spike rate is about `fs / (2^b1 − 2^b2)` per channel.
    pub dn_rate_scale_bitshift: (u32, u32),
    /// The DN low-pass averages over `2^dn_low_pass_bitshift` samples.
    pub dn_low_pass_bitshift: u32,
    /// The lowest DN average used in the threshold: one value, or one per channel.
    pub dn_eps: Vec<i64>,
    /// The fixed thresholds (threshold mode): one value, or one per channel.
    pub fixed_threshold_vec: Vec<i64>,
    /// Audio samples per output time step (`dt = f / 48828.125` s).
    pub down_sampling_factor: usize,
}

impl Default for AfeConfig {
    fn default() -> Self {
        Self {
            select_filters: None,
            spike_gen_mode: SpikeGenMode::DivisiveNorm,
            dn_rate_scale_bitshift: (6, 0),
            dn_low_pass_bitshift: 12,
            dn_eps: vec![1],
            fixed_threshold_vec: vec![1 << 27],
            down_sampling_factor: 50,
        }
    }
}

impl AfeConfig {
    /// Reads the arguments from `params` (unknown names are errors) for the class `module`.
    pub fn from_params(module: &str, params: &Params) -> Result<Self> {
        let d = Self::default();
        let select_filters = match params.i64_list(module, "select_filters")? {
            None => None,
            Some(v) => Some(
                v.into_iter()
                    .map(|i| {
                        usize::try_from(i).map_err(|_| {
                            param_error(
                                module,
                                "select_filters",
                                format!(
                                    "filter index {i} is out of range; valid indices are 0 to 15"
                                ),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        let mode = params.string(module, "spike_gen_mode", "divisive_norm")?;
        let spike_gen_mode = SpikeGenMode::parse(&mode).ok_or_else(|| {
            param_error(
                module,
                "spike_gen_mode",
                format!("`{mode}`: valid options are \"divisive_norm\" and \"threshold\""),
            )
        })?;
        let bs = params.i64_list(module, "dn_rate_scale_bitshift")?;
        let dn_rate_scale_bitshift = match bs.as_deref() {
            None => d.dn_rate_scale_bitshift,
            Some([b1, b2]) => {
                let s = shifts(module, "dn_rate_scale_bitshift", vec![*b1, *b2])?;
                (s[0], s[1])
            }
            Some(v) => {
                return Err(param_error(
                    module,
                    "dn_rate_scale_bitshift",
                    format!("expected two bit shifts (b1, b2), got {} values", v.len()),
                ));
            }
        };
        let lp = params.i64(module, "dn_low_pass_bitshift", 12)?;
        let dn_low_pass_bitshift = shifts(module, "dn_low_pass_bitshift", vec![lp])?[0];
        let dn_eps = params.i64_list(module, "dn_EPS")?.unwrap_or(d.dn_eps);
        let fixed_threshold_vec = params
            .i64_list(module, "fixed_threshold_vec")?
            .unwrap_or(d.fixed_threshold_vec);
        let f = params.i64(module, "down_sampling_factor", 50)?;
        if f < 1 {
            return Err(param_error(
                module,
                "down_sampling_factor",
                format!("must be at least 1, got {f}"),
            ));
        }
        params.finish(module)?;
        Ok(Self {
            select_filters,
            spike_gen_mode,
            dn_rate_scale_bitshift,
            dn_low_pass_bitshift,
            dn_eps,
            fixed_threshold_vec,
            down_sampling_factor: f as usize,
        })
    }
}

/// The chain after the input stage: filter bank, spike generator, raster.
#[derive(Debug, Clone)]
struct Chain {
    bank: FilterBank,
    spike_gen: SpikeGen,
    factor: usize,
}

impl Chain {
    fn new(module: &str, cfg: &AfeConfig) -> Result<Self> {
        let sel: Option<Vec<i64>> = cfg
            .select_filters
            .as_ref()
            .map(|v| v.iter().map(|&i| i as i64).collect());
        let bank = FilterBank::new(module, sel.as_deref())?;
        let c = bank.channels();
        let dn = cfg.spike_gen_mode == SpikeGenMode::DivisiveNorm;
        // Rockpool replaces the arguments of the unused mode: (1, 0), 0, 1 in threshold mode
        // and a fixed threshold of 0 in DN mode.
        let (b1, b2, lp, eps, fixed) = if dn {
            let (b1, b2) = cfg.dn_rate_scale_bitshift;
            if b1 <= b2 {
                return Err(param_error(
                    module,
                    "dn_rate_scale_bitshift",
                    format!("b1 must be larger than b2, got ({b1}, {b2})"),
                ));
            }
            let eps = broadcast(module, "dn_EPS", cfg.dn_eps.clone(), c)?;
            (b1, b2, cfg.dn_low_pass_bitshift, eps, vec![0; c])
        } else {
            let fixed = broadcast(
                module,
                "fixed_threshold_vec",
                cfg.fixed_threshold_vec.clone(),
                c,
            )?;
            (1, 0, 0, vec![1; c], fixed)
        };
        let spike_gen = SpikeGen {
            b1: vec![b1; c],
            b2: vec![b2; c],
            low_pass: vec![lp; c],
            eps,
            fixed,
            dn_mode: vec![dn; c],
            joint_normalization: true,
        };
        spike_gen.validate(module)?;
        if cfg.down_sampling_factor == 0 {
            return Err(param_error(
                module,
                "down_sampling_factor",
                "must be at least 1",
            ));
        }
        Ok(Self {
            bank,
            spike_gen,
            factor: cfg.down_sampling_factor,
        })
    }

    /// 14-bit audio at 48828.125 Hz → counts `(ceil(T/f), C)`.
    fn run(&self, module: &str, audio: &[i64]) -> Result<Array2<i64>> {
        let c = self.bank.channels();
        let mut filtered = vec![0i64; audio.len() * c];
        self.bank.filter_into(module, audio, &mut filtered)?;
        let bins = audio.len().div_ceil(self.factor);
        let mut counts = Array2::<i64>::zeros((bins, c));
        {
            let flat = counts
                .as_slice_mut()
                .ok_or_else(|| input_error(module, "non-contiguous output"))?;
            let f = self.factor;
            self.spike_gen
                .run(&filtered, |n, ch| flat[(n / f) * c + ch] += 1);
        }
        counts.mapv_inplace(|v| v.min(MAX_SPIKES_INPUT));
        Ok(counts)
    }
}

/// `AFESimExternal`: float audio at 48828.125 Hz → spike counts. Stateless; `process` can be
/// called from many threads.
#[doc(alias = "AFESimExternal")]
#[derive(Debug, Clone)]
pub struct AfeSimExternal {
    chain: Chain,
    quantizer: Quantizer,
}

impl AfeSimExternal {
    const NAME: &'static str = "AFESimExternal";

    /// Builds the front end; errors name the offending argument.
    pub fn new(config: &AfeConfig) -> Result<Self> {
        Ok(Self {
            chain: Chain::new(Self::NAME, config)?,
            quantizer: Quantizer::default(),
        })
    }

    /// The number of output channels (selected filters).
    pub fn channels(&self) -> usize {
        self.chain.bank.channels()
    }

    /// The output time step in seconds: `down_sampling_factor / 48828.125`.
    pub fn dt(&self) -> f64 {
        self.chain.factor as f64 / AUDIO_SAMPLING_RATE
    }

    /// Audio in [−1, 1) at 48828.125 Hz (`T` samples) → counts `(ceil(T/f), C)` in `0..=15`.
    /// Samples with `|x| ≥ 1` overflow the 14-bit filter input (an error, as in Rockpool).
    pub fn process(&self, audio: &[f64]) -> Result<Array2<i64>> {
        let mut q = Vec::new();
        self.quantizer.quantize_into(Self::NAME, audio, &mut q)?;
        self.chain.run(Self::NAME, &q)
    }

    /// As [`AfeSimExternal::process`] for audio at `fs` Hz, resampled to 48828.125 Hz first
    /// (Rockpool's `(x, fs)` tuple input).
    pub fn process_at(&self, audio: &[f64], fs: f64) -> Result<Array2<i64>> {
        if !(fs.is_finite() && fs > 0.0) {
            return Err(input_error(Self::NAME, format!("sample rate {fs} Hz")));
        }
        if fs == AUDIO_SAMPLING_RATE {
            return self.process(audio);
        }
        let x = crate::resample::resample_checked(Self::NAME, audio, fs, AUDIO_SAMPLING_RATE)?;
        if x.is_empty() {
            return Err(input_error(
                Self::NAME,
                "no samples left after resampling (at least 2 input samples are needed)",
            ));
        }
        self.process(&x)
    }

    /// Already quantised 14-bit audio (`|q| < 8192`) at 48828.125 Hz → counts.
    pub fn process_quantized(&self, audio: &[i64]) -> Result<Array2<i64>> {
        self.chain.run(Self::NAME, audio)
    }
}

/// `AFESimPDM`: float audio in [−1, 1] → the PDM microphone path → spike counts. Stateless.
#[doc(alias = "AFESimPDM")]
#[derive(Debug, Clone)]
pub struct AfeSimPdm {
    chain: Chain,
}

impl AfeSimPdm {
    const NAME: &'static str = "AFESimPDM";

    /// Builds the front end; errors name the offending argument.
    pub fn new(config: &AfeConfig) -> Result<Self> {
        Ok(Self {
            chain: Chain::new(Self::NAME, config)?,
        })
    }

    /// The number of output channels (selected filters).
    pub fn channels(&self) -> usize {
        self.chain.bank.channels()
    }

    /// The output time step in seconds: `down_sampling_factor / 48828.125`.
    pub fn dt(&self) -> f64 {
        self.chain.factor as f64 / AUDIO_SAMPLING_RATE
    }

    /// Audio in [−1, 1] at `fs` Hz (resampled to 1.5625 MHz for the microphone unless it is
    /// at that rate) → counts `(ceil(T/f), C)`, with `T = ceil(N₁/32) + 8` the PDM filter's
    /// output length for `N₁` samples at 1.5625 MHz.
    pub fn process_at(&self, audio: &[f64], fs: f64) -> Result<Array2<i64>> {
        if !(fs.is_finite() && fs > 0.0) {
            return Err(input_error(Self::NAME, format!("sample rate {fs} Hz")));
        }
        let q = pdm_adc(Self::NAME, audio, fs)?;
        self.chain.run(Self::NAME, &q)
    }
}

/// Which full front end an [`AfeBlock`] runs.
#[derive(Debug, Clone)]
enum Afe {
    External(AfeSimExternal),
    Pdm(AfeSimPdm),
}

/// `AFESimExternal` or `AFESimPDM` as a [`Block`]: float audio `(T, 1)` → counts
/// `(ceil(T'/f), C)`.
#[derive(Debug, Clone)]
pub struct AfeBlock {
    afe: Afe,
}

impl AfeBlock {
    /// `AFESimExternal` from Rockpool's constructor arguments.
    pub fn external(params: &Params) -> Result<Self> {
        let cfg = AfeConfig::from_params(AfeSimExternal::NAME, params)?;
        Ok(Self {
            afe: Afe::External(AfeSimExternal::new(&cfg)?),
        })
    }

    /// `AFESimPDM` from Rockpool's constructor arguments.
    pub fn pdm(params: &Params) -> Result<Self> {
        let cfg = AfeConfig::from_params(AfeSimPdm::NAME, params)?;
        Ok(Self {
            afe: Afe::Pdm(AfeSimPdm::new(&cfg)?),
        })
    }
}

impl Block for AfeBlock {
    fn name(&self) -> &str {
        match &self.afe {
            Afe::External(_) => AfeSimExternal::NAME,
            Afe::Pdm(_) => AfeSimPdm::NAME,
        }
    }

    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let m = self.name().to_string();
        let (t, c) = input.shape();
        if c != 1 || t == 0 {
            return Err(input_error(
                &m,
                format!("expected one channel of audio (T, 1) with T ≥ 1, got ({t}, {c})"),
            ));
        }
        let audio = input.to_f64().into_raw_vec_and_offset().0;
        let fs = super::input_rate_or(&m, sample_rate, self.input_rate())?;
        let out = match &self.afe {
            Afe::External(a) => a.process_at(&audio, fs)?,
            Afe::Pdm(a) => a.process_at(&audio, fs)?,
        };
        Ok(Signal::Int(out))
    }

    fn input_rate(&self) -> f64 {
        match &self.afe {
            Afe::External(_) => AUDIO_SAMPLING_RATE,
            Afe::Pdm(_) => PDM_SAMPLING_RATE,
        }
    }

    fn output_dt(&self) -> f64 {
        match &self.afe {
            Afe::External(a) => a.dt(),
            Afe::Pdm(a) => a.dt(),
        }
    }

    fn output_channels(&self) -> usize {
        match &self.afe {
            Afe::External(a) => a.channels(),
            Afe::Pdm(a) => a.channels(),
        }
    }

    fn reset(&mut self) {}
}
