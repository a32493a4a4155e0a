//! A synthetic audio keyword-spotting task, processed like Xylo Audio's 16-channel input.
//!
//! Each sample is `duration` seconds of mono audio at `sample_rate` Hz holding one "keyword"
//! made of tones and chirps, at a random onset, plus white Gaussian noise of standard deviation
//! `noise_std` over the whole sample. With base frequency `f₀`, a random pitch factor
//! `p ∈ [1 − pitch_jitter, 1 + pitch_jitter]` and a random time stretch
//! `s ∈ [1 − duration_jitter, 1 + duration_jitter]` (both uniform), the keywords are:
//!
//! | keyword | sound |
//! |---|---|
//! | `rising_chirp` | exponential sweep `p·f₀ → 4p·f₀` over `0.25 s · s` |
//! | `falling_chirp` | exponential sweep `4p·f₀ → p·f₀` over `0.25 s · s` |
//! | `two_tone` | tone `1.2p·f₀` for `0.12 s · s`, then tone `3p·f₀` for `0.12 s · s` |
//! | `tone_pair` | two bursts of `2p·f₀`, `0.06 s · s` each, `0.08 s · s` apart |
//! | `noise` | nothing: background noise only |
//!
//! Every tone segment has a random starting phase and 5 ms raised-cosine on/off ramps, and the
//! whole keyword a random amplitude uniform in `[amplitude_min, amplitude_max]`. Classes differ
//! in temporal order (rising vs falling, low-then-high vs repeated) as much as in frequency
//! content, so a network needs memory over tens of milliseconds to tell them apart.
//!
//! The audio goes through an [`AudioFrontEnd`]: `num_channels` band-pass filters with centres
//! log- (or mel-) spaced from `f_low` to `f_high` Hz and quality factor `q` (see
//! [`filterbank`](crate::filterbank)), envelope (rectify, low-pass at `envelope_cutoff` Hz),
//! averaging down to `dt`, and an integrate-and-fire [`SpikeEncoder`] with charge `threshold`
//! per spike (envelope units per step) capped at `max_spikes_per_step`. With the defaults, a
//! tone of amplitude 1 at a channel's centre frequency drives that channel at
//! `1 / 0.5 = 2` spikes per 1 ms step.
//!
//! Defaults: 5 classes, 16 kHz audio, 0.5 s samples, 16 channels from 300 Hz to 3 kHz,
//! `dt` = 1 ms, so `x` is `[N, 500, 16]`.

use ndarray::{Array3, Axis};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::chip_front_end::{self, ChipFrontEnd};
use crate::dataset::{Dataset, Targets};
use crate::encoder::SpikeEncoder;
use crate::error::Result;
use crate::filterbank::FilterBank;
use crate::frontend::AudioFrontEnd;
use crate::random::{TaskRng, add_normal_noise, balanced_labels, rng, stream};
use crate::validate::{Check, MAX_SPIKES_PER_STEP, checked_elements};

/// One keyword class; see the table in the [module docs](self). Named in configuration files
/// by its snake-case name (any case; [`rockpool_io::text_enum!`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Keyword {
    /// Exponential sweep up two octaves.
    RisingChirp,
    /// Exponential sweep down two octaves.
    FallingChirp,
    /// A low tone followed by a high tone.
    TwoTone,
    /// The same short tone twice, with a gap.
    TonePair,
    /// Background noise only.
    Noise,
}

rockpool_io::text_enum! {
    Keyword("keyword") {
        RisingChirp => "rising_chirp",
        FallingChirp => "falling_chirp",
        TwoTone => "two_tone",
        TonePair => "tone_pair",
        Noise => "noise",
    }
}

impl Keyword {
    /// All keywords, in the default class order.
    pub const ALL: [Keyword; 5] = [
        Keyword::RisingChirp,
        Keyword::FallingChirp,
        Keyword::TwoTone,
        Keyword::TonePair,
        Keyword::Noise,
    ];

    /// The snake-case name, as in configuration files and class names.
    pub fn name(self) -> &'static str {
        rockpool_io::TextEnum::name(&self)
    }

    /// The tone segments at pitch factor 1 and stretch 1: `(start s, length s, start
    /// frequency / f₀, end frequency / f₀)`.
    fn segments(self) -> &'static [(f64, f64, f64, f64)] {
        match self {
            Keyword::RisingChirp => &[(0.0, 0.25, 1.0, 4.0)],
            Keyword::FallingChirp => &[(0.0, 0.25, 4.0, 1.0)],
            Keyword::TwoTone => &[(0.0, 0.12, 1.2, 1.2), (0.12, 0.12, 3.0, 3.0)],
            Keyword::TonePair => &[(0.0, 0.06, 2.0, 2.0), (0.14, 0.06, 2.0, 2.0)],
            Keyword::Noise => &[],
        }
    }

    /// Length of the keyword at stretch 1, in seconds.
    fn length(self) -> f64 {
        self.segments()
            .iter()
            .map(|s| s.0 + s.1)
            .fold(0.0, f64::max)
    }

    /// Highest frequency at pitch factor 1, as a multiple of `f₀`.
    fn max_frequency(self) -> f64 {
        self.segments()
            .iter()
            .map(|s| s.2.max(s.3))
            .fold(0.0, f64::max)
    }
}

/// How filter-bank centre frequencies are spaced between `f_low` and `f_high`: `"log"` or
/// `"mel"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spacing {
    /// Evenly in log frequency (constant ratio between neighbours).
    Log,
    /// Evenly on the mel scale.
    Mel,
}

rockpool_io::text_enum! {
    Spacing("filter spacing") {
        Log => "log",
        Mel => "mel",
    }
}

/// What the keyword task puts in `x`: `"spikes"` or `"envelope"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordOutput {
    /// Spike counts per channel per step from the integrate-and-fire encoder.
    Spikes,
    /// The downsampled envelopes (analog; a sine of amplitude `A` at a channel's centre gives
    /// `A`).
    Envelope,
}

rockpool_io::text_enum! {
    KeywordOutput("keyword task output") {
        Spikes => "spikes",
        Envelope => "envelope",
    }
}

/// Configuration of the synthetic keyword task; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeywordConfig {
    /// The classes, in label order (label `i` is `keywords[i]`); no repeats.
    pub keywords: Vec<Keyword>,
    /// Audio sampling rate, in Hz.
    pub sample_rate: f64,
    /// Length of a sample, in seconds.
    pub duration: f64,
    /// Network time step, in seconds; `sample_rate · dt` must be a whole number.
    pub dt: f64,
    /// Number of filter-bank channels `C` (Xylo Audio has 16).
    pub num_channels: usize,
    /// Centre frequency of the lowest channel, in Hz.
    pub f_low: f64,
    /// Centre frequency of the highest channel, in Hz.
    pub f_high: f64,
    /// Spacing of the centre frequencies.
    pub spacing: Spacing,
    /// Quality factor of each band-pass channel (centre / bandwidth).
    pub q: f64,
    /// Cutoff of the envelope low-pass, in Hz.
    pub envelope_cutoff: f64,
    /// Base frequency `f₀` of the keywords, in Hz.
    pub base_frequency: f64,
    /// Relative pitch variation: pitch factor uniform in `[1 − pitch_jitter, 1 + pitch_jitter]`.
    pub pitch_jitter: f64,
    /// Relative duration variation: stretch uniform in
    /// `[1 − duration_jitter, 1 + duration_jitter]`.
    pub duration_jitter: f64,
    /// Smallest keyword amplitude (peak of each tone).
    pub amplitude_min: f64,
    /// Largest keyword amplitude.
    pub amplitude_max: f64,
    /// Standard deviation of the additive white Gaussian noise (same units as amplitude).
    pub noise_std: f64,
    /// Spikes or envelopes in `x`.
    pub output: KeywordOutput,
    /// Encoder charge per spike, in envelope units per step.
    pub threshold: f32,
    /// Cap on spikes per channel per step (Xylo's input limit is 15).
    pub max_spikes_per_step: u32,
    /// A chip's own front end instead of the software one (default none): the audio goes
    /// through the simulator of, e.g., XyloAudio 3's digital front end (`"syns65302"`), and
    /// `x` holds its spike counts at its time step (1.024 ms by default); the software filter
    /// bank, envelope and encoder fields are then unused, and `num_channels` must equal the
    /// front end's channels. See [`ChipFrontEnd`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub front_end: Option<ChipFrontEnd>,
}

impl Default for KeywordConfig {
    fn default() -> Self {
        KeywordConfig {
            keywords: Keyword::ALL.to_vec(),
            sample_rate: 16_000.0,
            duration: 0.5,
            dt: 1e-3,
            num_channels: 16,
            f_low: 300.0,
            f_high: 3000.0,
            spacing: Spacing::Log,
            q: 4.0,
            envelope_cutoff: 100.0,
            base_frequency: 500.0,
            pitch_jitter: 0.15,
            duration_jitter: 0.2,
            amplitude_min: 0.5,
            amplitude_max: 1.0,
            noise_std: 0.05,
            output: KeywordOutput::Spikes,
            threshold: 0.5,
            max_spikes_per_step: 15,
            front_end: None,
        }
    }
}

impl KeywordConfig {
    /// Task name used in errors and as the dataset name.
    pub const NAME: &'static str = "keyword";

    /// Audio samples per time step, `sample_rate · dt` (checked to be whole by
    /// [`validate`](Self::validate)).
    fn decimation(&self) -> usize {
        (self.sample_rate * self.dt).round() as usize
    }

    /// Time steps per sample, `round(duration / dt)`.
    pub fn num_steps(&self) -> usize {
        (self.duration / self.dt).round() as usize
    }

    /// Checks every field and their consistency.
    ///
    /// # Errors
    /// [`TaskError::Config`](crate::TaskError::Config) naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let c = Check(Self::NAME);
        if self.keywords.is_empty() {
            return Err(c.error("keywords", "[]", "list at least one keyword"));
        }
        for (i, k) in self.keywords.iter().enumerate() {
            if self.keywords[..i].contains(k) {
                return Err(c.error("keywords", k.name(), "each keyword may appear only once"));
            }
        }
        c.positive("sample_rate", self.sample_rate)?;
        c.positive("dt", self.dt)?;
        c.positive("duration", self.duration)?;
        let per_step = self.sample_rate * self.dt;
        if per_step < 0.5 || (per_step - per_step.round()).abs() > 1e-6 * per_step {
            return Err(c.error(
                "dt",
                self.dt,
                format!(
                    "sample_rate · dt = {per_step} must be a whole number of audio samples \
                     per step (e.g. dt = 0.001 at 16 kHz)"
                ),
            ));
        }
        if self.num_steps() == 0 {
            return Err(c.error("duration", self.duration, "shorter than one time step"));
        }
        c.at_least("num_channels", self.num_channels, 1)?;
        checked_elements(
            c,
            "duration",
            self.duration,
            "the filtered audio of one sample",
            &[
                ("num_steps", self.num_steps()),
                ("sample_rate · dt", self.decimation()),
                ("num_channels", self.num_channels),
            ],
        )?;
        let nyquist = self.sample_rate / 2.0;
        c.positive("f_low", self.f_low)?;
        c.ordered("f_low", self.f_low, self.f_high)?;
        if self.f_high >= nyquist {
            return Err(c.error(
                "f_high",
                self.f_high,
                format!("must be below the Nyquist frequency {nyquist} Hz"),
            ));
        }
        c.positive("q", self.q)?;
        c.positive("envelope_cutoff", self.envelope_cutoff)?;
        if self.envelope_cutoff >= nyquist {
            return Err(c.error(
                "envelope_cutoff",
                self.envelope_cutoff,
                format!("must be below the Nyquist frequency {nyquist} Hz"),
            ));
        }
        c.positive("base_frequency", self.base_frequency)?;
        c.probability_below_one("pitch_jitter", self.pitch_jitter)?;
        c.probability_below_one("duration_jitter", self.duration_jitter)?;
        let top = self
            .keywords
            .iter()
            .map(|k| k.max_frequency())
            .fold(0.0, f64::max)
            * self.base_frequency
            * (1.0 + self.pitch_jitter);
        if top >= nyquist {
            return Err(c.error(
                "base_frequency",
                self.base_frequency,
                format!(
                    "the highest keyword tone reaches {top} Hz, above the Nyquist frequency \
                     {nyquist} Hz; lower base_frequency or pitch_jitter, or raise sample_rate"
                ),
            ));
        }
        let longest = self.keywords.iter().map(|k| k.length()).fold(0.0, f64::max)
            * (1.0 + self.duration_jitter);
        if longest > self.duration {
            return Err(c.error(
                "duration",
                self.duration,
                format!("the longest keyword lasts up to {longest} s and must fit in a sample"),
            ));
        }
        c.non_negative("amplitude_min", self.amplitude_min)?;
        c.non_negative("amplitude_max", self.amplitude_max)?;
        c.ordered("amplitude_min", self.amplitude_min, self.amplitude_max)?;
        c.non_negative("noise_std", self.noise_std)?;
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(c.error(
                "threshold",
                self.threshold,
                "must be a positive, finite number",
            ));
        }
        c.at_least("max_spikes_per_step", self.max_spikes_per_step, 1)?;
        c.at_most(
            "max_spikes_per_step",
            self.max_spikes_per_step,
            MAX_SPIKES_PER_STEP,
        )?;
        if let Some(fe) = &self.front_end {
            let block = fe.build(Self::NAME)?;
            if block.output_channels() != self.num_channels {
                return Err(c.error(
                    "num_channels",
                    self.num_channels,
                    format!(
                        "the front end {} emits {} channels; set num_channels to match",
                        block.name(),
                        block.output_channels()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The filter bank of this configuration.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn filter_bank(&self) -> Result<FilterBank> {
        self.validate()?;
        let (n, lo, hi) = (self.num_channels, self.f_low, self.f_high);
        match self.spacing {
            Spacing::Log => FilterBank::log_spaced(n, lo, hi, self.q, self.sample_rate),
            Spacing::Mel => FilterBank::mel_spaced(n, lo, hi, self.q, self.sample_rate),
        }
    }

    /// The audio front end of this configuration (filter bank, envelope, downsampling, and the
    /// encoder when `output` is `spikes`); it can process any audio at `sample_rate`.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn front_end(&self) -> Result<AudioFrontEnd> {
        Ok(AudioFrontEnd {
            bank: self.filter_bank()?,
            envelope_cutoff: self.envelope_cutoff,
            decimation: self.decimation(),
            encoder: match self.output {
                KeywordOutput::Spikes => {
                    Some(SpikeEncoder::new(self.threshold, self.max_spikes_per_step)?)
                }
                KeywordOutput::Envelope => None,
            },
        })
    }

    /// The raw audio behind [`generate`](Self::generate)`(n_samples, seed)`: one signal of
    /// `round(duration / dt) · sample_rate · dt` samples per sample, and the labels `[N]`.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn audio(&self, n_samples: usize, seed: u64) -> Result<(Vec<Vec<f32>>, Vec<usize>)> {
        self.validate()?;
        checked_elements(
            Check(Self::NAME),
            "n_samples",
            n_samples,
            "the audio",
            &[
                ("n_samples", n_samples),
                ("num_steps", self.num_steps()),
                ("sample_rate · dt", self.decimation()),
            ],
        )?;
        let mut r = rng(seed, stream::SAMPLES);
        let labels = balanced_labels(&mut r, n_samples, self.keywords.len());
        let audio = labels
            .iter()
            .map(|&l| self.synthesize(&mut r, self.keywords[l]))
            .collect();
        Ok((audio, labels))
    }

    /// Generates `n_samples` samples: `x` `[N, T, C]` (spike counts, or envelopes), `y` class
    /// labels `[N]` indexing `keywords`. The same `seed` (and configuration) always gives the
    /// same dataset.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn generate(&self, n_samples: usize, seed: u64) -> Result<Dataset> {
        if let Some(fe) = &self.front_end {
            return self.generate_through_chip(fe, n_samples, seed);
        }
        let front = self.front_end()?;
        checked_elements(
            Check(Self::NAME),
            "n_samples",
            n_samples,
            "x",
            &[
                ("n_samples", n_samples),
                ("num_steps", self.num_steps()),
                ("num_channels", self.num_channels),
            ],
        )?;
        let mut r = rng(seed, stream::SAMPLES);
        let labels = balanced_labels(&mut r, n_samples, self.keywords.len());
        let mut x = Array3::<f32>::zeros((n_samples, self.num_steps(), self.num_channels));
        for (mut row, &l) in x.axis_iter_mut(Axis(0)).zip(&labels) {
            let audio = self.synthesize(&mut r, self.keywords[l]);
            row.assign(&front.process(&audio)?);
        }
        let names = self.keywords.iter().map(|k| k.name().to_string()).collect();
        Dataset::new(x, Targets::Class(labels), self.dt, Self::NAME)?.with_class_names(names)
    }

    /// [`generate`](Self::generate) through a chip's front end: the same audio, then the
    /// simulator; `x` `[N, T', C]` at the front end's time step.
    fn generate_through_chip(
        &self,
        fe: &ChipFrontEnd,
        n_samples: usize,
        seed: u64,
    ) -> Result<Dataset> {
        self.validate()?;
        checked_elements(
            Check(Self::NAME),
            "n_samples",
            n_samples,
            "x",
            &[
                ("n_samples", n_samples),
                ("num_steps", self.num_steps()),
                ("num_channels", self.num_channels),
            ],
        )?;
        let mut block = fe.build(Self::NAME)?;
        let mut r = rng(seed, stream::SAMPLES);
        let labels = balanced_labels(&mut r, n_samples, self.keywords.len());
        let mut rows = Vec::with_capacity(n_samples);
        for &l in &labels {
            let audio = self.synthesize(&mut r, self.keywords[l]);
            rows.push(chip_front_end::process(
                block.as_mut(),
                &audio,
                self.sample_rate,
            )?);
        }
        let (t, c) = rows
            .first()
            .map(|a| a.dim())
            .unwrap_or((0, block.output_channels()));
        let mut x = Array3::<f32>::zeros((n_samples, t, c));
        for (mut row, counts) in x.axis_iter_mut(Axis(0)).zip(&rows) {
            row.assign(counts);
        }
        let names = self.keywords.iter().map(|k| k.name().to_string()).collect();
        Dataset::new(x, Targets::Class(labels), block.output_dt(), Self::NAME)?
            .with_class_names(names)
    }

    /// One sample's audio: the keyword with random pitch, stretch, onset, amplitude and
    /// phases, plus noise. Draws from `r` in a fixed order.
    fn synthesize(&self, r: &mut TaskRng, keyword: Keyword) -> Vec<f32> {
        let fs = self.sample_rate;
        let len = self.num_steps() * self.decimation();
        let pitch = 1.0 + self.pitch_jitter * r.random_range(-1.0..=1.0);
        let stretch = 1.0 + self.duration_jitter * r.random_range(-1.0..=1.0);
        let room = (self.duration - keyword.length() * stretch).max(0.0);
        let onset = room * r.random::<f64>();
        let amplitude =
            self.amplitude_min + (self.amplitude_max - self.amplitude_min) * r.random::<f64>();
        let mut audio = vec![0.0f64; len];
        for &(start, length, f_start, f_end) in keyword.segments() {
            let phase0 = std::f64::consts::TAU * r.random::<f64>();
            let tone = Tone {
                start: onset + start * stretch,
                length: length * stretch,
                f_start: f_start * pitch * self.base_frequency,
                f_end: f_end * pitch * self.base_frequency,
                phase0,
                amplitude,
            };
            tone.add_to(&mut audio, fs);
        }
        add_normal_noise(r, &mut audio, self.noise_std);
        audio.into_iter().map(|a| a as f32).collect()
    }
}

/// One tone or exponential chirp with raised-cosine ramps.
struct Tone {
    /// Onset, in seconds from the start of the sample.
    start: f64,
    /// Length, in seconds.
    length: f64,
    /// Frequency at onset, in Hz.
    f_start: f64,
    /// Frequency at the end, in Hz (exponential sweep in between).
    f_end: f64,
    /// Phase at onset, in radians.
    phase0: f64,
    /// Peak amplitude.
    amplitude: f64,
}

impl Tone {
    /// Length of each raised-cosine ramp, in seconds.
    const RAMP: f64 = 0.005;

    /// Adds the tone to `audio` (samples at `fs` Hz), clipped to the signal.
    fn add_to(&self, audio: &mut [f64], fs: f64) {
        use std::f64::consts::{PI, TAU};
        let ramp = Self::RAMP.min(self.length / 2.0);
        let first = (self.start * fs).ceil() as usize;
        let last =
            (((self.start + self.length) * fs).floor() as usize).min(audio.len().saturating_sub(1));
        // An exponential sweep f(τ) = f_start·g(τ), g = ratio^(τ/L), has phase
        // 2π·f_start·L·(g − 1)/ln(ratio); g is updated by one multiplication per sample.
        let log_ratio = (self.f_end / self.f_start).ln();
        let sweeping = log_ratio.abs() > 1e-12;
        let growth = (log_ratio / (self.length * fs)).exp();
        let mut g = (log_ratio * (first as f64 / fs - self.start) / self.length).exp();
        for (i, a) in audio.iter_mut().enumerate().take(last + 1).skip(first) {
            let tau = i as f64 / fs - self.start;
            let phase = if sweeping {
                TAU * self.f_start * self.length / log_ratio * (g - 1.0)
            } else {
                TAU * self.f_start * tau
            };
            g *= growth;
            let edge = tau.min(self.length - tau).max(0.0);
            let gain = if edge < ramp {
                0.5 * (1.0 - (PI * edge / ramp).cos())
            } else {
                1.0
            };
            *a += self.amplitude * gain * (self.phase0 + phase).sin();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::s;

    fn quick() -> KeywordConfig {
        KeywordConfig::default()
    }

    #[test]
    fn shapes_classes_and_cap() {
        let d = quick().generate(23, 1).unwrap();
        assert_eq!(d.x.dim(), (23, 500, 16));
        assert_eq!(d.size_out(), 5);
        assert_eq!(
            d.class_names,
            [
                "rising_chirp",
                "falling_chirp",
                "two_tone",
                "tone_pair",
                "noise"
            ]
        );
        let counts = d.class_counts().unwrap();
        assert!(counts.iter().all(|&c| c == 4 || c == 5), "{counts:?}");
        assert!(
            d.x.iter()
                .all(|&v| (0.0..=15.0).contains(&v) && v.fract() == 0.0)
        );
        assert!((d.dt - 1e-3).abs() < 1e-15);
    }

    #[test]
    fn generation_is_deterministic() {
        let cfg = quick();
        let a = cfg.generate(6, 5).unwrap();
        assert_eq!(a, cfg.generate(6, 5).unwrap());
        assert_ne!(a.x, cfg.generate(6, 6).unwrap().x);
        // The audio is the one behind the dataset.
        let (audio, labels) = cfg.audio(6, 5).unwrap();
        assert_eq!(labels, a.y.as_class().unwrap());
        let front = cfg.front_end().unwrap();
        assert_eq!(
            front.process(&audio[2]).unwrap(),
            a.x.index_axis(Axis(0), 2)
        );
        assert_eq!(audio[0].len(), 8000);
    }

    /// Centre of mass over channels of the envelope at each step where it is loud enough.
    fn channel_trajectory(x: ndarray::ArrayView2<f32>) -> Vec<f64> {
        x.outer_iter()
            .filter(|row| row.sum() > 1.0)
            .map(|row| {
                let total: f32 = row.sum();
                row.iter()
                    .enumerate()
                    .map(|(c, &v)| c as f64 * f64::from(v))
                    .sum::<f64>()
                    / f64::from(total)
            })
            .collect()
    }

    #[test]
    fn chirps_move_through_the_channels_in_their_direction() {
        let cfg = KeywordConfig {
            keywords: vec![Keyword::RisingChirp, Keyword::FallingChirp],
            output: KeywordOutput::Envelope,
            ..quick()
        };
        let d = cfg.generate(10, 2).unwrap();
        for (n, &l) in d.y.as_class().unwrap().iter().enumerate() {
            let tr = channel_trajectory(d.x.index_axis(Axis(0), n));
            assert!(tr.len() > 100, "sample {n}: only {} loud steps", tr.len());
            let k = tr.len() / 5;
            let early: f64 = tr[..k].iter().sum::<f64>() / k as f64;
            let late: f64 = tr[tr.len() - k..].iter().sum::<f64>() / k as f64;
            // Two octaves over 300 Hz–3 kHz (3.3 octaves in 15 channel steps) is ~9 channels.
            if l == 0 {
                assert!(late - early > 4.0, "rising sample {n}: {early} → {late}");
            } else {
                assert!(early - late > 4.0, "falling sample {n}: {early} → {late}");
            }
        }
    }

    #[test]
    fn tone_pair_has_two_bursts_and_noise_is_quiet() {
        let cfg = KeywordConfig {
            keywords: vec![Keyword::TonePair, Keyword::Noise],
            pitch_jitter: 0.0,
            duration_jitter: 0.0,
            ..quick()
        };
        let d = cfg.generate(4, 3).unwrap();
        for (n, &l) in d.y.as_class().unwrap().iter().enumerate() {
            let per_step: Vec<f32> =
                d.x.slice(s![n, .., ..])
                    .outer_iter()
                    .map(|r| r.sum())
                    .collect();
            let total: f32 = per_step.iter().sum();
            if l == 1 {
                // Noise only: a few spikes at most per step on average.
                assert!(
                    total < 0.2 * 500.0 * 16.0,
                    "noise sample {n}: {total} spikes"
                );
                continue;
            }
            // Smooth over 10 steps, then count the rising edges of "above half the peak".
            let smooth: Vec<f32> = (0..per_step.len())
                .map(|t| per_step[t.saturating_sub(9)..=t].iter().sum())
                .collect();
            let peak = smooth.iter().fold(0.0f32, |m, &v| m.max(v));
            let active: Vec<bool> = smooth.iter().map(|&v| v > 0.5 * peak).collect();
            let onsets =
                active.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(active[0]);
            assert_eq!(onsets, 2, "tone pair sample {n}: {per_step:?}");
        }
    }

    #[test]
    fn amplitude_maps_to_spike_rate() {
        // A keyword-free check of the chain: a 1 kHz tone of amplitude 1 at 16 kHz, through the
        // default front end, drives its best channel at about 1/θ = 2 spikes per step.
        let cfg = quick();
        let front = cfg.front_end().unwrap();
        let fc = front.bank.centres()[9];
        let audio: Vec<f32> = (0..8000)
            .map(|i| (std::f64::consts::TAU * fc * i as f64 / 16_000.0).sin() as f32)
            .collect();
        let s = front.process(&audio).unwrap();
        let rate = s.slice(s![100.., 9]).sum() / 400.0;
        assert!((rate - 2.0).abs() < 0.05, "{rate} spikes per step");
    }

    #[test]
    fn chirp_phase_follows_the_exponential_sweep() {
        // Zero crossings of sin(φ) in a window number Δφ/π (±1); Δφ from the closed form.
        let fs = 16_000.0;
        let tone = Tone {
            start: 0.01,
            length: 0.2,
            f_start: 500.0,
            f_end: 2000.0,
            phase0: 0.3,
            amplitude: 1.0,
        };
        let mut audio = vec![0.0; 4000];
        tone.add_to(&mut audio, fs);
        let phase = |tau: f64| {
            let k = (2000.0f64 / 500.0).ln();
            std::f64::consts::TAU * 500.0 * 0.2 / k * ((k * tau / 0.2).exp() - 1.0)
        };
        for (lo, hi) in [(0.02, 0.04), (0.1, 0.12), (0.18, 0.2)] {
            let (i0, i1) = ((lo * fs) as usize, (hi * fs) as usize);
            let crossings = audio[i0..=i1]
                .windows(2)
                .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
                .count();
            let expected = (phase(hi - 0.01) - phase(lo - 0.01)) / std::f64::consts::PI;
            assert!(
                (crossings as f64 - expected).abs() <= 1.0,
                "[{lo}, {hi}]: {crossings} vs {expected}"
            );
        }
        // Silent outside the tone, ramped at its ends.
        assert!(audio[..160].iter().all(|&a| a == 0.0));
        assert!(audio[3361..].iter().all(|&a| a == 0.0));
        assert!(audio[161].abs() < 0.01);
    }

    #[test]
    fn validation_names_the_field() {
        let bad = |cfg: KeywordConfig, field: &str| {
            let e = cfg.generate(1, 0).unwrap_err().to_string();
            assert!(e.contains(&format!("`{field}`")), "{e}");
        };
        let d = KeywordConfig::default;
        bad(
            KeywordConfig {
                keywords: vec![],
                ..d()
            },
            "keywords",
        );
        bad(
            KeywordConfig {
                keywords: vec![Keyword::Noise, Keyword::Noise],
                ..d()
            },
            "keywords",
        );
        bad(KeywordConfig { dt: 0.00123, ..d() }, "dt");
        bad(
            KeywordConfig {
                f_high: 9000.0,
                ..d()
            },
            "f_high",
        );
        bad(
            KeywordConfig {
                f_low: 4000.0,
                ..d()
            },
            "f_low",
        );
        bad(
            KeywordConfig {
                base_frequency: 2500.0,
                ..d()
            },
            "base_frequency",
        );
        bad(
            KeywordConfig {
                duration: 0.2,
                ..d()
            },
            "duration",
        );
        bad(
            KeywordConfig {
                amplitude_min: 2.0,
                ..d()
            },
            "amplitude_min",
        );
        bad(
            KeywordConfig {
                threshold: 0.0,
                ..d()
            },
            "threshold",
        );
        bad(KeywordConfig { q: -1.0, ..d() }, "q");
    }
}
