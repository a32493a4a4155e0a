//! `AFESim`: Rockpool 3.1.0's empirical model of the XyloAudio 2 analog audio front end.
//!
//! One call maps `x`, `T` samples in volts at `fs` Hz, to `(T, 16)` booleans (one event or none
//! per sample and channel). Rockpool's evolution, reproduced step by step:
//!
//! 1. `s = concat(rev(x), x)` (`2T` samples; a warm-up on the time-reversed input, trimmed at the
//!    end).
//! 2. Microphone: `s + 0.01·0.2·(3 s/0.2 − 4 (s/0.2)³)`, clipped to ±0.55 V, plus `input_offset`
//!    (always 0: Rockpool's maximum input offset is 0).
//! 3. LNA: `z = g (s + lna_offset)` (`g = 1`, 0 dB), `0.44 (z/0.44 − 0.01 (z/0.44)³)`, clipped to
//!    ±0.55 V; then **`lna_offset` is added a second time** (Rockpool's quirk); then LNA noise.
//! 4. 16 band-pass filters: 2nd-order Butterworth between `fc ∓ fc/(2Q)`, as second-order
//!    sections (`sosfilt`). Every channel filters `lna + bpf_offset[0]`: Rockpool adds the
//!    per-channel offsets to a tiled input but `ButterFilter` reads its column 0 only. Then BPF
//!    noise per channel.
//! 5. `|filtfilt(b_hp, a_hp, ·) + FWR noise|`, with the 1st-order 20 Hz Butterworth high-pass and
//!    scipy's `filtfilt` defaults; the last `T` samples are kept. **Rockpool adds this rectifier
//!    noise even with `add_noise=False`** (the draw is not guarded by the flag), so Rockpool's
//!    "noise off" is still random; [`AfeSimConfig::always_rectifier_noise`] (true by default)
//!    reproduces that, [`AfeSimConfig::ideal`] turns everything off.
//! 6. LIF per sample and channel, `I = 0.333e-6·rect`: `dv = (dt·I − 1e-9·v·dt)/5e-12`,
//!    `v += dv`, clipped to [0, 1.1] V, an event when `v ≥ 0.5` V, which resets `v` to 0. The
//!    membrane voltages persist across calls; [`AfeSim::reset`] zeroes them.
//! 7. The divide-by-4 counter, restarted each call: an output event at the LIF events whose
//!    running count (within the call) is 3 mod 4, i.e. the 3rd, 7th, 11th, …
//!
//! [`AfeSim::raster`] counts the events in `raster_period` bins (Rockpool's `AFESim.raster`).
//!
//! **Agreement with Rockpool (noise, offsets and mismatch off, and Rockpool's unguarded rectifier
//! noise zeroed in the fixture script).** The filter coefficients match scipy's to 1.3e-15
//! relative and the rectified signal to 1.1e-14 V (of 0.079 V); the LIF can then only differ
//! where a membrane voltage lands within ~1e-14 V of the 0.5 V threshold, which would move one
//! event by one sample. On the fixtures (40 ms of tones at 110 kHz in one call, 144 events, and
//! in two calls, 84 + 77; 20 ms resampled from 48 kHz, 69 events) every event and every 10 ms
//! count is identical. The tolerance the tests document: per channel the same number of events,
//! each within one sample (the one-call and resampled cases are asserted exact).
//!
//! **Noise and mismatch on.** Rockpool draws from numpy's global generator; we draw the same
//! distributions from a ChaCha8 generator seeded by `seed`: offsets and mismatches uniform in
//! ±their maxima (in Rockpool's order: input offset, LNA offset, 16 BPF offsets, 16 Q
//! mismatches, 16 fc mismatches, the common fc shift) at construction, and per call the LNA, 16
//! BPF and 16 FWR noise vectors (see [`super::noise`]). Individual events differ from Rockpool's
//! for the same seed; statistics over seeds agree: on 30 ms of tones, per-channel event counts
//! over 16 seeds have means within 1 event of Rockpool's over its 16 seeds (e.g. 30.5 vs 30.5,
//! 13.4 vs 12.4 with sd 5.5 vs 4.9) and totals within 2 %; the test allows 2 events + 3 standard
//! errors per channel and 5 % in total. With noise on, one second of audio takes about 0.6 s
//! (17 inverse FFTs of length 2T); without, about 0.08 s.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::filters::{FiltFiltScratch, Sos, butter_bandpass_sos, butter_highpass_ba, filtfilt};
use super::noise::{InverseFft, NoiseShape, bin_gains, noise_pair};
use crate::error::{input_error, param_error};
use crate::{Block, Params, Result, Signal, resample};

/// Rockpool's class name.
pub const NAME: &str = "AFESim";
/// The number of channels (band-pass filters).
pub const NUM_CHANNELS: usize = 16;
/// The default sample rate in Hz. Rockpool's `fs` has no default; 110 kHz satisfies its
/// requirement `fs ≥ 6 × 16940 Hz`.
pub const DEFAULT_FS: f64 = 110_000.0;
/// Design centre frequencies of the 16 band-pass filters in Hz (`AFESim.design_fcs`).
pub const DESIGN_FCS: [f64; NUM_CHANNELS] = [
    40.0, 54.0, 77.0, 137.0, 203.0, 290.0, 428.0, 674.0, 1177.0, 1700.0, 2226.0, 3418.0, 5154.0,
    7884.0, 11630.0, 16940.0,
];
/// Design quality factor of the band-pass filters (`AFESim.Q`).
pub const Q: f64 = 4.0;
/// Supply voltage in volts (`VCC`); signals are clipped to ±`VCC/2`.
pub const VCC: f64 = 1.1;
const INPUT_MAX_AMPLITUDE: f64 = VCC / 2.0;
const MIC_DISTORTION: f64 = 0.01;
const INPUT_MIC_MAX_AMPLITUDE: f64 = 200e-3;
const MAX_INPUT_OFFSET: f64 = 0.0;
const F_CORNER_HIGHPASS: f64 = 20.0;
const LNA_DISTORTION: f64 = 0.01;
const INPUT_LNA_MAX_AMPLITUDE: f64 = INPUT_MAX_AMPLITUDE * 0.8;
const LNA_GAIN_DB: f64 = 0.0;
const MAX_LNA_OFFSET: f64 = 5.0e-3;
const MAX_BPF_OFFSET: f64 = 5.0e-3;
const BPF_FC_SHIFT: f64 = -5e-2;
const Q_MIS_MATCH: f64 = 10e-2;
const FC_MIS_MATCH: f64 = 5e-2;
const C_IAF: f64 = 5e-12;
const V2I_GAIN: f64 = 0.333e-6;
const LEAKAGE: f64 = 1e-9;
const DIGITAL_COUNTER: u64 = 4;
const THR_UP: f64 = 0.5;
const LNA_NOISE: NoiseShape = NoiseShape {
    vrms_sqhz: 70e-9,
    f_knee: 70e3,
    f_alpha: 1.0,
};
const BPF_NOISE: NoiseShape = NoiseShape {
    vrms_sqhz: 1e-9,
    f_knee: 100e3,
    f_alpha: 1.0,
};
const FWR_NOISE: NoiseShape = NoiseShape {
    vrms_sqhz: 700e-9,
    f_knee: 158.0,
    f_alpha: 1.0,
};

/// `AFESim`'s constructor arguments (Rockpool's names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct AfeSimConfig {
    /// Input sample rate in Hz (`fs`, ≥ 101 640 Hz). Default [`DEFAULT_FS`].
    pub fs: f64,
    /// Bin width of [`AfeSim::raster`] in seconds (`raster_period`). Default 0.01.
    pub raster_period: f64,
    /// Most events per raster bin (`max_spike_per_raster_period`). Default 15.
    pub max_spike_per_raster_period: i64,
    /// Simulate the LNA, BPF and rectifier noise (`add_noise`). Default true.
    pub add_noise: bool,
    /// Simulate the offsets (`add_offset`). Default true.
    pub add_offset: bool,
    /// Simulate mismatch of the filters' Q and centre frequencies (`add_mismatch`). Default true.
    pub add_mismatch: bool,
    /// Seed of the mismatch and noise draws (`seed`); `None`: drawn from the OS (Rockpool draws
    /// a random default once per import).
    pub seed: Option<u64>,
    /// Add the rectifier (FWR) noise even when `add_noise` is false. Rockpool 3.1.0 does (its
    /// rectifier noise is not guarded by the flag), so this is true by default and from
    /// [`AfeSimConfig::from_params`]; [`AfeSimConfig::ideal`] turns it off. Not a Rockpool
    /// argument.
    pub always_rectifier_noise: bool,
}

impl Default for AfeSimConfig {
    fn default() -> Self {
        Self {
            fs: DEFAULT_FS,
            raster_period: 0.01,
            max_spike_per_raster_period: 15,
            add_noise: true,
            add_offset: true,
            add_mismatch: true,
            seed: None,
            always_rectifier_noise: true,
        }
    }
}

impl AfeSimConfig {
    /// Noise (including the rectifier noise Rockpool adds regardless), offsets and mismatch
    /// off: the deterministic model.
    pub fn ideal() -> Self {
        Self {
            add_noise: false,
            add_offset: false,
            add_mismatch: false,
            always_rectifier_noise: false,
            ..Self::default()
        }
    }

    /// Reads Rockpool's constructor arguments (`fs`, `raster_period`,
    /// `max_spike_per_raster_period`, `add_noise`, `add_offset`, `add_mismatch`, `seed`,
    /// `num_workers`); unknown names are errors.
    pub fn from_params(params: &Params) -> Result<Self> {
        let d = Self::default();
        let seed = match params.get("seed") {
            None => None,
            Some(_) => {
                let s = params.i64(NAME, "seed", 0)?;
                if !(0..=i64::from(u32::MAX)).contains(&s) {
                    return Err(param_error(
                        NAME,
                        "seed",
                        format!("must be in 0..=4294967295 (numpy's seed range), got {s}"),
                    ));
                }
                Some(s as u64)
            }
        };
        let num_workers = params.i64(NAME, "num_workers", 1)?;
        if num_workers < 1 {
            return Err(param_error(
                NAME,
                "num_workers",
                format!("must be a positive integer, got {num_workers}"),
            ));
        }
        let config = Self {
            fs: params.f64(NAME, "fs", d.fs)?,
            raster_period: params.f64(NAME, "raster_period", d.raster_period)?,
            max_spike_per_raster_period: params.i64(
                NAME,
                "max_spike_per_raster_period",
                d.max_spike_per_raster_period,
            )?,
            add_noise: params.bool(NAME, "add_noise", d.add_noise)?,
            add_offset: params.bool(NAME, "add_offset", d.add_offset)?,
            add_mismatch: params.bool(NAME, "add_mismatch", d.add_mismatch)?,
            seed,
            always_rectifier_noise: true,
        };
        params.finish(NAME)?;
        Ok(config)
    }
}

/// The offsets and mismatch of one simulated chip (Rockpool's `AFESim` attributes of the same
/// names; volts and relative deviations).
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// Microphone offset in V (always 0).
    pub input_offset: f64,
    /// LNA offset in V, uniform in ±5 mV.
    pub lna_offset: f64,
    /// BPF offsets in V, uniform in ±5 mV (only `[0]` acts, on every channel).
    pub bpf_offset: [f64; NUM_CHANNELS],
    /// Relative Q deviations, uniform in ±10 %.
    pub q_mismatch: [f64; NUM_CHANNELS],
    /// Relative centre-frequency deviations, uniform in ±5 %.
    pub fc_mismatch: [f64; NUM_CHANNELS],
    /// Common relative centre-frequency shift, uniform in ±5 %.
    pub bpf_fc_shift: f64,
}

/// The `AFESim` simulator: configuration, the chip's mismatch, filters and LIF state.
#[doc(alias = "AFESim")]
#[derive(Debug, Clone)]
pub struct AfeSim {
    config: AfeSimConfig,
    seed: u64,
    rng: ChaCha8Rng,
    mismatch: Mismatch,
    fcs: [f64; NUM_CHANNELS],
    qs: [f64; NUM_CHANNELS],
    sos: [[Sos; 2]; NUM_CHANNELS],
    hp: ([f64; 2], [f64; 2]),
    /// LIF membrane voltages in volts, one per channel (Rockpool's `lif_state`).
    lif_state: [f64; NUM_CHANNELS],
    work: Work,
}

/// Buffers reused across calls.
#[derive(Debug, Clone, Default)]
struct Work {
    filter_in: Vec<f64>,
    bpf: Vec<f64>,
    hp: Vec<f64>,
    noise_a: Vec<f64>,
    noise_b: Vec<f64>,
    raw: Vec<(f64, f64)>,
    spec: Vec<(f64, f64)>,
    plan: Option<InverseFft>,
    /// Bin gains of the LNA, BPF and FWR noise for the plan's length.
    gains: [Vec<f64>; 3],
    ff: FiltFiltScratch,
}

fn uniform_pm1(rng: &mut ChaCha8Rng) -> f64 {
    2.0 * rng.random::<f64>() - 1.0
}

impl AfeSim {
    /// Builds the simulator; draws the mismatch when `add_offset` / `add_mismatch`.
    pub fn new(config: AfeSimConfig) -> Result<Self> {
        let min_fs = 6.0 * DESIGN_FCS[NUM_CHANNELS - 1];
        if !(config.fs.is_finite() && config.fs >= min_fs) {
            return Err(param_error(
                NAME,
                "fs",
                format!(
                    "sampling frequency ({}) must be at least 6 times the highest BPF centre \
                     frequency, i.e. >= {min_fs} Hz",
                    config.fs
                ),
            ));
        }
        if !(config.raster_period > 0.0 && config.raster_period.is_finite()) {
            return Err(param_error(
                NAME,
                "raster_period",
                format!(
                    "must be a positive time in seconds, got {}",
                    config.raster_period
                ),
            ));
        }
        if config.max_spike_per_raster_period < 0 {
            return Err(param_error(
                NAME,
                "max_spike_per_raster_period",
                format!("must be >= 0, got {}", config.max_spike_per_raster_period),
            ));
        }
        let seed = config
            .seed
            .unwrap_or_else(|| u64::from(rand::rng().random::<u32>()));
        let hp = butter_highpass_ba(F_CORNER_HIGHPASS, config.fs).ok_or_else(|| {
            param_error(NAME, "fs", "the 20 Hz high-pass does not fit below fs/2")
        })?;
        let zero = [0.0; NUM_CHANNELS];
        let mut sim = Self {
            config,
            seed,
            rng: ChaCha8Rng::seed_from_u64(seed),
            mismatch: Mismatch {
                input_offset: 0.0,
                lna_offset: 0.0,
                bpf_offset: zero,
                q_mismatch: zero,
                fc_mismatch: zero,
                bpf_fc_shift: 0.0,
            },
            fcs: DESIGN_FCS,
            qs: [Q; NUM_CHANNELS],
            sos: [[[0.0; 6]; 2]; NUM_CHANNELS],
            hp,
            lif_state: zero,
            work: Work::default(),
        };
        sim.generate_mismatch()?;
        Ok(sim)
    }

    /// Draws a new chip: offsets and mismatch (where enabled), the filters, and zero LIF state
    /// (Rockpool's `generate_mismatch`).
    pub fn generate_mismatch(&mut self) -> Result<()> {
        let (off, mis) = (self.config.add_offset, self.config.add_mismatch);
        let rng = &mut self.rng;
        let m = &mut self.mismatch;
        m.input_offset = if off {
            MAX_INPUT_OFFSET * uniform_pm1(rng)
        } else {
            0.0
        };
        m.lna_offset = if off {
            MAX_LNA_OFFSET * uniform_pm1(rng)
        } else {
            0.0
        };
        for (dst, max, on) in [
            (&mut m.bpf_offset, MAX_BPF_OFFSET, off),
            (&mut m.q_mismatch, Q_MIS_MATCH, mis),
            (&mut m.fc_mismatch, FC_MIS_MATCH, mis),
        ] {
            for v in dst.iter_mut() {
                *v = if on { max * uniform_pm1(rng) } else { 0.0 };
            }
        }
        m.bpf_fc_shift = if mis {
            BPF_FC_SHIFT * uniform_pm1(rng)
        } else {
            0.0
        };
        for (c, design) in DESIGN_FCS.iter().enumerate() {
            let fc = design * (1.0 + m.fc_mismatch[c]);
            self.fcs[c] = fc * (1.0 + m.bpf_fc_shift);
            self.qs[c] = Q * (1.0 + m.q_mismatch[c]);
            let bw = self.fcs[c] / self.qs[c];
            let (lo, hi) = (self.fcs[c] - bw / 2.0, self.fcs[c] + bw / 2.0);
            self.sos[c] = butter_bandpass_sos(lo, hi, self.config.fs).ok_or_else(|| {
                param_error(
                    NAME,
                    "fs",
                    format!("band-pass {c} ({lo} Hz to {hi} Hz) does not fit below fs/2"),
                )
            })?;
        }
        self.lif_state = [0.0; NUM_CHANNELS];
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &AfeSimConfig {
        &self.config
    }

    /// The seed the mismatch and noise are drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The chip's offsets and mismatch.
    pub fn mismatch(&self) -> &Mismatch {
        &self.mismatch
    }

    /// The actual centre frequencies in Hz and Q factors of the 16 filters.
    pub fn filters(&self) -> ([f64; NUM_CHANNELS], [f64; NUM_CHANNELS]) {
        (self.fcs, self.qs)
    }

    /// The band-pass filters as second-order sections, `[channel][section]`, each
    /// `[b0, b1, b2, 1, a1, a2]` (Rockpool's `_butter_filterbank._filters`).
    pub fn sos(&self) -> &[[Sos; 2]; NUM_CHANNELS] {
        &self.sos
    }

    /// The high-pass `(b, a)` (Rockpool's `_HP_filt`).
    pub fn highpass(&self) -> ([f64; 2], [f64; 2]) {
        self.hp
    }

    /// The LIF membrane voltages in volts (Rockpool's `lif_state`).
    pub fn lif_state(&self) -> [f64; NUM_CHANNELS] {
        self.lif_state
    }

    /// Zeroes the LIF membrane voltages (the noise generator runs on).
    pub fn reset(&mut self) {
        self.lif_state = [0.0; NUM_CHANNELS];
    }

    /// Runs the front end on `x` (`T ≥ 4` samples in volts at `fs`): `(T, 16)` events.
    pub fn process(&mut self, x: &[f64]) -> Result<Array2<bool>> {
        self.evolve(x, None)
    }

    /// As [`AfeSim::process`], also returning the rectified signal `(T, 16)` in volts that
    /// drives the LIF neurons (Rockpool's `record["rect"]`).
    pub fn process_with_rect(&mut self, x: &[f64]) -> Result<(Array2<bool>, Array2<f64>)> {
        let mut rect = Array2::zeros((x.len(), NUM_CHANNELS));
        let out = self.evolve(x, Some(&mut rect))?;
        Ok((out, rect))
    }

    /// [`AfeSim::process`] followed by [`AfeSim::raster`]: event counts per `raster_period`.
    pub fn process_raster(&mut self, x: &[f64]) -> Result<Array2<i64>> {
        let events = self.process(x)?;
        Ok(self.raster(&events))
    }

    fn evolve(
        &mut self,
        x: &[f64],
        mut rect_out: Option<&mut Array2<f64>>,
    ) -> Result<Array2<bool>> {
        let l = x.len();
        if l < 4 {
            return Err(input_error(
                NAME,
                format!("needs at least 4 samples (scipy's filtfilt pads by 6 samples), got {l}"),
            ));
        }
        if let Some(i) = x.iter().position(|v| !v.is_finite()) {
            return Err(input_error(NAME, format!("sample {i} is not finite")));
        }
        let n = 2 * l;
        let fs = self.config.fs;
        let m = &self.mismatch;
        let (off, noise) = (self.config.add_offset, self.config.add_noise);
        let fwr_noise = noise || self.config.always_rectifier_noise;
        let w = &mut self.work;
        for v in [
            &mut w.filter_in,
            &mut w.bpf,
            &mut w.hp,
            &mut w.noise_a,
            &mut w.noise_b,
        ] {
            v.resize(n, 0.0);
        }
        if fwr_noise && w.plan.as_ref().is_none_or(|p| p.len() != n) {
            w.plan = Some(InverseFft::new(n));
            w.gains = [LNA_NOISE, BPF_NOISE, FWR_NOISE].map(|shape| bin_gains(n, fs, shape));
        }
        // Microphone and LNA on the reversed-then-forward input.
        let lna_gain = 2f64.powf(LNA_GAIN_DB / 6.0);
        let (vm, vl, max) = (
            INPUT_MIC_MAX_AMPLITUDE,
            INPUT_LNA_MAX_AMPLITUDE,
            INPUT_MAX_AMPLITUDE,
        );
        for (i, dst) in w.filter_in.iter_mut().enumerate() {
            let s = if i < l { x[l - 1 - i] } else { x[i - l] };
            let distortion = MIC_DISTORTION * vm * (3.0 * s / vm - 4.0 * (s / vm).powf(3.0));
            let mut mic = (s + distortion).clamp(-max, max);
            if off {
                mic += m.input_offset;
            }
            let z = lna_gain * (mic + m.lna_offset);
            let mut lna = (vl * (z / vl - LNA_DISTORTION * (z / vl).powf(3.0))).clamp(-max, max);
            if off {
                lna += m.lna_offset;
            }
            *dst = lna;
        }
        if let (true, Some(plan)) = (noise, w.plan.as_mut()) {
            noise_pair(
                &mut self.rng,
                plan,
                &w.gains[0],
                &w.gains[0],
                &mut w.raw,
                &mut w.spec,
                &mut w.noise_a,
                &mut w.noise_b,
            );
            for (d, v) in w.filter_in.iter_mut().zip(&w.noise_a) {
                *d += v;
            }
        }
        if off {
            let o = m.bpf_offset[0];
            for d in w.filter_in.iter_mut() {
                *d += o;
            }
        }
        let mut out = Array2::from_elem((l, NUM_CHANNELS), false);
        let (b_hp, a_hp) = self.hp;
        let dt = 1.0 / fs;
        for c in 0..NUM_CHANNELS {
            super::filters::sosfilt_into(&self.sos[c], &w.filter_in, &mut w.bpf);
            if let (true, Some(plan)) = (fwr_noise, w.plan.as_mut()) {
                // One draw gives this channel's BPF noise (a) and rectifier noise (b).
                noise_pair(
                    &mut self.rng,
                    plan,
                    &w.gains[if noise { 1 } else { 2 }],
                    &w.gains[2],
                    &mut w.raw,
                    &mut w.spec,
                    &mut w.noise_a,
                    &mut w.noise_b,
                );
                if noise {
                    for (d, v) in w.bpf.iter_mut().zip(&w.noise_a) {
                        *d += v;
                    }
                }
            }
            filtfilt(&b_hp, &a_hp, &w.bpf, &mut w.hp, &mut w.ff)
                .ok_or_else(|| input_error(NAME, "input too short for filtfilt"))?;
            let mut v = self.lif_state[c];
            let mut count = 0u64;
            for t in 0..l {
                let mut r = w.hp[l + t];
                if fwr_noise {
                    r += w.noise_b[l + t];
                }
                let r = r.abs();
                if let Some(rect) = rect_out.as_deref_mut() {
                    rect[[t, c]] = r;
                }
                let data = r * V2I_GAIN;
                let dq_lk = LEAKAGE * v * dt;
                let dq_data = dt * data;
                v += (dq_data - dq_lk) / C_IAF;
                v = v.clamp(0.0, VCC);
                if v >= THR_UP {
                    v = 0.0;
                    count += 1;
                    out[[t, c]] = count % DIGITAL_COUNTER == DIGITAL_COUNTER - 1;
                }
            }
            self.lif_state[c] = v;
        }
        Ok(out)
    }

    /// Counts `events` `(T, 16)` per `raster_period` (Rockpool's `AFESim.raster`), each count
    /// clipped to `max_spike_per_raster_period`: `(ceil(T / p), 16)`.
    ///
    /// When `p = raster_period·fs` is an integer (110 kHz and 10 ms: 1100), Rockpool samples the
    /// running count at rows `0, p, 2p, …` and differences it: **the first bin holds row 0 only,
    /// bin k the rows `(k−1)p+1 ..= kp`, and rows after the last multiple of `p` are dropped**.
    /// Otherwise the events are placed mid-sample (`(t + ½)/fs`) and binned by
    /// `floor(time / raster_period)` into `ceil(T/(fs·raster_period))` bins.
    pub fn raster(&self, events: &Array2<bool>) -> Array2<i64> {
        raster(
            events,
            self.config.fs,
            self.config.raster_period,
            self.config.max_spike_per_raster_period,
        )
    }
}

/// [`AfeSim::raster`] for events `(T, C)` at `fs` Hz.
pub fn raster(events: &Array2<bool>, fs: f64, raster_period: f64, max_count: i64) -> Array2<i64> {
    let (t_len, ch) = events.dim();
    let dt = 1.0 / fs;
    let per = raster_period / dt;
    if per >= 1.0 && per == per.trunc() {
        let step = per as usize;
        let rows = t_len.div_ceil(step);
        let mut out = Array2::zeros((rows, ch));
        for c in 0..ch {
            let mut cum = 0i64;
            let mut last = 0i64;
            for t in 0..t_len {
                cum += i64::from(events[[t, c]]);
                if t % step == 0 {
                    out[[t / step, c]] = (cum - last).min(max_count);
                    last = cum;
                }
            }
        }
        out
    } else {
        let t_stop = t_len as f64 * dt;
        let rows = (t_stop / raster_period).ceil().max(0.0) as usize;
        let mut out = Array2::zeros((rows, ch));
        for ((t, c), &e) in events.indexed_iter() {
            if !e {
                continue;
            }
            let time = t as f64 * dt + dt / 2.0;
            if time >= t_stop {
                continue;
            }
            let idx = (time / raster_period).floor() as usize;
            if idx < rows {
                out[[idx, c]] += 1;
            }
        }
        out.mapv_inplace(|v: i64| v.min(max_count));
        out
    }
}

impl Block for AfeSim {
    fn name(&self) -> &str {
        NAME
    }

    /// `input`: `(T, 1)` volts at `sample_rate` (resampled to `fs` when it differs). Output:
    /// `(T', 16)` booleans at `fs`.
    fn run(&mut self, input: &Signal, sample_rate: Option<f64>) -> Result<Signal> {
        let (t, c) = input.shape();
        if c != 1 {
            return Err(input_error(
                NAME,
                format!(
                    "the input signal should be 1-dim: expected (T, 1) volts, got (T, C) = ({t}, {c})"
                ),
            ));
        }
        let x = input.to_f64();
        let x = x.column(0).to_vec();
        let x = match sample_rate {
            Some(sr) if sr != self.config.fs => {
                if !(sr.is_finite() && sr > 0.0) {
                    return Err(input_error(
                        NAME,
                        format!("sample rate {sr} Hz is not positive"),
                    ));
                }
                resample::resample_checked(NAME, &x, sr, self.config.fs)?
            }
            _ => x,
        };
        Ok(Signal::Bool(self.process(&x)?))
    }

    fn input_rate(&self) -> f64 {
        self.config.fs
    }

    fn output_dt(&self) -> f64 {
        1.0 / self.config.fs
    }

    fn output_channels(&self) -> usize {
        NUM_CHANNELS
    }

    fn reset(&mut self) {
        AfeSim::reset(self);
    }
}
